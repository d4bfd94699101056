"""Reward-shaping controls with a live preview, before any training.

Every control is a plain number or text, so the whole shaping serialises into a share link. The preview
plays a few seeded random steps of the chosen env and shows the env's reward next to the shaped one, or
the exact error ("unknown name 'os' at column 1") while the person types.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from agents.config.schema import HyperParam
from envs.potentials import potentials_for
from envs.registry import EnvInfo
from envs.reward_expr import FUNCTIONS
from envs.shaping import preview_shaping
from envs.shaping_config import NUMBER_LIMITS, ShapingConfig, ShapingError
from ui.common import plain
from ui.inputs import number_input, show_error

PREVIEW_STEPS = 6
NUMBER_FIELDS = {
    "living_reward": ("Living reward per step", "Added to every step's reward: negative is a penalty for time."),
    "termination_bonus": ("Bonus when an episode terminates", "Added on the step the task ends (success or failure)."),
    "truncation_bonus": ("Bonus when the time limit cuts an episode", "Added when the episode runs out of time."),
    "reward_scale": ("Reward scale", "The final reward is multiplied by this. Extreme scales break learning."),
    "reward_clip": ("Reward clip (0 = off)", "Clip the final reward to [-c, c]."),
}


def shaping_key(name: str) -> str:
    return f"sh_{name}"


def load_shaping_into_widgets(config: ShapingConfig) -> None:
    for name, value in vars(config).items():
        st.session_state[shaping_key(name)] = value


def shaping_is_default() -> bool:
    """True while every shaping widget holds its default (the expander then starts closed)."""
    return all(st.session_state.get(shaping_key(n), v) == v for n, v in vars(ShapingConfig()).items())


def shaping_controls(
    env: EnvInfo, *, disabled: bool = False, learner_gamma: float | None = None
) -> tuple[ShapingConfig | None, str | None]:
    """Draw the shaping controls for ``env``; return the shaping they describe, or why it is invalid.

    ``learner_gamma`` is the algorithm's γ, which the potential's γ follows unless a person sets another.
    Number fields have no browser bounds (:mod:`ui.inputs`); each setting is checked on its own by
    :meth:`ShapingConfig.validate` and a refusal shows directly under its field.
    """
    if not isinstance(learner_gamma, int | float) or isinstance(learner_gamma, bool):
        learner_gamma = None  # a widget still holding something else: no number to follow or compare
    state = st.session_state
    defaults = ShapingConfig()
    for name, value in vars(defaults).items():
        state.setdefault(shaping_key(name), value)

    slots: dict[str, DeltaGenerator] = {}
    names = ", ".join(("reward", "obs[i]", *env.feature_names, "action", "t", "terminated", "truncated"))
    st.text_input(
        "Custom reward expression",
        key=shaping_key("reward_expr"),
        placeholder="e.g. reward - 0.1 * abs(x)" if "x" in env.feature_names else "e.g. reward - 0.01",
        help=f"Replaces the env's reward. Names: {names} (`action` is what the env receives, in its own units). "
        f"Functions: {', '.join(FUNCTIONS)}. "
        "Arithmetic, comparisons, and/or/not and `a if cond else b`. Leave empty to keep the env's reward.",
        disabled=disabled,
        persist_state="session",
    )
    slots["reward_expr"] = st.empty()
    for name, (label, help_text) in NUMBER_FIELDS.items():
        slots[name] = _number(name, label, help_text, disabled=disabled)

    potentials = potentials_for(env.id)
    if potentials:
        options = ["", *potentials]
        if state[shaping_key("potential")] not in options:
            state[shaping_key("potential")] = ""
        st.selectbox(
            "Potential-based shaping",
            options,
            key=shaping_key("potential"),
            format_func=lambda p: "none" if not p else f"{p}: {potentials[p].description}",
            help="Adds γΦ(s') − Φ(s) for a potential Φ (Ng, Harada & Russell, 1999): guides exploration "
            "without changing which policy is optimal.",
            disabled=disabled,
            persist_state="session",
        )
        if state[shaping_key("potential")]:
            cols = st.columns(2)
            follows = f"the learner's γ ({learner_gamma:g})" if learner_gamma is not None else "the learner's γ"
            with cols[0]:
                slots["potential_gamma"] = _number(
                    "potential_gamma",
                    "γ of the potential",
                    f"Empty (auto): {follows}, as potential-based shaping needs to keep the optimal policy. "
                    "Type a number only to see what setting them apart does.",
                    disabled=disabled,
                    placeholder=f"{learner_gamma:g} (auto)" if learner_gamma is not None else "auto",
                )
            with cols[1]:
                slots["potential_scale"] = _number("potential_scale", "Potential scale", None, disabled=disabled)
    else:
        state[shaping_key("potential")] = ""

    values = {name: state[shaping_key(name)] for name in vars(defaults)}
    problems = [_problem(env, name, value) for name, value in values.items()]
    for name, problem in zip(values, problems, strict=True):
        if problem:
            show_error(slots.get(name), problem)
    first = next((p for p in problems if p), None)
    if first:
        return None, first
    config = ShapingConfig.from_dict(values)
    warning = config.potential_gamma_warning(learner_gamma) if learner_gamma is not None else None
    if warning:
        st.warning(warning)  # the width of the form, under the γ it concerns (half a sidebar is too narrow to read)
    problem = _preview(env, config, learner_gamma)
    if problem:  # a reward that fails on sample steps would fail the run on its first episodes: refuse it now
        return None, problem
    return config, None


def _number(
    name: str, label: str, help_text: str | None, *, disabled: bool, placeholder: str | None = None
) -> DeltaGenerator:
    """A shaping number; with a ``placeholder`` it may be left empty (None: the potential's γ follows)."""
    low, high = NUMBER_LIMITS[name]
    default = getattr(ShapingConfig(), name)
    param = HyperParam(name, "float", default if default is not None else high, help_text or "", low=low, high=high)
    step = 0.5 if name in ("reward_scale", "potential_scale") else 0.01 if name == "potential_gamma" else 0.1
    return number_input(
        param, shaping_key(name), label=label, step=step, help=help_text, disabled=disabled, placeholder=placeholder
    )


def _problem(env: EnvInfo, name: str, value: object) -> str | None:
    """Why this one setting cannot be used with ``env`` (the others at their defaults), or None."""
    try:
        ShapingConfig.from_dict({name: value}).validate(env.id)
    except (ShapingError, ValueError) as error:
        return str(error)
    return None


def _preview(env: EnvInfo, config: ShapingConfig, learner_gamma: float | None) -> str | None:
    """Draw the preview table; the reason the shaping failed on a sample step, or None."""
    if config.is_identity():
        st.caption("No shaping: the agent is trained on the env's own reward.")
        return None
    try:
        rows = preview_shaping(env.id, config, n_steps=PREVIEW_STEPS, seed=0, learner_gamma=learner_gamma or 0.99)
    except ShapingError as error:
        st.error(plain(str(error)))
        return str(error)
    table = pd.DataFrame(
        {
            "t": [r["t"] for r in rows],
            "env reward": [r["reward"] for r in rows],
            "shaped": [r["shaped_reward"] for r in rows],
        }
    )
    st.caption(f"Preview on {PREVIEW_STEPS} random steps of {env.id}:")
    rewards = st.column_config.NumberColumn(format="%.4g")  # never missing: numbers stay numbers, 4 significant digits
    st.dataframe(table, hide_index=True, width="stretch", column_config={"env reward": rewards, "shaped": rewards})
    return None
