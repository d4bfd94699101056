"""Lessons: whole run configurations that each make one point about rewards, with what to watch for.

A teacher picks a lesson and gets up to four runs on the same env, seed and budget that differ in what the
lesson is about (their reward shaping, their feedback settings, or their algorithm), a short explanation, and
the outcome the lesson promises.
That promise is also data: each lesson's ``checks`` say which number, measured on which run, must be above
or below what. ``tests/test_lessons.py`` and ``benchmarks/lessons_check.py`` train every run with its fixed
seed and require every check to hold, so a lesson cannot quietly stop teaching what it says.

The lessons live in ``lessons.yml`` (prose is easier to edit there), loaded with ``yaml.safe_load`` and
checked strictly: an unknown key, or a run that sets its own env, seed or budget, is refused. Lessons whose runs
learn from preferences (``feedback``) belong to the Feedback lab, the others to the Train page (:attr:`Lesson.lab`).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from agents.config.run_config import RunConfig, build_config
from agents.lessons.metrics import METRICS, Metric, measure
from agents.runs.run import Run, RunStatus
from agents.runs.workers.inline import InlineExecutor
from agents.runs.workers.process import ProcessExecutor
from envs.registry import ENVS, get_env

__all__ = ["METRICS", "Metric", "measure"]  # the metrics live in agents.lessons.metrics; named here for callers

LESSONS_FILE = Path(__file__).with_name("lessons.yml")


class LessonError(ValueError):
    """A lesson file that cannot be used, or a lesson id that does not exist; the message says which."""


@dataclass(frozen=True)
class LessonRun:
    """One variant of a lesson: everything :func:`build_config` needs, as plain values."""

    label: str
    """What distinguishes this variant, e.g. "sparse reward (the env's own)"."""
    env_id: str
    algo: str
    preset: str | None
    overrides: dict
    seed: int
    timesteps: int
    shaping: dict
    feedback: dict | None = None
    """Feedback settings (:class:`~agents.feedback.config.FeedbackConfig`): the run learns its reward from labels."""

    def config(self) -> RunConfig:
        """The validated run configuration; it runs the whole budget, as the claim was measured."""
        return build_config(
            self.env_id,
            self.algo,
            preset=self.preset,
            overrides=self.overrides,
            seed=self.seed,
            timesteps=self.timesteps,
            shaping=self.shaping,
            feedback=self.feedback,
        )


@dataclass(frozen=True)
class Check:
    """One measurable part of a lesson's claim: ``metric`` of the run labelled ``run`` within bounds."""

    run: str
    metric: str
    at_least: float | None = None
    at_most: float | None = None

    def holds(self, value: float) -> bool:
        """False for a value that is not a number (e.g. no episodes finished): a claim needs evidence."""
        if not math.isfinite(value):
            return False
        return (self.at_least is None or value >= self.at_least) and (self.at_most is None or value <= self.at_most)

    def describe(self) -> str:
        bounds = [f">= {self.at_least:g}" if self.at_least is not None else ""]
        bounds.append(f"<= {self.at_most:g}" if self.at_most is not None else "")
        return f"{self.run}: {self.metric} {' and '.join(b for b in bounds if b)}"


@dataclass(frozen=True)
class Lesson:
    """A named comparison of runs that makes one point, with the outcome it promises."""

    id: str
    title: str
    summary: str
    """Two or three sentences: what it shows and why."""
    watch_for: str
    """What to look at on the charts (true vs shaped return curves)."""
    claim: str
    """The outcome the lesson promises, in words; ``checks`` is the same promise in numbers."""
    runs: tuple[LessonRun, ...]
    """One to four variants to compare, on the same env, seed and budget."""
    checks: tuple[Check, ...] = field(default=())
    flat_curve_envs: tuple[str, ...] = ()
    """Envs whose return stays flat by design until the agent first reaches the goal; a run on one of them
    that has not reached it yet gets a hint that points to this lesson (:func:`lesson_for_flat_curve`)."""
    flat_curve_hint: str = ""
    """Why such a curve is flat, in words for a learner."""

    @property
    def lab(self) -> bool:
        """True when a run learns from preferences: the lesson belongs to the Feedback lab, not the Train page."""
        return any(run.feedback for run in self.runs)

    def run(self, label: str) -> LessonRun:
        """The variant with this label (check labels name runs this way)."""
        for lesson_run in self.runs:
            if lesson_run.label == label:
                return lesson_run
        raise LessonError(f"lesson {self.id!r} has no run labelled {label!r}")


