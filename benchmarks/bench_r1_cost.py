"""The R1 cost story, measured: what the true reward, a person's labels, automated labels and GRPO each cost.

One env, the same seeds, the app's own run code (what a user's run does, cost meter included): PPO on the env's
true reward; PPO on a reward learned from 100 oracle labels (automated); the same run with its labels priced as
a person's, at Christiano et al.'s 3-5 s a label (a person labels the same pairs no faster than the oracle's
answers would teach); and GRPO (no value network) on the true reward. The lesson ``r1_cost`` in
``agents/lessons/lessons.yml`` is these runs with seed 0; its claims are checked by ``tests/test_lessons.py``.

    nice python -m benchmarks.bench_r1_cost                 # seeds 0-2
    nice python -m benchmarks.bench_r1_cost --seeds 0

Columns: true return (mean of the last 20 training episodes: the env's own reward, whatever the agent was paid),
the worker's CPU seconds, env steps (training plus the steps played only for feedback clips), trainable
parameters by part, labels, and the labeller's time: the oracle's measured seconds, or a person's priced.
Prints a Markdown table (medians over the seeds) and one JSON object per run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import asdict, dataclass

from agents.lessons.rewards import LESSONS, LessonRun
from agents.runs.run import Run, RunStatus

LESSON_ID = "r1_cost"
PERSON_S_PER_LABEL = (3.0, 5.0)
"""A person's seconds per label (Christiano et al. 2017)."""
MEANING = {
    "PPO, the env's true reward": "the baseline: a reward someone wrote down, no labels",
    "PPO, reward from 100 automated labels": "the R1 way for checkable tasks: a program answers, no person waits",
    "PPO, reward from 100 labels by a person": "the same run, its labels priced at a person's 3-5 s each",
    "GRPO, the env's true reward": "R1's algorithm: no value network, a group of attempts per start instead",
}
"""What each line of the table means, in a sentence (the lesson says it at more length)."""


@dataclass
class Row:
    label: str
    seed: int
    true_return: float
    cpu_s: float
    env_steps: int
    params: dict[str, int]
    labels: int
    labeller_s: float | None
    """Seconds a labeller spent on the labels: the oracle's measured time (None: no labels)."""


def run_variant(variant: LessonRun, seed: int, timesteps: int | None = None) -> Row:
    """Train one variant with ``seed`` to the end of its budget (blocking) and read its cost meter."""
    config = LessonRun(**{**asdict(variant), "seed": seed, "timesteps": timesteps or variant.timesteps}).config()
    run = Run(config, record_episodes=False)
    run.start()
    run.join()
    if run.status != RunStatus.FINISHED:
        raise RuntimeError(f"{variant.label}, seed {seed}: {run.status}: {run.error or run.end_reason}")
    snapshot = run.snapshot()
    cost = snapshot.cost
    assert cost is not None
    state = run.labelling.view().state
    returns = snapshot.episode_true_returns[-20:]
    return Row(
        label=variant.label,
        seed=seed,
        true_return=round(sum(returns) / len(returns), 1),
        cpu_s=round(cost.cpu_s, 1),
        env_steps=cost.learning_env_steps,
        params=dict(cost.params),
        labels=cost.total_labels,
        labeller_s=round(sum(state.labeling_s_by_source.values()), 4) if state and state.labels_used else None,
    )


def table(rows: list[Row]) -> str:
    """Medians over the seeds, one line per variant, and the person's line from the automated one."""
    lines = [
        "| | true return (median, each seed) | CPU s | env steps | parameters | labels | labeller's time |",
        "|---|---|---|---|---|---|---|",
    ]
    labels_in_order = list(dict.fromkeys(row.label for row in rows))
    for label in labels_in_order:
        group = [row for row in rows if row.label == label]
        each = ", ".join(f"{row.true_return:.0f}" for row in group)
        params = " + ".join(f"{count:,} {part}" for part, count in group[0].params.items())
        median_cpu = statistics.median(row.cpu_s for row in group)
        steps = f"{statistics.median(row.env_steps for row in group):,.0f}"
        lines.append(
            f"| {label} | {statistics.median(r.true_return for r in group):.0f} ({each}) | {median_cpu:.1f} "
            f"| {steps} | {params} | {group[0].labels} | {_labeller(group)} |"
        )
        if group[0].labels:
            low, high = (group[0].labels * s / 60 for s in PERSON_S_PER_LABEL)
            person = f"PPO, reward from {group[0].labels} labels by a person"
            lines.append(
                f"| {person} | as above | {median_cpu:.1f} + the person | {steps} | {params} "
                f"| {group[0].labels} (a person's) | {low:.0f}-{high:.0f} min of a person |"
            )
    return "\n".join(lines)


def _labeller(group: list[Row]) -> str:
    seconds = [row.labeller_s for row in group if row.labeller_s is not None]
    if not seconds:
        return "-"
    return f"{statistics.median(seconds) * 1000:.1f} ms of CPU (the oracle)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--timesteps", type=int, help="every run's budget (default: the lesson's)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    lesson = LESSONS[LESSON_ID]
    rows = []
    started = time.perf_counter()
    for seed in args.seeds:
        for variant in lesson.runs:  # seeds outermost: every variant of a seed sees about the same load
            rows.append(run_variant(variant, seed, args.timesteps))
            print(json.dumps(asdict(rows[-1])), flush=True)
    print()
    steps = args.timesteps or lesson.runs[0].timesteps
    print(f"{lesson.runs[0].env_id}, {steps:,} steps, seeds {', '.join(map(str, args.seeds))}")
    print(table(rows))
    print()
    for label, meaning in MEANING.items():
        print(f"- {label}: {meaning}")
    print(f"\nload average at start: {load:.1f} on {os.cpu_count()} cores; {time.perf_counter() - started:.0f} s wall")


if __name__ == "__main__":
    main()
