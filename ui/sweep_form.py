"""The Sweeps page's form: env and algorithm, which hyperparameters to search and over what, grid or random search,
trials and seeds. Each space starts from the schema (:func:`~agents.sweeps.space.auto_space`); a range outside the
schema's bounds, and every other refusal, is shown under its own field, and Start stays off until it is fixed.
A link's definition (:mod:`agents.sweeps.share`) fills the form once per session."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from agents.algos.registry import compatible_algos, get_algo
from agents.config.fields import TIMESTEPS
from agents.config.presets import presets_for
from agents.config.schema import HyperParam, HyperParamError, Value, format_value
from agents.runs.workers import server_on_ray
from agents.sweeps.definition import (
    GRID_POINTS,
    METHODS,
    SEEDS,
    SWEEP_SEED,
    TRIALS,
    SweepDefinition,
    SweepError,
    Trial,
    make_definition,
)
from agents.sweeps.share import query_to_definition
from agents.sweeps.space import ParamSpace, auto_space, range_space, values_space
from envs.registry import ENVS, get_env
from ui.common import plain
from ui.inputs import checked, number_input, show_error

PREFIX = "sw_"
DEFAULT_PARAMS = ("learning_rate",)


@dataclass
class SweepForm:
    """What the form describes: a sweep ready to start, or the reason Start is off."""

    definition: SweepDefinition | None
    trials: list[Trial]
    problem: str | None
    early_stop: bool = False
    """On Ray: Ray Tune's ASHA stops trials that trail."""


def _key(*parts: str) -> str:
    return PREFIX + "_".join(parts)


def load_link() -> None:
    """Fill the form from the page's link, once per session (a later edit is never overwritten)."""
    state = st.session_state
    if state.get(_key("loaded")):
        return
    state[_key("loaded")] = True
    query = st.query_params.to_dict()
    if "env" not in query:
        return
    shared = query_to_definition(query)
    for warning in shared.warnings:
        st.warning(f"This link's sweep {plain(warning)}")
    if shared.definition is not None:
        _fill(shared.definition)


def _fill(definition: SweepDefinition) -> None:
    state = st.session_state
    state[_key("env")], state[_key("algo")], state[_key("method")] = (
        definition.env_id,
        definition.algo,
        definition.method,
    )
    state[_key("preset")] = definition.preset
    state[_key("params", definition.algo)] = [space.name for space in definition.spaces]
    for space in definition.spaces:
        name = space.name
        number = int if space.param.kind == "int" else float
        if space.is_range:
            state[_key(definition.algo, name, "low")] = number(space.low)  # type: ignore[arg-type]
            state[_key(definition.algo, name, "high")] = number(space.high)  # type: ignore[arg-type]
        elif space.param.kind in ("int", "float"):  # listed numbers
            state[_key(definition.algo, name, "list")] = True
            state[_key(definition.algo, name, "listed")] = space.to_text().replace(",", ", ")
        else:
            state[_key(definition.algo, name, "values")] = list(space.values)
    for param in (TRIALS, SEEDS, GRID_POINTS, SWEEP_SEED):
        state[_key(param.name)] = getattr(definition, param.name)
    state[_key("timesteps")] = definition.timesteps
    state[_key("fixed")] = dict(definition.fixed)


def sweep_form() -> SweepForm:
    """Draw the form; return the sweep it describes (its trials built and checked), or why it cannot start."""
    state = st.session_state
    if state.get(_key("env")) not in ENVS:
        state[_key("env")] = "CartPole-v1"
    st.selectbox("Environment", list(ENVS), key=_key("env"), format_func=lambda e: f"{ENVS[e].title} ({e})")
    env = get_env(state[_key("env")])
    algos = [algo.id for algo in compatible_algos(env)]
    if state.get(_key("algo")) not in algos:
        state[_key("algo")] = env.default_algo if env.default_algo in algos else algos[0]
    st.selectbox("Algorithm", algos, key=_key("algo"), format_func=lambda a: get_algo(a).title)
    algo = get_algo(state[_key("algo")])
    presets = list(presets_for(env.id, algo.id))
    if state.get(_key("preset")) not in presets:
        state[_key("preset")] = presets[0]
    st.selectbox("Preset the trials start from", presets, key=_key("preset"))

    names = algo.schema.names
    params_key = _key("params", algo.id)
    if params_key not in state:
        state[params_key] = [name for name in DEFAULT_PARAMS if name in names]
    state[params_key] = [name for name in state[params_key] if name in names]
    chosen = st.multiselect(
        "Hyperparameters to search",
        names,
        key=params_key,
        help="Each one's range starts around its default (a factor of 10 either side on a log scale, else half to "
        "one and a half times it), within what the Train page accepts; change it below.",
    )
    problems: list[str] = []
    spaces = [space for name in chosen if (space := _space_field(algo.schema.get(name), algo.id, problems))]
    slots, settings = _settings(problems)
    fixed = state.get(_key("fixed")) or {}
    fixed = {name: value for name, value in fixed.items() if name in names and name not in chosen}
    if fixed:
        st.caption("Set for every trial (from the link): " + plain(", ".join(f"{k} {v}" for k, v in fixed.items())))
    if problems:
        return SweepForm(None, [], problems[0])
    try:
        definition = make_definition(env.id, algo.id, spaces, preset=state[_key("preset")], fixed=fixed, **settings)
        trials = definition.make_trials()
    except SweepError as error:
        show_error(slots.get(error.field or "", None) or st.container(), str(error))
        return SweepForm(None, [], str(error))
    st.caption(f"{plain(definition.describe())}: {definition.run_count()} runs.")
    early_stop = False
    if server_on_ray():
        early_stop = st.toggle(
            "Stop trailing trials early (ASHA)",
            key=_key("early_stop"),
            help="Runs train on Ray and Ray Tune chooses the trials; its ASHA scheduler ends the trials whose metric "
            "trails the others' at a third, a ninth, ... of the step budget.",
        )
    return SweepForm(definition, trials, None, early_stop)


