"""A run's whole configuration, resolved and validated before anything is allocated.

:func:`build_config` is the one door through which the Train page, the headless trainer and share links
turn untrusted input into a :class:`RunConfig`: unknown names, values out of bounds, incompatible choices
and what an algorithm's own checks refuse (a memory-hungry buffer) are refused here with one clear message
(:class:`ConfigError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from agents.algos.registry import AlgoInfo, UnknownAlgoError, get_algo
from agents.config.fields import (
    DEFAULT_WALL_S,
    MAX_SEED,
    MAX_TIMESTEPS,
    MAX_WALL,
    MAX_WALL_S,
    SEED,
    STOP_WHEN_SOLVED,
    TIMESTEPS,
)
from agents.config.presets import Preset, default_preset, presets_for
from agents.config.schedule import Change, Schedule, ScheduleError, changes, check_schedule, live_params, with_change
from agents.config.schema import HyperParam, HyperParamError, Value, format_value
from agents.feedback.config import FeedbackConfig, FeedbackConfigError
from envs.registry import EnvInfo, UnknownEnvError, get_env
from envs.shaping_config import ShapingConfig, ShapingError

__all__ = [
    "DEFAULT_WALL_S",
    "MAX_SEED",
    "MAX_TIMESTEPS",
    "MAX_WALL_S",
    "ConfigError",
    "RunConfig",
    "build_config",
    "seed_configs",
]


NAMED_CHANGES = 3
"""How many changes from the preset a configuration's label names before it counts the rest."""


class ConfigError(ValueError):
    """A configuration that cannot run; the message says what to change, ``field`` which setting is at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        """The hyperparameter, run field (``seed``, ``timesteps``...) or shaping setting at fault; None if
        the problem is not one field's (an unknown env, an incompatible algorithm)."""


