"""Train every lesson's runs with fixed seeds and say whether each lesson's claim holds.

Why: a lesson promises an outcome ("the shaped agent reaches the flag, the sparse one does not"). This
script measures it with the app's own run code (``agents.runs.run.Run``, no evaluation episodes), one run at a
time, and prints a table per run and a verdict per lesson and seed. ``tests/test_lessons.py`` checks the
same claims on each lesson's own seed; this script can also try other seeds, to see how much a claim
depends on its seed. Wall-clock figures on a shared 2-core machine are noisy: read them as orders of
magnitude.

Usage (from the repository root)::

    python -m benchmarks.lessons_check                            # every lesson, on its own seed
    python -m benchmarks.lessons_check --lessons reward_scale     # one lesson
    python -m benchmarks.lessons_check --seeds 0 1 2 3            # other seeds (claims are stated for seed 0)

Runs whose configuration is identical (the CartPole lessons share their unshaped run) train once. Exits
with status 1 if any claim fails for any seed tried.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from collections.abc import Sequence

from agents.lessons.rewards import LESSONS, Lesson, LessonRun, RunOutcome, check_claim, get_lesson, train_and_measure

COLUMNS = (
    ("lesson", 20),
    ("variant", 30),
    ("seed", 4),
    ("true20", 8),
    ("shaped20", 10),
    ("ended20", 7),
    ("vloss_end", 10),
    ("solved@", 8),
    ("episodes", 8),
    ("wall_s", 6),
)
"""Table columns: true/shaped = mean return of the last 20 episodes; ended20 = of the last 20 episodes, how
many ended before the time limit (MountainCar: at the flag); vloss_end = final value loss (PPO)."""


def _number(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.3g}" if abs(value) >= 1e5 else f"{value:.{digits}f}"


def _row(cells: Sequence[str]) -> str:
    return "  ".join(str(cell)[:width].ljust(width) for cell, (_, width) in zip(cells, COLUMNS, strict=True))


def _with_seed(lesson: Lesson, seed: int) -> Lesson:
    return dataclasses.replace(lesson, runs=tuple(dataclasses.replace(run, seed=seed) for run in lesson.runs))


def _key(run: LessonRun) -> str:
    return json.dumps(run.config().to_dict(), sort_keys=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lessons_check", description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="+", choices=list(LESSONS), default=list(LESSONS))
    parser.add_argument("--seeds", nargs="+", type=int, help="seeds to try (default: each lesson's own)")
    args = parser.parse_args(argv)

    cache: dict[str, RunOutcome] = {}
    verdicts: list[tuple[str, int, list[str]]] = []
    print(_row([name for name, _ in COLUMNS]), flush=True)
    for lesson_id in args.lessons:
        lesson = get_lesson(lesson_id)
        for seed in args.seeds or sorted({run.seed for run in lesson.runs}):
            variant = _with_seed(lesson, seed)
            outcomes: dict[str, RunOutcome] = {}
            for run in variant.runs:
                key = _key(run)
                if key not in cache:
                    cache[key] = train_and_measure(run)
                outcome = outcomes[run.label] = cache[key]
                metrics = outcome.metrics
                print(
                    _row(
                        [
                            lesson_id,
                            run.label,
                            str(seed),
                            _number(metrics["true_return_last20"]),
                            _number(metrics["shaped_return_last20"]),
                            _number(metrics["terminated_last20"], 0),
                            _number(metrics["value_loss_end"], 2),
                            "-" if outcome.solved_at_step is None else str(outcome.solved_at_step),
                            str(outcome.episodes),
                            f"{outcome.wall_s:.1f}",
                        ]
                    ),
                    flush=True,
                )
            results = check_claim(variant, {label: outcome.metrics for label, outcome in outcomes.items()})
            verdicts.append((lesson_id, seed, [result.describe() for result in results if not result.holds]))

    print("\nclaims")
    for lesson_id, seed, failures in verdicts:
        print(f"  {lesson_id:<20} seed {seed:<4} {'holds' if not failures else 'FAILS'}")
        for failure in failures:
            print(f"      {failure}")
    return 1 if any(failures for _, _, failures in verdicts) else 0


if __name__ == "__main__":
    raise SystemExit(main())
