"""The Train page's sidebar: environment, algorithm, preset, hyperparameters, seed and budget.

Widgets are generated from each algorithm's :class:`~agents.config.schema.Schema`, so a new hyperparameter needs
no UI code. The widgets' values live in ``st.session_state`` under ``cfg_*`` / ``hp_*`` keys, kept across page
switches (``persist_state="session"``); choosing another env, algorithm or preset loads that preset's values
into them. Number fields have no browser bounds (:mod:`ui.inputs`): each value is checked by its schema and a
refusal shows under its field. What the widgets say is turned into a
:class:`~agents.config.run_config.RunConfig` by the same ``build_config`` the CLI uses.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from agents.algos.registry import AlgoInfo, algorithms, get_algo
from agents.config.fields import SEED, STOP_WHEN_SOLVED, TIMESTEPS
from agents.config.presets import presets_for
from agents.config.run_config import ConfigError, RunConfig, build_config
from agents.config.schema import HyperParam, format_value
from envs.registry import ENVS, get_env
from envs.shaping_config import ShapingConfig, ShapingError
from ui.common import plain
from ui.inputs import checked, number_input, show_error
from ui.schedule_panel import with_schedule
from ui.shaping_form import load_shaping_into_widgets, shaping_controls, shaping_is_default, shaping_key

PERSIST = "session"
"""Every configuration widget keeps its value across page switches (Streamlit drops it otherwise)."""
PRESET_LABELS = {"demo": "Demo (fast on a CPU)", "zoo": "RL Zoo tuned"}


def hp_key(name: str) -> str:
    return f"hp_{name}"


def load_config_into_widgets(config: RunConfig) -> None:
    """Put every value of ``config`` into the widgets' session state (before they are drawn)."""
    state = st.session_state
    state.cfg_env, state.cfg_algo, state.cfg_preset = config.env_id, config.algo, config.preset_info.name
    state.cfg_seed, state.cfg_timesteps = config.seed, config.total_timesteps
    state.cfg_stop_when_solved = config.stop_when_solved
    for name, value in config.hyperparams.items():
        state[hp_key(name)] = value
    load_shaping_into_widgets(config.shaping)
    state.cfg_schedule = {name: list(entries) for name, entries in config.schedule.items()}


def _reset_to_preset(env_id: str, algo_id: str, preset: str | None, *, keep_shaping: bool = True) -> None:
    """Load a preset's hyperparameters and budget; shaping stays unless the env changed (its names differ)."""
    shaping = {}
    if keep_shaping:
        try:
            shaping = ShapingConfig.from_dict({n: st.session_state[shaping_key(n)] for n in vars(ShapingConfig())})
            shaping.validate(env_id)
        except (ShapingError, ValueError, KeyError):
            shaping = {}
    seed = SEED.parse(st.session_state.get("cfg_seed", 0)) if _valid(SEED, "cfg_seed") else 0
    load_config_into_widgets(build_config(env_id, algo_id, preset=preset, seed=seed, shaping=shaping))


def _valid(param: HyperParam, key: str) -> bool:
    try:
        param.parse(st.session_state.get(key, param.default))
    except ValueError:
        return False
    return True


def _on_env_change() -> None:
    env = get_env(st.session_state.cfg_env)
    algo = get_algo(st.session_state.cfg_algo)
    _reset_to_preset(env.id, algo.id if algo.supports(env) else env.default_algo, None, keep_shaping=False)


def _on_algo_change() -> None:
    env_id, algo_id = st.session_state.cfg_env, st.session_state.cfg_algo
    if get_algo(algo_id).supports(get_env(env_id)):
        _reset_to_preset(env_id, algo_id, None)


def _on_preset_change() -> None:
    _reset_to_preset(st.session_state.cfg_env, st.session_state.cfg_algo, st.session_state.cfg_preset)


def param_widget(param: HyperParam, *, disabled: bool = False) -> DeltaGenerator:
    """Draw one hyperparameter's widget (its value stays in session state under ``hp_<name>``); return the
    slot under it for its error."""
    key, label, help_text = hp_key(param.name), param.name, param.help
    if param.kind == "bool":
        st.toggle(label, key=key, help=help_text, disabled=disabled, persist_state=PERSIST)
    elif param.kind == "choice":
        st.selectbox(label, param.choices, key=key, help=help_text, disabled=disabled, persist_state=PERSIST)
    elif param.allow_auto:
        st.session_state[key] = str(st.session_state.get(key, param.default))
        st.text_input(
            label, key=key, help=f"{help_text} Type a number or 'auto'.", disabled=disabled, persist_state=PERSIST
        )
    else:
        return number_input(param, key, disabled=disabled)
    return st.empty()