@dataclass(frozen=True)
class CheckResult:
    """A check next to the value measured for it."""

    check: Check
    value: float

    @property
    def holds(self) -> bool:
        return self.check.holds(self.value)

    def describe(self) -> str:
        return f"{self.check.describe()}: measured {self.value:.4g} -> {'holds' if self.holds else 'FAILS'}"


def check_claim(lesson: Lesson, measured: Mapping[str, Mapping[str, float]]) -> list[CheckResult]:
    """Compare each check of ``lesson`` with the metrics measured per run label."""
    return [CheckResult(check, measured[check.run][check.metric]) for check in lesson.checks]


@dataclass(frozen=True)
class RunOutcome:
    """What one lesson run did: its metrics, and facts for a report."""

    label: str
    metrics: dict[str, float]
    episodes: int
    solved_at_step: int | None
    wall_s: float


def train_and_measure(lesson_run: LessonRun) -> RunOutcome:
    """Train one run to the end of its budget (blocking) and measure it; see :func:`train_and_measure_all`."""
    return train_and_measure_all([lesson_run])[0]


def train_and_measure_all(lesson_runs: Sequence[LessonRun], at_once: int | None = None) -> list[RunOutcome]:
    """Train ``lesson_runs`` to the end of their budgets, ``at_once`` at a time (default: the cores), and measure
    each; blocking. Outcomes come in the given order.

    Each run trains in a worker process of its own, as the app trains it (a run alone, in a thread here), with
    ``record_episodes=False`` (nobody watches), so what is checked is what a user gets; a run's seed alone decides
    what it learns, whatever trains beside it (tests/test_reproducibility.py). ``wall_s`` is each run's own, from
    its start to its end. Raises :class:`RuntimeError` if a run does not finish (the others are stopped first).
    """
    limit = max(1, at_once or os.cpu_count() or 1)
    executor = ProcessExecutor() if limit > 1 else InlineExecutor()
    waiting = list(enumerate(lesson_runs))
    training: dict[int, tuple[Run, float]] = {}
    outcomes: dict[int, RunOutcome] = {}
    try:
        while waiting or training:
            while waiting and len(training) < limit:
                index, lesson_run = waiting.pop(0)
                run = Run(lesson_run.config(), record_episodes=False)
                run.start(executor)
                training[index] = (run, time.perf_counter())
            for index, (run, started) in list(training.items()):
                if run.join(0.1):  # ended, its worker gone and its last events in
                    del training[index]
                    outcomes[index] = _measured(lesson_runs[index], run, time.perf_counter() - started)
    finally:
        for run, _ in training.values():
            run.stop()
            run.join()
    return [outcomes[index] for index in range(len(lesson_runs))]


def _measured(lesson_run: LessonRun, run: Run, wall_s: float) -> RunOutcome:
    if run.status != RunStatus.FINISHED:
        raise RuntimeError(f"{lesson_run.label}: run ended {run.status}: {run.error or run.end_reason}")
    snapshot = run.snapshot()
    return RunOutcome(
        label=lesson_run.label,
        metrics=measure(snapshot, time_limit(run.config.env_id), run.labelling.view().state),
        episodes=len(snapshot.episode_returns),
        solved_at_step=snapshot.solved_at_step,
        wall_s=wall_s,
    )


@cache
def time_limit(env_id: str) -> int | None:
    """The env's episode step limit as built for training (None when it has none)."""
    env = get_env(env_id).make()
    try:
        return env.spec.max_episode_steps if env.spec is not None else None
    finally:
        env.close()


# --- loading ---------------------------------------------------------------------------------------------

_LESSON_KEYS = {"title", "summary", "watch_for", "claim", "shared", "runs", "checks", "flat_curve"}
_FLAT_CURVE_KEYS = {"envs", "hint"}
_SHARED_KEYS = {"env_id", "algo", "preset", "overrides", "seed", "timesteps"}
_RUN_KEYS = {"label", "shaping", "feedback", "algo", "preset", "overrides"}
"""A run's own settings; env, seed and budget are shared, so the comparison is fair."""
MAX_RUNS = 4
_CHECK_KEYS = {"run", "metric", "at_least", "at_most"}


