"""A sweep's definition in a share link: ``/sweeps?env=CartPole-v1&algo=ppo&method=grid&learning_rate=1e-4:1e-2``.

As with a run's link (:mod:`agents.config.share`), reading a link is reading untrusted input: every value goes
through the schema (:func:`~agents.sweeps.space.parse_space` for a space), anything unknown or invalid is
dropped with a warning that names it, and nothing in it is evaluated. A hyperparameter's key holds its space
(``auto``, ``low:high`` or ``v1,v2``); a space of one value fixes it for every trial.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from agents.algos.registry import get_algo
from agents.config.presets import presets_for
from agents.config.schema import HyperParamError
from agents.config.share import DEFAULT_ENV, MAX_KEYS, MAX_VALUE_CHARS
from agents.sweeps.definition import METHODS, SWEEP_FIELDS, SweepDefinition, SweepError, make_definition
from agents.sweeps.space import ParamSpace, parse_space
from envs.registry import ENVS, get_env

VIEW_KEYS = ("sweep",)
"""Query keys that say what to show (a running sweep's id), not what to search."""


@dataclass
class SharedSweep:
    """What a link asked for, as a valid definition (None: nothing usable), plus one warning per thing ignored."""

    definition: SweepDefinition | None
    warnings: list[str] = field(default_factory=list)


def definition_to_query(definition: SweepDefinition) -> dict[str, str]:
    """The query parameters that reproduce ``definition`` exactly."""
    query = {"env": definition.env_id, "algo": definition.algo, "method": definition.method}
    if definition.preset:
        query["preset"] = definition.preset
    for param in SWEEP_FIELDS:
        value = getattr(definition, param.name)
        if value != param.default:
            query[param.name] = param.to_text(value)
    if definition.timesteps is not None:
        query["timesteps"] = str(definition.timesteps)
    schema = get_algo(definition.algo).schema
    for name, value in definition.fixed.items():
        query[name] = schema.get(name).to_text(value)
    for space in definition.spaces:
        query[space.name] = space.to_text()
    return query


def query_to_definition(query: Mapping[str, str | Sequence[str]]) -> SharedSweep:
    """Read a link into a definition; never raises for bad input, warns instead."""
    warnings: list[str] = []
    params: dict[str, str] = {}
    for count, (key, raw) in enumerate(query.items()):
        if count >= MAX_KEYS:
            warnings.append(f"ignored everything after the first {MAX_KEYS} parameters")
            break
        value = raw if isinstance(raw, str) else (list(raw) or [""])[-1]
        if key in VIEW_KEYS:
            continue
        if len(value) > MAX_VALUE_CHARS:
            warnings.append(f"ignored {_quote(key)}: its value is longer than {MAX_VALUE_CHARS} characters")
            continue
        params[key] = value
    env_id = params.pop("env", DEFAULT_ENV)
    if env_id not in ENVS:
        warnings.append(f"ignored env={_quote(env_id)}: unknown environment; using {DEFAULT_ENV}")
        env_id = DEFAULT_ENV
    env = get_env(env_id)
    algo_id = params.pop("algo", env.default_algo)
    try:
        algo = get_algo(algo_id)
        reason = algo.incompatibility(env)
    except ValueError:
        reason = "unknown algorithm"
    if reason:
        warnings.append(f"ignored algo={_quote(algo_id)}: {reason}; using {env.default_algo}")
        algo = get_algo(env.default_algo)
    method = params.pop("method", "random")
    if method not in METHODS:
        warnings.append(f"ignored method={_quote(method)}: grid or random; using random")
        method = "random"
    preset = params.pop("preset", None)
    if preset is not None and preset not in presets_for(env_id, algo.id):
        warnings.append(f"ignored preset={_quote(preset)}: no such preset for {algo.id} on {env_id}")
        preset = None
    settings: dict[str, object] = {}
    for param in SWEEP_FIELDS:
        if param.name in params:
            raw = params.pop(param.name)
            try:
                settings[param.name] = param.parse(raw)
            except HyperParamError as error:
                warnings.append(f"ignored {error}")
    timesteps = params.pop("timesteps", None)
    spaces: list[ParamSpace] = []
    fixed: dict[str, object] = {}
    for param in algo.schema:
        if param.name in params:
            try:
                space = parse_space(param, params.pop(param.name))
            except HyperParamError as error:
                warnings.append(f"ignored {error}")
                continue
            if space.fixed and space.values:
                fixed[param.name] = space.values[0]
            else:
                spaces.append(space)
    for key in params:
        warnings.append(f"ignored unknown parameter {_quote(key)}")
    try:
        definition = make_definition(
            env_id, algo.id, spaces, method=method, preset=preset, timesteps=timesteps, fixed=fixed, **settings
        )
    except SweepError as error:
        warnings.append(f"cannot be swept as it is: {error}")
        return SharedSweep(None, warnings)
    return SharedSweep(definition, warnings)


def _quote(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
