"""Settings changed while a run trains, as a schedule: ``{setting: ((step, value), ...)}``.

A person may change a few settings of a running run (the Train page's *Change while training*): the learning
rate, PPO and A2C's entropy coefficient, PPO's clip range, the exploration rate ε (DQN's and the tabular agents'),
and the reward-shaping weights the run uses. The worker applies a change between updates and reports the step at
which it applied; the run records it here, so the configuration says what was trained: a run started with the
same configuration, seed and schedule (from its share link, ``--schedule`` or its exported script) applies the
same values at the same steps and learns the same weights.

From ``step`` on, the setting's value is ``value``; before its first entry, the configuration's own value. Every
value is checked against its field's bounds (the algorithm's :class:`~agents.config.schema.HyperParam`, or the
shaping limits) and every step against the budget, before anything trains. The text form, used by links and the
CLI, is ``learning_rate=0:0.0003,20000:0.0001`` (one setting), settings joined by ``;``; it is parsed, never
evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agents.algos.registry import AlgoInfo
from agents.config.schema import HyperParam, HyperParamError, format_value
from envs.shaping_config import NUMBER_LIMITS, ShapingConfig

Schedule = dict[str, tuple[tuple[int, float], ...]]
"""``{setting: ((step, value), ...)}``, each setting's entries in increasing step order."""

MAX_ENTRIES = 50
"""At most this many entries per setting: a link or a run folder cannot grow without bound."""
MAX_TEXT_CHARS = 400
"""The longest schedule text read (a link's value is cut at the same length)."""

EXPLORATION_RATE = HyperParam(
    "exploration_rate",
    "float",
    0.05,
    "ε: the chance of a random action, from now on (DQN's and the tabular agents' exploration rate).",
    low=0.0,
    high=1.0,
)


@dataclass(frozen=True)
class LiveSetting:
    """A setting that can change while a run trains."""

    name: str
    """SB3's (or the shaping config's) own name, the schedule's key."""
    short: str
    """What a chart's marker calls it (``lr``)."""
    kind: str
    """``"hyper"`` (a hyperparameter of the algorithm's schema), ``"exploration"`` or ``"shaping"``."""


LIVE_SETTINGS: tuple[LiveSetting, ...] = (
    LiveSetting("learning_rate", "lr", "hyper"),
    LiveSetting("ent_coef", "ent_coef", "hyper"),
    LiveSetting("clip_range", "clip", "hyper"),
    LiveSetting("exploration_rate", "ε", "exploration"),
    LiveSetting("living_reward", "living reward", "shaping"),
    LiveSetting("potential_scale", "potential scale", "shaping"),
    LiveSetting("reward_scale", "reward scale", "shaping"),
)
_BY_NAME = {setting.name: setting for setting in LIVE_SETTINGS}
_SB3_ENTRY = "agents.algos.sb3."
_TABULAR_ENTRY = "agents.algos.tabular."
_HYPER_ALGOS = {"learning_rate": None, "ent_coef": ("ppo", "a2c"), "clip_range": ("ppo",)}
"""Which algorithms a changed hyperparameter applies to (None: every SB3 and tabular one with it in its schema)."""