def _require_keys(where: str, data: object, allowed: set[str], required: set[str]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise LessonError(f"{where} must be a mapping")
    unknown = set(data) - allowed
    if unknown:
        raise LessonError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    missing = required - set(data)
    if missing:
        raise LessonError(f"{where}: missing key(s) {', '.join(sorted(missing))}")
    return data


def _text(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LessonError(f"{where} must be non-empty text")
    return " ".join(value.split())


def _bound(where: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LessonError(f"{where} must be a finite number")
    return float(value)


def _parse_lesson(lesson_id: str, data: object) -> Lesson:
    where = f"lesson {lesson_id!r}"
    data = _require_keys(where, data, _LESSON_KEYS, _LESSON_KEYS - {"checks", "flat_curve"})
    shared = _require_keys(f"{where} shared", data["shared"], _SHARED_KEYS, _SHARED_KEYS)
    raw_runs = data["runs"]
    if not isinstance(raw_runs, list) or not 1 <= len(raw_runs) <= MAX_RUNS:
        raise LessonError(f"{where}: runs must be a list of one to {MAX_RUNS} variants")
    runs = []
    for index, raw in enumerate(raw_runs):
        entry = _require_keys(f"{where} run {index + 1}", raw, _RUN_KEYS, {"label"})
        preset = entry.get("preset", shared["preset"])
        runs.append(
            LessonRun(
                label=_text(f"{where} run {index + 1} label", entry["label"]),
                env_id=str(shared["env_id"]),
                algo=str(entry.get("algo", shared["algo"])),
                preset=None if preset is None else str(preset),
                overrides=dict(entry.get("overrides", shared["overrides"]) or {}),
                seed=int(shared["seed"]),
                timesteps=int(shared["timesteps"]),
                shaping=dict(entry.get("shaping") or {}),
                feedback=dict(entry["feedback"]) if entry.get("feedback") else None,
            )
        )
    labels = [run.label for run in runs]
    if len(set(labels)) != len(labels):
        raise LessonError(f"{where}: run labels must differ")
    checks = []
    for index, raw in enumerate(data.get("checks") or []):
        entry = _require_keys(f"{where} check {index + 1}", raw, _CHECK_KEYS, {"run", "metric"})
        check = Check(
            run=str(entry["run"]),
            metric=str(entry["metric"]),
            at_least=_bound(f"{where} check {index + 1} at_least", entry.get("at_least")),
            at_most=_bound(f"{where} check {index + 1} at_most", entry.get("at_most")),
        )
        if check.run not in labels:
            raise LessonError(f"{where} check {index + 1}: no run labelled {check.run!r}")
        if check.metric not in METRICS:
            raise LessonError(f"{where} check {index + 1}: unknown metric {check.metric!r}")
        if check.at_least is None and check.at_most is None:
            raise LessonError(f"{where} check {index + 1}: give at_least, at_most or both")
        checks.append(check)
    flat_envs: tuple[str, ...] = ()
    flat_hint = ""
    if "flat_curve" in data:
        flat = _require_keys(f"{where} flat_curve", data["flat_curve"], _FLAT_CURVE_KEYS, _FLAT_CURVE_KEYS)
        if not isinstance(flat["envs"], list) or not all(isinstance(e, str) and e in ENVS for e in flat["envs"]):
            raise LessonError(f"{where} flat_curve envs must be a list of known env ids")
        flat_envs, flat_hint = tuple(flat["envs"]), _text(f"{where} flat_curve hint", flat["hint"])
    return Lesson(
        id=lesson_id,
        title=_text(f"{where} title", data["title"]),
        summary=_text(f"{where} summary", data["summary"]),
        watch_for=_text(f"{where} watch_for", data["watch_for"]),
        claim=_text(f"{where} claim", data["claim"]),
        runs=tuple(runs),
        checks=tuple(checks),
        flat_curve_envs=flat_envs,
        flat_curve_hint=flat_hint,
    )


def load_lessons(path: Path = LESSONS_FILE) -> dict[str, Lesson]:
    """Read and check a lessons file (the configs themselves are validated by :meth:`LessonRun.config`)."""
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    if not isinstance(raw, Mapping):
        raise LessonError(f"{path.name} must map lesson ids to lessons")
    return {str(lesson_id): _parse_lesson(str(lesson_id), data) for lesson_id, data in raw.items()}


LESSONS: dict[str, Lesson] = load_lessons()


def get_lesson(lesson_id: str) -> Lesson:
    """Look up a lesson, with an error that lists the ones that exist."""
    try:
        return LESSONS[lesson_id]
    except KeyError:
        raise LessonError(f"unknown lesson {lesson_id!r}; choose one of: {', '.join(LESSONS)}") from None
