"""Configurations ranked by what it cost to solve: CPU seconds, not wall seconds.

One row per configuration (a :func:`~agents.analysis.seeds.seed_groups` group, one run per distinct seed): the seeds
that solved come first (more solved seeds rank higher), then the median CPU seconds to solve over the seeds that
solved (lower is better); configurations where no seed solved come last. CPU seconds, because wall time moves two
to three times with the load other work puts on the machine (measured on this 2-core server shared by several
runs), while the CPU seconds a run's worker spends hardly move.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agents.analysis.compare import RunCurve
from agents.analysis.seeds import seed_groups

WHY_CPU = (
    "Ranked by the CPU seconds each configuration needed to solve (median over its seeds that solved; more seeds "
    "solved rank first, configurations that never solved last). Not by wall time: wall time moves two to three times "
    "with how busy the machine is, CPU time far less."
)


@dataclass(frozen=True)
class CostRank:
    """One configuration's place in the ranking, with the cost figures it is ranked on."""

    rank: int
    label: str
    group: str
    seeds: int
    solved: int
    cpu_s_to_solve: float | None
    """Median CPU seconds to solve over the seeds that solved (None: none solved, or none measured it)."""
    steps_to_solve: float | None
    """Median env steps to solve over the same seeds."""
    wall_s_to_solve: float | None
    cpu_s: float | None
    """Median CPU seconds of all its seeds' runs so far."""
    params: int | None
    """Trainable parameters of one run (the same configuration builds the same networks)."""
    labels: int | None
    """Median preference labels per run."""
    labels_to_solve: float | None = None
    """Median preference labels the seeds that solved had learnt from when they solved (a person's take 3-5 s each)."""


def _median(values: Sequence[float | int | None]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return float(np.median(known)) if known else None


def rank_by_cpu_to_solve(curves: Sequence[RunCurve]) -> list[CostRank]:
    """Every configuration among ``curves`` with at least one started seed, best first (see the module docstring)."""
    unranked = []
    for group in seed_groups(curves):
        seeds = group.seeds
        if not seeds:
            continue
        solved = [c for c in seeds if c.solved_at_step is not None]
        costs = [c.cost for c in solved if c.cost is not None and c.cost.solved]
        every = [c.cost for c in seeds if c.cost is not None]
        unranked.append(
            CostRank(
                rank=0,
                label=group.label,
                group=group.key,
                seeds=len(seeds),
                solved=len(solved),
                cpu_s_to_solve=_median([c.cpu_s_to_solve for c in costs]),
                steps_to_solve=_median([c.steps_to_solve for c in costs]),
                wall_s_to_solve=_median([c.wall_s_to_solve for c in costs]),
                cpu_s=_median([c.cpu_s for c in every] or [c.cpu_s for c in seeds]),
                params=every[0].total_params if every else None,
                labels=None if not every else int(_median([c.total_labels for c in every]) or 0),
                labels_to_solve=_median([c.labels_to_solve for c in costs]),
            )
        )

    def order(row: CostRank) -> tuple[int, float]:
        if row.solved == 0:
            return (1, math.inf)
        return (-row.solved, row.cpu_s_to_solve if row.cpu_s_to_solve is not None else math.inf)

    ranked = sorted(unranked, key=order)  # stable: ties keep the order the runs were picked in
    return [CostRank(**{**row.__dict__, "rank": index}) for index, row in enumerate(ranked, start=1)]
