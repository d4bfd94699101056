"""Configurations in share links: one field list drives both writing and reading the URL.

Like TensorFlow Playground's ``state.ts``, every field of the Train page lives in the query string under
its own name (``/train?env=Acrobot-v1&algo=a2c&learning_rate=0.0007&seed=3``); values equal to what the
env, algorithm and preset would give anyway are left out. Reading a link is reading untrusted input:
each value goes through the same schema as a typed one, and anything unknown or invalid falls back to
its default with a warning that names it. Nothing in a URL is ever evaluated.

A run that learns from preferences (the feedback lab, ``/feedback``) carries its feedback settings the same way, one
table (:data:`~agents.feedback.config.FEEDBACK_FIELDS`, plus the rule) driving both directions: ``feedback`` (who
labels) always, the rest (``labels``, ``fragment_length``, ``label_noise``, ...) when not the default, and the
``rule`` of a rule labeler, which passes the reward-expression allow-list on the way in. Labels themselves never
travel in a link: they live in the run's folder.

Settings changed while a run trained travel as its ``schedule`` (``schedule=learning_rate=0:0.0003,20000:0.0001``,
:mod:`agents.config.schedule`'s text form), parsed and checked against each setting's bounds and the budget; a
schedule that fails is dropped with a warning naming why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

from agents.algos.registry import get_algo
from agents.config.fields import SEED, STOP_WHEN_SOLVED, TIMESTEPS
from agents.config.presets import default_preset, presets_for
from agents.config.run_config import ConfigError, RunConfig, build_config, check_preferences
from agents.config.schedule import ScheduleError, check_schedule, parse_schedule_text, schedule_to_text
from agents.config.schema import HyperParamError, parse_bool
from agents.feedback.config import FEEDBACK_FIELDS, FeedbackConfig, FeedbackConfigError, initial_labels_for
from envs.registry import ENVS, EnvInfo, get_env
from envs.shaping_config import ShapingConfig, ShapingError

DEFAULT_ENV = "CartPole-v1"
VIEW_KEYS = ("run", "hide_controls", "ctl", "control", "tab", "lesson", "present")
"""Query keys that say how to show the page, not what to train; kept out of the configuration."""
MAX_VALUE_CHARS = 400
MAX_KEYS = 100
SHAPING_KEYS = tuple(f.name for f in fields(ShapingConfig))
FEEDBACK_KEYS = (*FEEDBACK_FIELDS.names, "rule")
"""A link's feedback settings: every field of :class:`~agents.feedback.config.FeedbackConfig`."""
DEFAULT_LAB_ENV, LAB_ALGO = "Pendulum-v1", "ppo"
"""The feedback lab's env when a link names none (or one that cannot learn from preferences), and its algorithm
when a link names none."""


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
    if config.feedback is not None:
        query.update(feedback_to_query(config.feedback))
    if config.schedule:
        query["schedule"] = schedule_to_text(config.schedule)
    return query


def feedback_to_query(feedback: FeedbackConfig) -> dict[str, str]:
    """The link's feedback fields: who labels always (it marks a lab link), others when not their default."""
    default = FeedbackConfig()
    query = {"feedback": feedback.feedback}
    for param in FEEDBACK_FIELDS.params:
        value = getattr(feedback, param.name)
        if param.name != "feedback" and value != getattr(default, param.name):
            query[param.name] = param.to_text(value)
    if feedback.feedback == "rule":
        query["rule"] = feedback.rule
    return query


def _feedback_settings(params: dict[str, str], env: EnvInfo, warnings: list[str]) -> dict[str, str]:
    """Take the link's feedback fields out of ``params``, each checked as a typed one would be; a field that is out
    of bounds, or does not fit the others, is dropped with a warning. A rule that fails the reward-expression
    allow-list is dropped, and the oracle labels instead."""
    raw = {key: params.pop(key) for key in FEEDBACK_KEYS if key in params}
    for param in FEEDBACK_FIELDS.params:
        if param.name in raw:
            try:
                param.parse(raw[param.name])
            except HyperParamError as error:
                warnings.append(f"ignored {param.name}: {error}; using the default")
                del raw[param.name]
    for _ in FEEDBACK_KEYS:  # each pass drops one field at fault
        if "labels" in raw and "initial_labels" not in raw:  # as the lab's form: never more first labels than labels
            raw["initial_labels"] = str(initial_labels_for(int(FEEDBACK_FIELDS.get("labels").parse(raw["labels"]))))
        try:
            FeedbackConfig.parse(raw, env.feature_names)
            return raw
        except FeedbackConfigError as error:
            fault = error.field if error.field in raw else "feedback"
            if fault == "rule" or (fault == "feedback" and raw.get("feedback") == "rule"):
                warnings.append(f"ignored the rule {_quote(raw.pop('rule', ''))}: {error}; the oracle labels instead")
                raw["feedback"] = "oracle"
            else:
                warnings.append(f"ignored {fault}: {error}; using the default")
                raw.pop(fault, None)
    return {"feedback": "oracle"}


def query_to_config(query: Mapping[str, str | Sequence[str]], *, lab: bool = False) -> SharedConfig:
    """Read a link's query into a valid configuration; never raises for bad input, warns instead.

    ``lab``: the link is the feedback lab's, so the run learns from preferences even when the link names no
    labeler (the oracle then), on an env that can (:data:`DEFAULT_LAB_ENV` otherwise)."""
    warnings: list[str] = []
    params = _single_values(query, warnings)
    lab = lab or "feedback" in params
    default_env = DEFAULT_LAB_ENV if lab else DEFAULT_ENV

    env_id = params.pop("env", default_env)
    if env_id not in ENVS:
        warnings.append(f"ignored env={_quote(env_id)}: unknown environment; showing {default_env}")
        env_id = default_env
    if lab and _cannot_learn_from_preferences(get_env(env_id)):
        warnings.append(f"ignored env={_quote(env_id)}: {_cannot_learn_from_preferences(get_env(env_id))}")
        env_id = DEFAULT_LAB_ENV
    env = get_env(env_id)

    algo_id = params.pop("algo", LAB_ALGO if lab and not get_algo(LAB_ALGO).incompatibility(env) else env.default_algo)
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

    feedback = _feedback_settings(params, env, warnings) if lab else None
    shaping: dict[str, str] = {}
    for key in SHAPING_KEYS:
        if key in params and feedback is not None:
            warnings.append(f"ignored {key}: a reward learned from preferences replaces the env's reward")
            params.pop(key)
        elif key in params:
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
    schedule: dict[str, list[tuple[str, str]]] = {}
    if "schedule" in params:
        try:
            schedule = parse_schedule_text(params.pop("schedule"))
        except ScheduleError as error:
            warnings.append(f"ignored {error}")
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
            feedback=feedback,
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
            feedback=feedback,
            stop_when_solved=stop_when_solved,
        )
    if schedule:
        config = _with_schedule(config, schedule, warnings)
    return SharedConfig(config, warnings)


def _with_schedule(config: RunConfig, raw: Mapping[str, list[tuple[str, str]]], warnings: list[str]) -> RunConfig:
    """``config`` with the link's schedule, checked against its live settings and budget; unchanged, with a
    warning, if the schedule fails."""
    try:
        return replace(config, schedule=check_schedule(raw, config.live_params(), config.total_timesteps))
    except ScheduleError as error:
        warnings.append(f"ignored {error}")
        return config


def _cannot_learn_from_preferences(env: EnvInfo) -> str:
    try:
        check_preferences(env)
    except ConfigError as error:
        return str(error)
    return ""


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