def _space_field(param: HyperParam, algo: str, problems: list[str]) -> ParamSpace | None:
    """One hyperparameter's space: a range (two number fields) for a number, the options to try for the rest."""
    state = st.session_state
    auto = auto_space(param)
    if param.kind in ("int", "float"):
        if st.toggle(f"List values of {param.name}", key=_key(algo, param.name, "list")):
            return _listed_field(param, algo, problems)
        low_key, high_key = _key(algo, param.name, "low"), _key(algo, param.name, "high")
        state.setdefault(low_key, auto.low)
        state.setdefault(high_key, auto.high)
        cols = st.columns(2)
        scale = " (log scale)" if auto.log else ""
        low_slot = number_input(param, low_key, label=f"{param.name} from", where=cols[0])
        high_slot = number_input(param, high_key, label=f"to{scale}", where=cols[1])
        low, high = checked(param, state[low_key], low_slot), checked(param, state[high_key], high_slot)
        if low is None or high is None:
            problems.append(f"{param.name}'s range")
            return None
        try:
            return range_space(param, low, high)
        except HyperParamError as error:
            show_error(high_slot, str(error))
            problems.append(str(error))
            return None
    values_key = _key(algo, param.name, "values")
    options: list[Value] = list(auto.values)
    state.setdefault(values_key, options)
    state[values_key] = [value for value in state[values_key] if value in options]
    picked = st.multiselect(param.name, options, key=values_key, format_func=format_value, help=param.help)
    slot = st.empty()
    try:
        return values_space(param, list(picked))
    except HyperParamError as error:
        show_error(slot, str(error))
        problems.append(str(error))
        return None


def _listed_field(param: HyperParam, algo: str, problems: list[str]) -> ParamSpace | None:
    """Numbers typed as a list (``32, 64, 128``), each checked by the schema; the refusal under the field."""
    key = _key(algo, param.name, "listed")
    st.session_state.setdefault(key, param.to_text(param.default))
    text = st.text_input(f"{param.name} values", key=key, help=f"Comma-separated. {param.help}", max_chars=400)
    slot = st.empty()
    try:
        return values_space(param, [part.strip() for part in text.split(",") if part.strip()])
    except HyperParamError as error:
        show_error(slot, str(error))
        problems.append(str(error))
        return None


def _settings(problems: list[str]) -> tuple[dict[str, DeltaGenerator], dict[str, object]]:
    """Method, trials or grid points, seeds, the draws' seed and each run's budget; each checked under its field."""
    state = st.session_state
    state.setdefault(_key("method"), "random")
    method = st.radio("Search", METHODS, key=_key("method"), horizontal=True, format_func=lambda m: f"{m} search")
    fields = [SEEDS] + ([TRIALS, SWEEP_SEED] if method == "random" else [GRID_POINTS])
    labels = {
        "trials": "Trials",
        "seeds": "Seeds per trial",
        "points": "Values per range",
        "sweep_seed": "Random draws' seed",
    }
    slots: dict[str, DeltaGenerator] = {}
    values: dict[str, object] = {"method": method}
    cols = st.columns(len(fields))
    for col, param in zip(cols, fields, strict=True):
        key = _key(param.name)
        state.setdefault(key, param.default)
        slots[param.name] = number_input(param, key, label=labels[param.name], where=col)
        value = checked(param, state[key], slots[param.name])
        if value is None:
            problems.append(labels[param.name])
        values[param.name] = value
    state.setdefault(_key("timesteps"), None)
    slots["timesteps"] = number_input(
        TIMESTEPS, _key("timesteps"), label="Steps per run", placeholder="the preset's budget", step=1000
    )
    raw = state[_key("timesteps")]
    if raw is not None:
        budget = checked(TIMESTEPS, raw, slots["timesteps"])
        if budget is None:
            problems.append("steps per run")
        values["timesteps"] = budget
    slots["trials"] = slots.get("trials") or st.container()
    return slots, values