def config_sidebar(*, disabled: bool = False) -> tuple[RunConfig | None, str | None]:
    """Draw the configuration controls; return the configuration they describe, or why it cannot run.

    Each refused value is shown under its own field; the returned reason names the first one."""
    state = st.session_state
    st.selectbox(
        "Environment",
        list(ENVS),
        key="cfg_env",
        on_change=_on_env_change,
        disabled=disabled,
        format_func=lambda e: f"{ENVS[e].title} ({e})",
        persist_state=PERSIST,
    )
    env = get_env(state.cfg_env)
    st.caption(env.description)

    st.selectbox(
        "Algorithm",
        list(algorithms()),
        key="cfg_algo",
        on_change=_on_algo_change,
        disabled=disabled,
        format_func=lambda a: get_algo(a).title,
        persist_state=PERSIST,
    )
    algo = get_algo(state.cfg_algo)
    reason = algo.incompatibility(env)
    if reason:
        st.warning(reason)
        return None, reason
    st.caption(algo.description)

    presets = presets_for(env.id, algo.id)
    if state.get("cfg_preset") not in presets:
        state.cfg_preset = next(iter(presets))
    st.selectbox(
        "Preset",
        list(presets),
        key="cfg_preset",
        on_change=_on_preset_change,
        disabled=disabled,
        format_func=lambda p: PRESET_LABELS.get(p, "SB3 defaults"),
        help=presets[state.cfg_preset].note,
        persist_state=PERSIST,
    )
    preset_note = st.empty()

    errors: dict[str, str] = {}
    slots: dict[str, DeltaGenerator] = {}
    cols = st.columns(2)
    state.setdefault("cfg_seed", SEED.default)
    slots["seed"] = number_input(SEED, "cfg_seed", label="Seed", where=cols[0], disabled=disabled)
    state.setdefault("cfg_timesteps", TIMESTEPS.default)
    slots["timesteps"] = number_input(
        TIMESTEPS, "cfg_timesteps", label="Steps", where=cols[1], step=10_000, disabled=disabled
    )
    state.setdefault("cfg_stop_when_solved", False)
    st.toggle(
        "Stop when solved",
        key="cfg_stop_when_solved",
        disabled=disabled,
        help=STOP_WHEN_SOLVED.help,
        persist_state=PERSIST,
    )
    for param, key in ((SEED, "cfg_seed"), (TIMESTEPS, "cfg_timesteps")):
        if checked(param, state[key], slots[param.name]) is None:
            errors[param.name] = "seed" if param is SEED else "steps"

    overrides = _hyperparameters(algo, disabled=disabled, errors=errors, slots=slots)

    with st.expander("Reward shaping", expanded=not shaping_is_default()):
        shaping, _ = shaping_controls(env, disabled=disabled, learner_gamma=state.get(hp_key("gamma")))
    if shaping is None:
        errors["shaping"] = "Reward shaping"
    if errors:
        return None, _fix_these(errors)

    try:
        config = build_config(
            env.id,
            algo.id,
            preset=state.cfg_preset,
            overrides=overrides,
            seed=state.cfg_seed,
            timesteps=state.cfg_timesteps,
            stop_when_solved=state.cfg_stop_when_solved,
            shaping=shaping,
        )
    except ConfigError as error:  # several values at once (batch_size against n_steps x n_envs, memory)
        show_error(slots.get(error.field or ""), str(error))
        return None, str(error)
    _preset_note(preset_note, config)
    return with_schedule(config, state.get("cfg_schedule") or {}, disabled=disabled)


def _hyperparameters(
    algo: AlgoInfo, *, disabled: bool, errors: dict[str, str], slots: dict[str, DeltaGenerator]
) -> dict[str, object]:
    """The algorithm's widgets in an expander that opens by itself while one of them is refused."""
    state = st.session_state
    missing = [p.name for p in algo.schema if hp_key(p.name) not in state]
    if missing:  # the preset's values, never the schema's defaults beside the preset's name
        preset = build_config(state.cfg_env, algo.id, preset=state.cfg_preset).hyperparams
        for name in missing:
            state[hp_key(name)] = preset[name]
    # Opens by itself when a value is refused, and stays open (a flipping expander would close on the person).
    state.cfg_hp_open = state.get("cfg_hp_open", False) or not all(_valid(p, hp_key(p.name)) for p in algo.schema)
    with st.expander("Hyperparameters", expanded=state.cfg_hp_open):
        for param in algo.schema:
            slots[param.name] = param_widget(param, disabled=disabled)
            if checked(param, state[hp_key(param.name)], slots[param.name]) is None:
                errors[param.name] = f"{param.name} (Hyperparameters)"
    return {p.name: state[hp_key(p.name)] for p in algo.schema}


def _fix_these(errors: dict[str, str]) -> str:
    return "fix " + ", ".join(errors.values())


def _preset_note(slot: DeltaGenerator, config: RunConfig) -> None:
    """Say what differs from the preset, so its name never stands beside values that are not its own."""
    changes = config.preset_changes()
    if not changes:
        return
    shown = ", ".join(
        f"{name} {format_value(value)} (preset: {format_value(preset)})" for name, (value, preset) in changes.items()
    )
    slot.caption(f"Changed from this preset: {plain(shown)}.")
