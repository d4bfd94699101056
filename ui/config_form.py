"""The Train page's sidebar: environment, algorithm, preset, hyperparameters, seed and budget.

Widgets are generated from each algorithm's :class:`~agents.config.schema.Schema`, so a new hyperparameter needs
no UI code. The widgets' values live in ``st.session_state`` under ``cfg_*`` / ``hp_*`` keys; choosing
another env, algorithm or preset loads that preset's values into them. What the widgets say is turned into
a :class:`~agents.config.run_config.RunConfig` by the same ``build_config`` the CLI uses, and mirrored into the URL.
"""

from __future__ import annotations

import math

import streamlit as st

from agents.algos.registry import algorithms, get_algo
from agents.config.presets import presets_for
from agents.config.run_config import ConfigError, RunConfig, build_config
from agents.config.schema import HyperParam
from agents.config.share import VIEW_KEYS, config_to_query, query_to_config
from envs.registry import ENVS, get_env
from envs.shaping_config import ShapingConfig, ShapingError
from ui.common import plain
from ui.shaping_form import load_shaping_into_widgets, shaping_controls, shaping_is_default, shaping_key

LOADED_FLAG = "cfg_loaded_from_url"


def hp_key(name: str) -> str:
    return f"hp_{name}"


def load_config_into_widgets(config: RunConfig) -> None:
    """Put every value of ``config`` into the widgets' session state (before they are drawn)."""
    state = st.session_state
    state.cfg_env, state.cfg_algo, state.cfg_preset = config.env_id, config.algo, config.preset
    state.cfg_seed, state.cfg_timesteps = config.seed, config.total_timesteps
    state.cfg_stop_when_solved = config.stop_when_solved
    for name, value in config.hyperparams.items():
        state[hp_key(name)] = value
    load_shaping_into_widgets(config.shaping)


def load_from_url_once() -> list[str]:
    """On a tab's first visit, restore the configuration a link carries; return what was ignored."""
    if st.session_state.get(LOADED_FLAG):
        return []
    shared = query_to_config(st.query_params.to_dict())
    load_config_into_widgets(shared.config)
    st.session_state[LOADED_FLAG] = True
    return shared.warnings


def _reset_to_preset(env_id: str, algo_id: str, preset: str | None, *, keep_shaping: bool = True) -> None:
    """Load a preset's hyperparameters and budget; shaping stays unless the env changed (its names differ)."""
    shaping = {}
    if keep_shaping:
        try:
            shaping = ShapingConfig.from_dict({n: st.session_state[shaping_key(n)] for n in vars(ShapingConfig())})
            shaping.validate(env_id)
        except (ShapingError, ValueError, KeyError):
            shaping = {}
    seed = st.session_state.get("cfg_seed", 0)
    load_config_into_widgets(build_config(env_id, algo_id, preset=preset, seed=seed, shaping=shaping))


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


def _float_step(param: HyperParam) -> float:
    """A +/- step that suits the parameter's scale (fixed per parameter so the widget keeps its identity)."""
    if param.log and isinstance(param.default, int | float) and param.default:
        return float(10 ** math.floor(math.log10(abs(float(param.default)))))
    span = (param.high or 1.0) - (param.low or 0.0)
    return 0.01 if span <= 1.0 else float(round(span / 100, 6))


def param_widget(param: HyperParam, *, disabled: bool = False) -> None:
    """Draw one hyperparameter's widget; its value stays in session state under ``hp_<name>``."""
    key, label, help_text = hp_key(param.name), param.name, param.help
    if param.kind == "bool":
        st.toggle(label, key=key, help=help_text, disabled=disabled)
    elif param.kind == "choice":
        st.selectbox(label, param.choices, key=key, help=help_text, disabled=disabled)
    elif param.allow_auto:
        st.session_state[key] = str(st.session_state.get(key, param.default))
        st.text_input(label, key=key, help=f"{help_text} Type a number or 'auto'.", disabled=disabled)
    elif param.kind == "int":
        low = min(int(param.low or 0), *param.special) if param.special else int(param.low or 0)
        st.number_input(
            label, min_value=low, max_value=int(param.high or 10**9), step=1, key=key, help=help_text, disabled=disabled
        )
    else:
        st.session_state[key] = float(st.session_state.get(key, param.default))
        st.number_input(
            label,
            min_value=float(param.low or 0.0),
            max_value=float(param.high or 1e9),
            step=_float_step(param),
            format="%g",
            key=key,
            help=help_text,
            disabled=disabled,
        )


def config_sidebar(*, disabled: bool = False) -> tuple[RunConfig | None, str | None]:
    """Draw the configuration controls; return the configuration they describe, or why it cannot run."""
    state = st.session_state
    st.selectbox(
        "Environment",
        list(ENVS),
        key="cfg_env",
        on_change=_on_env_change,
        disabled=disabled,
        format_func=lambda e: f"{ENVS[e].title} ({e})",
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
        format_func=lambda p: {"demo": "Demo (fast on a CPU)", "zoo": "RL Zoo tuned"}.get(p, "SB3 defaults"),
        help=presets[state.cfg_preset].note,
    )

    cols = st.columns(2)
    cols[0].number_input(
        "Seed",
        min_value=0,
        max_value=2**31 - 1,
        step=1,
        key="cfg_seed",
        disabled=disabled,
        help="Same seed, same configuration: the same run (on the same machine).",
    )
    cols[1].number_input(
        "Steps",
        min_value=1_000,
        max_value=5_000_000,
        step=10_000,
        key="cfg_timesteps",
        disabled=disabled,
        help="Training budget in environment steps.",
    )
    state.setdefault("cfg_stop_when_solved", False)
    st.toggle(
        "Stop when solved",
        key="cfg_stop_when_solved",
        disabled=disabled,
        help="End the run as soon as the mean return of the last 20 episodes reaches the env's threshold.",
    )

    with st.expander("Hyperparameters", expanded=False):
        for param in algo.schema:
            if hp_key(param.name) not in state:
                state[hp_key(param.name)] = param.default
            param_widget(param, disabled=disabled)

    with st.expander("Reward shaping", expanded=not shaping_is_default()):
        shaping, shaping_problem = shaping_controls(env, disabled=disabled, learner_gamma=state.get(hp_key("gamma")))
    if shaping is None:
        return None, shaping_problem

    overrides = {p.name: state[hp_key(p.name)] for p in algo.schema}
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
    except ConfigError as error:
        st.error(plain(str(error)))
        return None, str(error)
    return config, None


def mirror_into_url(config: RunConfig) -> None:
    """Keep the address bar a share link for what the widgets say (view keys such as ``run`` survive)."""
    kept = {k: st.query_params[k] for k in VIEW_KEYS if k in st.query_params}
    wanted = {**config_to_query(config), **kept}
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)
