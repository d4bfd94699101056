"""Which runs are independent seeds of one configuration, and what their statistics can honestly claim.

A bootstrap band and an IQM summarise *independent* runs. Two runs of one configuration with the same seed are the
same experiment twice (on one machine they train identically up to where each stopped), so they are one sample, not
two: :func:`seed_groups` keeps one run per distinct seed (the one that got furthest) and sets the repeats aside.
:meth:`SeedGroup.notes` says in words what the page must not leave implied: repeated seeds, runs of different
lengths, a single seed, and too few seeds for the IQM to differ from the mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agents.analysis.compare import RunCurve

MIN_SEEDS_FOR_IQM = 4
"""rliable's IQM drops ``int(n / 4)`` runs from each end: with fewer than 4 seeds it drops none and equals the mean."""
MIN_SEEDS_FOR_CI = 3
"""A percentile bootstrap of the mean of 2 values resamples (a, a), (a, b) and (b, b): its "95% interval" is the two
runs' own range whatever their spread, a claim of confidence two runs cannot hold. From 3 seeds on it is drawn (still
wide and, below rliable's recommended 5 or more, optimistic: the page says how many seeds it rests on)."""


@dataclass(frozen=True)
class SeedGroup:
    """The runs of one configuration (one :func:`~agents.analysis.compare.group_key`), sorted by what they count as."""

    key: str
    label: str
    seeds: tuple[RunCurve, ...]
    """One run per distinct seed, with episodes: what the mean, band and IQM are computed over."""
    repeats: tuple[RunCurve, ...]
    """Runs of a seed that another run in ``seeds`` already stands for (it got at least as far)."""
    waiting: tuple[RunCurve, ...]
    """Runs without an episode yet (queued, or just started)."""

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    @property
    def shows_iqm(self) -> bool:
        """Whether the IQM can differ from the mean (4 seeds or more)."""
        return self.n_seeds >= MIN_SEEDS_FOR_IQM

    @property
    def shows_ci(self) -> bool:
        """Whether a bootstrap confidence interval of the mean says more than the runs' range (3 seeds or more)."""
        return self.n_seeds >= MIN_SEEDS_FOR_CI

    @property
    def lengths_differ(self) -> bool:
        return len({curve.trained_steps for curve in self.seeds}) > 1

    def notes(self) -> list[str]:
        """One sentence per thing the chart and table would otherwise claim without holding it."""
        notes = []
        if self.repeats:
            counts: dict[int | None, int] = {}
            for curve in (*self.seeds, *self.repeats):
                counts[curve.seed] = counts.get(curve.seed, 0) + 1
            repeated = ", ".join(f"seed {seed} {n} times" for seed, n in counts.items() if n > 1)
            notes.append(
                f"{len(self.repeats)} run{_s(len(self.repeats))} repeat{'' if len(self.repeats) != 1 else 's'} "
                f"a seed ({repeated}). The same seed is the same experiment again, not more evidence: the statistics "
                "use one run per seed, the one that trained longest."
            )
        if self.n_seeds == 1:
            notes.append(
                f"One seed only (seed {self.seeds[0].seed}): its line is that run, with no mean across seeds and no "
                "confidence band. Run more seeds to see how much the result varies."
            )
        if self.lengths_differ:
            steps = sorted(curve.trained_steps for curve in self.seeds)
            notes.append(
                f"The seeds trained for different lengths ({steps[0]:,} to {steps[-1]:,} steps): the mean and band "
                "are drawn only where every seed has data, and the final returns compare different stages of training."
            )
        if 1 < self.n_seeds < MIN_SEEDS_FOR_CI:
            notes.append(
                f"With {self.n_seeds} seeds no confidence interval is drawn: a bootstrap of {self.n_seeds} runs only "
                f"gives back their own range. The thin lines are the seeds themselves; run {MIN_SEEDS_FOR_CI} or more "
                "to see how sure the mean is."
            )
        if 1 < self.n_seeds < MIN_SEEDS_FOR_IQM:
            notes.append(
                f"With {self.n_seeds} seeds the IQM equals the mean (it trims a quarter of the runs from each end, "
                f"none below {MIN_SEEDS_FOR_IQM}), so it is not drawn. Run {MIN_SEEDS_FOR_IQM} or more seeds to see it."
            )
        return notes


def seed_groups(curves: Sequence[RunCurve]) -> list[SeedGroup]:
    """Curves grouped by configuration, in order of first appearance; within a group, one run per distinct seed.

    For a seed run more than once, the run that trained most steps stands for it (the first of them on a tie); a
    run whose seed is unknown (None) counts as a seed of its own.
    """
    grouped: dict[str, list[RunCurve]] = {}
    for curve in curves:
        grouped.setdefault(curve.group or curve.run_id, []).append(curve)
    groups = []
    for key, members in grouped.items():
        started = [curve for curve in members if curve.episodes]
        best: dict[object, RunCurve] = {}
        for curve in started:
            seed_key = curve.seed if curve.seed is not None else ("run", curve.run_id)
            held = best.get(seed_key)
            if held is None or curve.trained_steps > held.trained_steps:
                best[seed_key] = curve
        chosen = set(id(curve) for curve in best.values())
        groups.append(
            SeedGroup(
                key=key,
                label=members[0].group_label or members[0].label,
                seeds=tuple(curve for curve in started if id(curve) in chosen),
                repeats=tuple(curve for curve in started if id(curve) not in chosen),
                waiting=tuple(curve for curve in members if not curve.episodes),
            )
        )
    return groups


def _s(count: int) -> str:
    return "" if count == 1 else "s"
