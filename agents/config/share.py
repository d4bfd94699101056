"""Configurations in share links: one field list drives both writing and reading the URL.

Like TensorFlow Playground's ``state.ts``, every field of the Train page lives in the query string under
its own name (``/train?env=Acrobot-v1&algo=a2c&learning_rate=0.0007&seed=3``); values equal to what the
env, algorithm and preset would give anyway are left out. Reading a link is reading untrusted input:
each value goes through the same schema as a typed one, and anything unknown or invalid falls back to
its default with a warning that names it. Nothing in a URL is ever evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

from agents.algos.registry import get_algo
from agents.config.fields import SEED, STOP_WHEN_SOLVED, TIMESTEPS
from agents.config.presets import default_preset, presets_for
from agents.config.run_config import ConfigError, RunConfig, build_config
from agents.config.schema import HyperParamError, parse_bool
from envs.registry import ENVS, get_env
from envs.shaping_config import ShapingConfig, ShapingError

DEFAULT_ENV = "CartPole-v1"
VIEW_KEYS = ("run", "hide_controls", "ctl", "control", "tab", "lesson", "present")
"""Query keys that say how to show the page, not what to train; kept out of the configuration."""
MAX_VALUE_CHARS = 400
MAX_KEYS = 100
SHAPING_KEYS = tuple(f.name for f in fields(ShapingConfig))


@dataclass
class SharedConfig:
    """What a link asked for, as a valid configuration, plus one warning per thing that was ignored."""

    config: RunConfig
    warnings: list[str] = field(default_factory=list)


def config_to_query(config: RunConfig) -> dict[str, str]:
    """The query parameters that reproduce ``config`` exactly (defaults left out)."""
    query = {"env": config.env_id, "algo": config.algo}
    preset = config.preset_info
    if preset.name != default_preset(config.env_id, config.algo).name:
        query["preset"] = preset.name
    algo = get_algo(config.algo)
    changes = config.preset_changes()
    for param in algo.schema:
        if param.name in changes:
            query[param.name] = param.to_text(config.hyperparams[param.name])
    if config.seed != 0:
        query["seed"] = str(config.seed)
    if config.stop_when_solved:
        query["stop_when_solved"] = "true"
    if "timesteps" in changes:
        query["timesteps"] = str(config.total_timesteps)
    for key, value in config.shaping.to_dict().items():
        query[key] = value if isinstance(value, str) else repr(float(value))
    return query


def query_to_config(query: Mapping[str, str | Sequence[str]]) -> SharedConfig:
    """Read a link's query into a valid configuration; never raises for bad input, warns instead."""
    warnings: list[str] = []
    params = _single_values(query, warnings)

    env_id = params.pop("env", DEFAULT_ENV)
    if env_id not in ENVS:
        warnings.append(f"ignored env={_quote(env_id)}: unknown environment; showing {DEFAULT_ENV}")
        env_id = DEFAULT_ENV
    env = get_env(env_id)

    algo_id = params.pop("algo", env.default_algo)
    try:
        algo = get_algo(algo_id)
        reason = algo.incompatibility(env)
        if reason:
            warnings.append(f"ignored algo={_quote(algo_id)}: {reason}")
            algo = get_algo(env.default_algo)
    except ValueError:
        warnings.append(f"ignored algo={_quote(algo_id)}: unknown algorithm; using {env.default_algo}")
        algo = get_algo(env.default_algo)

    preset = params.pop("preset", None)
    if preset is not None and preset not in presets_for(env_id, algo.id):
        warnings.append(f"ignored preset={_quote(preset)}: no such preset for {algo.id} on {env_id}")
        preset = None

    overrides: dict[str, str] = {}
    for param in algo.schema:
        if param.name in params:
            raw = params.pop(param.name)
            try:
                param.parse(raw)
                overrides[param.name] = raw
            except HyperParamError as error:
                warnings.append(f"ignored {param.name}: {error}; using the default")

    shaping: dict[str, str] = {}
    for key in SHAPING_KEYS:
        if key in params:
            raw = params.pop(key)
            try:
                ShapingConfig.from_dict({key: raw}).validate(env_id)
                shaping[key] = raw
            except (ShapingError, ValueError) as error:
                warnings.append(f"ignored {key}: {error}")

    run_fields: dict[str, object] = {}
    for param in (SEED, TIMESTEPS, STOP_WHEN_SOLVED):
        if param.name in params:
            raw = params.pop(param.name)
            try:
                run_fields[param.name] = param.parse(raw)
            except HyperParamError as error:
                warnings.append(f"ignored {param.name}: {error}")
    seed = run_fields.get("seed", 0)
    timesteps = run_fields.get("timesteps")
    stop_when_solved = run_fields.get("stop_when_solved", False)
    for key in params:
        warnings.append(f"ignored unknown parameter {_quote(key)}")

    try:
        config = build_config(
            env_id,
            algo.id,
            preset=preset,
            overrides=overrides,
            seed=seed,
            timesteps=timesteps,
            shaping=shaping,
            stop_when_solved=stop_when_solved,
        )
    except ConfigError as error:  # a combination of individually valid values (e.g. batch vs rollout)
        warnings.append(f"ignored the hyperparameters of this link: {error}")
        config = build_config(
            env_id,
            algo.id,
            preset=preset,
            seed=seed,
            timesteps=timesteps,
            shaping=shaping,
            stop_when_solved=stop_when_solved,
        )
    return SharedConfig(config, warnings)


def read_flag(query: Mapping[str, str | Sequence[str]], name: str, warnings: list[str]) -> bool:
    """A view flag of a link (``hide_controls``, ...) read with the one boolean vocabulary
    (:func:`~agents.config.schema.parse_bool`); absent is False, anything else is False with a warning."""
    raw = query.get(name)
    if raw is None:
        return False
    value = raw if isinstance(raw, str) else (list(raw) or [""])[-1]
    try:
        return parse_bool(value, name)
    except HyperParamError as error:
        warnings.append(f"ignored {error}")
        return False


def _single_values(query: Mapping[str, str | Sequence[str]], warnings: list[str]) -> dict[str, str]:
    """One string per key, view keys dropped, oversized or repeated values refused."""
    params: dict[str, str] = {}
    for count, (key, raw) in enumerate(query.items()):
        if count >= MAX_KEYS:
            warnings.append(f"ignored everything after the first {MAX_KEYS} parameters")
            break
        if key in VIEW_KEYS:
            continue
        values = [raw] if isinstance(raw, str) else list(raw)
        if len(values) != 1:
            warnings.append(f"{_quote(key)} was given {len(values)} times; using the last")
        value = values[-1] if values else ""
        if len(value) > MAX_VALUE_CHARS:
            warnings.append(f"ignored {_quote(key)}: its value is longer than {MAX_VALUE_CHARS} characters")
            continue
        params[key] = value
    return params


def _quote(text: str) -> str:
    """Quote untrusted text for a message, cut short."""
    return repr(text if len(text) <= 40 else text[:37] + "...")