class ScheduleError(HyperParamError):
    """A schedule that cannot be used; ``field`` is ``schedule``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "schedule")


def _learns_by_update(algo: AlgoInfo) -> bool:
    return algo.entry_point.startswith((_SB3_ENTRY, _TABULAR_ENTRY))


def live_params(algo: AlgoInfo, shaping: ShapingConfig) -> list[HyperParam]:
    """The settings a run of ``algo`` with ``shaping`` can change while it trains, each with its bounds.

    A shaping weight is offered only when the run shapes with it (a living reward that is not 0, a potential,
    a reward scale or clip): the others have no wrapper to change.
    """
    if not _learns_by_update(algo):
        return []
    params: list[HyperParam] = []
    names = set(algo.schema.names)
    for setting in LIVE_SETTINGS:
        if setting.kind == "hyper":
            allowed = _HYPER_ALGOS[setting.name]
            if setting.name in names and (allowed is None or algo.id in allowed):
                params.append(algo.schema.get(setting.name))
        elif setting.kind == "exploration":
            if "exploration_final_eps" in names:
                params.append(EXPLORATION_RATE)
        elif _shapes_with(shaping, setting.name):
            low, high = NUMBER_LIMITS[setting.name][:2]
            params.append(HyperParam(setting.name, "float", getattr(shaping, setting.name), "", low=low, high=high))
    return params


def _shapes_with(shaping: ShapingConfig, name: str) -> bool:
    if name == "living_reward":
        return shaping.living_reward != 0
    if name == "potential_scale":
        return bool(shaping.potential)
    return shaping.reward_scale != 1 or shaping.reward_clip != 0


def check_schedule(
    raw: Mapping[str, Iterable[tuple[object, object]]], params: Iterable[HyperParam], total_timesteps: int
) -> Schedule:
    """Parse and check untrusted schedule entries against the run's live ``params`` and its budget.

    Raises :class:`ScheduleError` naming the setting and the rule: an unknown or inapplicable setting, a step
    that is not a whole number in [0, total_timesteps], two values at one step, more than :data:`MAX_ENTRIES`
    entries, a value out of the setting's bounds.
    """
    by_name = {param.name: param for param in params}
    schedule: Schedule = {}
    for name, entries in raw.items():
        if name not in by_name:
            offered = ", ".join(by_name) or "none for this algorithm"
            raise ScheduleError(f"schedule: {name!r:.40} cannot change while this run trains (settings: {offered})")
        param = by_name[name]
        checked: dict[int, float] = {}
        for count, (raw_step, raw_value) in enumerate(entries):
            if count >= MAX_ENTRIES:
                raise ScheduleError(f"schedule: {name} has more than {MAX_ENTRIES} entries")
            step = _step(raw_step, name, total_timesteps)
            if step in checked:
                raise ScheduleError(f"schedule: {name} has two values at step {step:,}")
            try:
                checked[step] = float(param.parse(raw_value))
            except HyperParamError as error:
                raise ScheduleError(f"schedule: at step {step:,}, {error}") from None
        if checked:
            schedule[name] = tuple(sorted(checked.items()))
    return schedule


def _step(raw: object, name: str, total_timesteps: int) -> int:
    step_param = HyperParam("step", "int", 0, "", low=0, high=total_timesteps)
    try:
        return int(step_param.parse(raw))
    except HyperParamError as error:
        raise ScheduleError(f"schedule: {name}: {error} (the run's budget is {total_timesteps:,} steps)") from None


def parse_schedule_text(text: str) -> dict[str, list[tuple[str, str]]]:
    """Split ``learning_rate=0:3e-4,20000:1e-4;ent_coef=5000:0.01`` into raw entries (checked by
    :func:`check_schedule`); ScheduleError for text that is not of that form. Nothing is evaluated."""
    if len(text) > MAX_TEXT_CHARS:
        raise ScheduleError(f"schedule: longer than {MAX_TEXT_CHARS} characters")
    raw: dict[str, list[tuple[str, str]]] = {}
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        name, sep, entries = part.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ScheduleError(f"schedule: expected SETTING=STEP:VALUE,..., got {part!r:.40}")
        for entry in filter(None, (piece.strip() for piece in entries.split(","))):
            step, colon, value = entry.partition(":")
            if not colon:
                raise ScheduleError(f"schedule: {name}: expected STEP:VALUE, got {entry!r:.40}")
            raw.setdefault(name, []).append((step.strip(), value.strip()))
    return raw


def schedule_to_text(schedule: Schedule) -> str:
    """The text form :func:`parse_schedule_text` reads back exactly (floats by ``repr``)."""
    return ";".join(
        f"{name}=" + ",".join(f"{step}:{value!r}" for step, value in entries) for name, entries in schedule.items()
    )


def with_change(schedule: Schedule, name: str, step: int, value: float) -> Schedule:
    """The schedule with ``name`` set to ``value`` from ``step`` (an entry at that very step is replaced)."""
    entries = {s: v for s, v in schedule.get(name, ())}
    entries[step] = float(value)
    return {**schedule, name: tuple(sorted(entries.items()))}


def value_at(schedule: Schedule, name: str, step: int) -> float | None:
    """The scheduled value of ``name`` at ``step`` (its last entry at or before it); None before its first."""
    found = None
    for entry_step, value in schedule.get(name, ()):
        if entry_step > step:
            break
        found = value
    return found


@dataclass(frozen=True)
class Change:
    """One entry of a schedule, with the value it replaced (what a chart's marker says)."""

    name: str
    step: int
    value: float
    before: float | None

    def label(self) -> str:
        """``lr 0.0003 -> 0.0001 at 20k``."""
        short = _BY_NAME[self.name].short if self.name in _BY_NAME else self.name
        before = "" if self.before is None else f"{format_value(self.before)} -> "
        return f"{short} {before}{format_value(self.value)} at {_steps(self.step)}"


def changes(schedule: Schedule, hyperparams: Mapping[str, object], shaping: ShapingConfig, total: int) -> list[Change]:
    """Every entry of ``schedule`` as a :class:`Change`, by step, each with the value it replaced: the previous
    entry's, or before the first one the run's own (:func:`base_value`)."""
    found: list[Change] = []
    for name, entries in schedule.items():
        before = base_value(name, entries[0][0], hyperparams, shaping, total) if entries else None
        for step, value in entries:
            found.append(Change(name, step, value, before))
            before = value
    return sorted(found, key=lambda change: (change.step, change.name))


def base_value(
    name: str, step: int, hyperparams: Mapping[str, object], shaping: ShapingConfig, total: int
) -> float | None:
    """The value ``name`` has at ``step`` with no schedule: the hyperparameter or shaping weight, or the ε of the
    linear decay DQN and the tabular agents share (``exploration_initial_eps`` to ``exploration_final_eps`` over
    ``exploration_fraction`` of ``total`` steps). None if the run has no such setting."""
    if name == EXPLORATION_RATE.name:
        try:
            start, end = float(hyperparams["exploration_initial_eps"]), float(hyperparams["exploration_final_eps"])  # type: ignore[arg-type]
            fraction = float(hyperparams["exploration_fraction"])  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError):
            return None
        progress = step / total if total > 0 else 1.0
        return end if fraction <= 0 or progress >= fraction else start + progress * (end - start) / fraction
    value = hyperparams.get(name, getattr(shaping, name, None) if name in NUMBER_LIMITS else None)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _steps(step: int) -> str:
    if step >= 1_000_000 and step % 100_000 == 0:
        return f"{step / 1_000_000:g}M"
    if step >= 1000 and step % 100 == 0:
        return f"{step / 1000:g}k"
    return f"{step:,}"