@dataclass(frozen=True)
class RunConfig:
    """Everything needed to reproduce a run exactly."""

    env_id: str
    algo: str
    hyperparams: dict[str, Value]
    """Every hyperparameter of the algorithm's schema, resolved (defaults, then preset, then user's)."""
    seed: int = 0
    total_timesteps: int = 50_000
    stop_when_solved: bool = False
    """End the run as soon as the mean of the last 20 training episodes reaches the env's threshold."""
    max_wall_s: float = DEFAULT_WALL_S
    preset: str = ""
    shaping: ShapingConfig = field(default_factory=ShapingConfig)
    feedback: FeedbackConfig | None = None
    """Learn the reward from preferences (the feedback lab): the agent never sees the env's reward."""
    schedule: Schedule = field(default_factory=dict)
    """Settings changed while the run trains, ``{setting: ((step, value), ...)}`` (:mod:`agents.config.schedule`):
    a change made live is recorded here at the step it applied, so the configuration replays it."""

    @property
    def env_info(self) -> EnvInfo:
        return get_env(self.env_id)

    @property
    def algo_info(self) -> AlgoInfo:
        return get_algo(self.algo)

    @property
    def learner_gamma(self) -> float:
        """The learner's discount factor γ (every algorithm here has one; SB3's default 0.99 otherwise)."""
        return float(self.hyperparams.get("gamma", 0.99))

    @property
    def effective_shaping(self) -> ShapingConfig:
        """The shaping as trained and exported: a potential's γ left to follow the learner's is resolved to it."""
        return self.shaping.with_learner_gamma(self.learner_gamma)

    def warnings(self) -> list[str]:
        """Settings a person set apart that the learner needs equal: valid, but worth a warning beside them."""
        warning = self.shaping.potential_gamma_warning(self.learner_gamma)
        return [warning] if warning else []

    @property
    def preset_info(self) -> Preset:
        """The preset this configuration started from (the pair's default when its name is not one of them)."""
        return presets_for(self.env_id, self.algo).get(self.preset) or default_preset(self.env_id, self.algo)

    def live_params(self) -> list[HyperParam]:
        """The settings this run can change while it trains, each with its bounds."""
        return live_params(self.algo_info, self.shaping)

    def schedule_changes(self) -> list[Change]:
        """The schedule's entries by step, each with the value it replaced (what charts mark)."""
        return changes(self.schedule, self.hyperparams, self.shaping, self.total_timesteps)

    def with_change(self, name: str, step: int, value: float) -> RunConfig:
        """This configuration with ``name`` set to ``value`` from ``step`` on (a change made while training)."""
        return replace(self, schedule=with_change(self.schedule, name, step, value))

    def preset_changes(self) -> dict[str, tuple[Value, Value]]:
        """What differs from the preset: ``{name: (this value, the preset's value)}`` for each hyperparameter,
        and ``timesteps`` when the budget is not the preset's. Empty when the values are exactly the preset's."""
        preset = self.preset_info
        baseline = self.algo_info.schema.resolve(preset.hyperparams)
        changes: dict[str, tuple[Value, Value]] = {
            name: (value, baseline[name]) for name, value in self.hyperparams.items() if baseline.get(name) != value
        }
        budget = preset.timesteps or self.env_info.default_timesteps
        if self.total_timesteps != budget:
            changes["timesteps"] = (self.total_timesteps, budget)
        return changes

    def preset_label(self) -> str:
        """The preset's name, and what was changed from it: a preset's name never stands beside other values.

        ``demo``, ``demo with learning_rate 0.0005``, ``demo with learning_rate 0.0005, timesteps 40,000``; past
        :data:`NAMED_CHANGES` the rest are counted: ``zoo with gamma 0.98, n_steps 64, seed 3 and 2 more``."""
        changes = self.preset_changes()
        name = self.preset_info.name
        if not changes:
            return name
        named = [f"{key} {format_value(value)}" for key, (value, _) in list(changes.items())[:NAMED_CHANGES]]
        more = len(changes) - len(named)
        return f"{name} with {', '.join(named)}" + (f" and {more} more" if more else "")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (what a run folder stores)."""
        data = asdict(self)
        data["shaping"] = self.shaping.to_dict()
        data["feedback"] = self.feedback.to_dict() if self.feedback is not None else None
        data["schedule"] = {name: [list(entry) for entry in entries] for name, entries in self.schedule.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        """Rebuild and re-validate a stored configuration."""
        return build_config(
            str(data["env_id"]),
            str(data["algo"]),
            preset=None,
            overrides=dict(data.get("hyperparams", {})),
            seed=data.get("seed", 0),
            timesteps=data.get("total_timesteps"),
            stop_when_solved=data.get("stop_when_solved", False),
            max_wall_s=data.get("max_wall_s", DEFAULT_WALL_S),
            shaping=dict(data.get("shaping", {})),
            preset_name=str(data.get("preset", "")),
            feedback=data.get("feedback"),
            schedule=data.get("schedule") or {},
        )


def build_config(
    env_id: str,
    algo: str,
    *,
    preset: str | None = None,
    overrides: Mapping[str, object] | None = None,
    seed: object = 0,
    timesteps: object | None = None,
    stop_when_solved: object = False,
    max_wall_s: object = DEFAULT_WALL_S,
    shaping: Mapping[str, object] | ShapingConfig | None = None,
    preset_name: str | None = None,
    feedback: Mapping[str, object] | FeedbackConfig | None = None,
    schedule: Mapping[str, object] | None = None,
) -> RunConfig:
    """Resolve and check a configuration; raise :class:`ConfigError` with one clear line if it cannot run.

    ``preset`` names a preset of the pair (``demo``, ``zoo``, ``defaults``; None: the pair's default) whose
    hyperparameters and budget come before ``overrides``. ``timesteps`` None means the preset's budget.
    ``schedule``: settings changed while training, ``{setting: [(step, value), ...]}`` (checked against each
    setting's bounds and the budget, see :func:`~agents.config.schedule.check_schedule`).
    """
    try:
        env = get_env(env_id)
        algo_info = get_algo(algo)
    except (UnknownEnvError, UnknownAlgoError) as error:
        raise ConfigError(str(error)) from None
    reason = algo_info.incompatibility(env)
    if reason:
        raise ConfigError(reason)

    chosen = _choose_preset(env_id, algo, preset)
    try:
        hyperparams = algo_info.schema.resolve(chosen.hyperparams, overrides or {})
        algo_info.check_values(hyperparams, env)  # the algorithm's own rules across its values
    except HyperParamError as error:
        raise ConfigError(str(error), error.field) from None

    budget = (chosen.timesteps or env.default_timesteps) if timesteps is None else timesteps
    shaping_config = _shaping(shaping, env_id)
    feedback_config = _feedback(feedback, env, shaping_config)
    total_timesteps = int(_field(TIMESTEPS, budget))
    schedule_config = _schedule(schedule, live_params(algo_info, shaping_config), total_timesteps)
    return RunConfig(
        env_id=env_id,
        algo=algo,
        hyperparams=hyperparams,
        seed=int(_field(SEED, seed)),
        total_timesteps=total_timesteps,
        stop_when_solved=bool(_field(STOP_WHEN_SOLVED, stop_when_solved)),
        max_wall_s=float(_field(MAX_WALL, max_wall_s)),
        preset=preset_name if preset_name is not None else chosen.name,
        shaping=shaping_config,
        feedback=feedback_config,
        schedule=schedule_config,
    )


def seed_configs(config: RunConfig, count: int) -> list[RunConfig]:
    """*Run N seeds*: the configuration with seeds 0, 1, ... ``count - 1`` and nothing else changed.

    Seed ``k`` of them is the very configuration a single run with seed ``k`` trains (the reproducibility
    tests hold that it learns the same weights), so a group of seeds can be extended or checked one by one.
    """
    return [replace(config, seed=seed) for seed in range(count)]


def _choose_preset(env_id: str, algo: str, name: str | None) -> Preset:
    if name is None:
        return default_preset(env_id, algo)
    available = presets_for(env_id, algo)
    if name not in available:
        raise ConfigError(
            f"unknown preset {name!r} for {algo} on {env_id}; choose one of: {', '.join(available)}", "preset"
        )
    return available[name]


def _shaping(raw: Mapping[str, object] | ShapingConfig | None, env_id: str) -> ShapingConfig:
    try:
        config = raw if isinstance(raw, ShapingConfig) else ShapingConfig.from_dict(raw or {})
        config.validate(env_id)
    except ShapingError as error:
        raise ConfigError(str(error), error.field) from None
    return config


def _schedule(raw: Mapping[str, object] | None, params: list[HyperParam], total_timesteps: int) -> Schedule:
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError("schedule: expected {setting: [[step, value], ...]}", "schedule")
    entries: dict[str, list[tuple[object, object]]] = {}
    for name, items in raw.items():
        if not isinstance(items, list | tuple) or not all(isinstance(i, list | tuple) and len(i) == 2 for i in items):
            raise ConfigError(f"schedule: {str(name)[:40]!r} needs a list of [step, value] pairs", "schedule")
        entries[str(name)] = [(step, value) for step, value in items]
    try:
        return check_schedule(entries, params, total_timesteps)
    except ScheduleError as error:
        raise ConfigError(str(error), "schedule") from None


def _feedback(
    raw: Mapping[str, object] | FeedbackConfig | None, env: EnvInfo, shaping: ShapingConfig
) -> FeedbackConfig | None:
    """Check feedback settings against the env and algorithm: a reward model reads a vector observation, and
    a learned reward replaces the env's, so shaping the env's reward as well means nothing."""
    if raw is None:
        return None
    try:
        config = raw if isinstance(raw, FeedbackConfig) else FeedbackConfig.parse(raw, env.feature_names)
        config.validate(env.feature_names)
    except FeedbackConfigError as error:
        raise ConfigError(str(error), error.field) from None
    check_preferences(env)
    if not shaping.is_identity():
        raise ConfigError(
            "a learned reward replaces the env's reward: turn reward shaping off to learn from preferences", "feedback"
        )
    return config


def check_preferences(env: EnvInfo) -> None:
    """Raise :class:`ConfigError` (field ``feedback``) if a reward cannot be learned from preferences on ``env``."""
    if env.no_preferences:
        raise ConfigError(f"{env.title}: {env.no_preferences}", "feedback")
    if env.obs_kind != "box":
        raise ConfigError(
            f"a reward learned from preferences needs vector observations; {env.id} has a discrete "
            "state: try CartPole, Pendulum, MountainCar, Acrobot or LunarLander",
            "feedback",
        )


def _field(param: HyperParam, raw: object) -> Value:
    try:
        return param.parse(raw)
    except HyperParamError as error:
        raise ConfigError(str(error), param.name) from None
