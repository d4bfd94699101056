"""Lessons seen from a run: which lesson a run belongs to, and which lesson explains what its curve does.

A run started from a lesson carries no mark of it; its configuration does (a lesson's variants differ only in
their shaping, and "Run N seeds" only in the seed), so the Compare page can label it with its variant's name.
A run whose return is flat by design (a sparse reward the agent has not yet collected) gets a hint that points
to the lesson about that.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache

from agents.config.run_config import RunConfig
from agents.lessons.rewards import LESSONS, Lesson, LessonRun, time_limit
from agents.runs.live import SOLVE_WINDOW, RunSnapshot


def lesson_for_flat_curve(env_id: str) -> Lesson | None:
    """The lesson that explains why a curve on ``env_id`` can stay flat by design, if any."""
    return next((lesson for lesson in LESSONS.values() if env_id in lesson.flat_curve_envs), None)


def flat_by_design(snapshot: RunSnapshot, env_id: str) -> bool:
    """True when each of the last 20 episodes ran to the env's time limit: none reached the goal, so with a sparse
    reward each earned the same return and the agent has had nothing to learn from yet."""
    limit = time_limit(env_id)
    lengths = snapshot.episode_lengths[-SOLVE_WINDOW:]
    return limit is not None and len(lengths) == SOLVE_WINDOW and min(lengths) >= limit


def _variant_key(config: RunConfig) -> str:
    data = config.to_dict()
    data.pop("seed")  # the seeds of a lesson's variant ("Run N seeds") are still that variant
    return json.dumps(data, sort_keys=True, default=str)


@cache
def _variants() -> dict[str, tuple[tuple[str, str], ...]]:
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    for lesson in LESSONS.values():
        for variant in lesson.runs:
            key = _variant_key(variant.config())
            found[key] = (*found.get(key, ()), (lesson.id, variant.label))
    return found


def lesson_variants(config: RunConfig) -> list[tuple[Lesson, LessonRun]]:
    """Every (lesson, variant) this configuration is, with any seed: several lessons may share a plain variant
    (CartPole's unshaped PPO run is the baseline of three); empty for a configuration of one's own."""
    return [
        (LESSONS[lesson_id], LESSONS[lesson_id].run(label))
        for lesson_id, label in _variants().get(_variant_key(config), ())
    ]


def lessons_in_view(configs: Sequence[RunConfig]) -> tuple[list[Lesson], list[LessonRun | None]]:
    """The lessons that runs of ``configs`` show side by side, and each run's variant in them (None: not a lesson's).

    A lesson is in view when a run is a variant of it alone (a shaped variant); a shared baseline then takes its
    label from the lesson in view, and alone it is no lesson's in particular.
    """
    matches = [lesson_variants(config) for config in configs]
    in_view: dict[str, Lesson] = {}
    for found in matches:
        if len(found) == 1:
            in_view.setdefault(found[0][0].id, found[0][0])
    variants = [next((variant for lesson, variant in found if lesson.id in in_view), None) for found in matches]
    return list(in_view.values()), variants
