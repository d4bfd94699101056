"""The comparison table: one row per run, then one per group of seeds, with bootstrap intervals of the mean and IQM.

The statistics follow rliable (Agarwal et al., 2021), as :mod:`agents.analysis.compare` does for the curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from agents.analysis.compare import WINDOW, RunCurve, bootstrap_mean_ci, interquartile_mean
from agents.analysis.seeds import seed_groups


@dataclass(frozen=True)
class SummaryRow:
    """One line of the comparison table: a run, or (``kind="group"``) the distinct seeds of one configuration."""

    kind: Literal["run", "group"]
    label: str
    group: str
    run_id: str | None
    n_runs: int
    """1 for a run; for a group, its distinct seeds (repeats of a seed are not counted twice)."""
    solved_runs: int
    steps_to_solve: float | None
    """A run's step at solving; for a group, the median over the runs that solved."""
    seconds_to_solve: float | None
    final_return: float | None
    """Mean true return of the last 20 episodes; for a group, the mean of that over its runs."""
    final_return_ci_low: float | None = None
    final_return_ci_high: float | None = None
    final_return_iqm: float | None = None
    """None below :data:`~agents.analysis.seeds.MIN_SEEDS_FOR_IQM` seeds, where it would only repeat the mean."""
    final_return_iqm_ci_low: float | None = None
    final_return_iqm_ci_high: float | None = None
    cpu_s: float | None = None
    """A run's CPU seconds; for a group, the mean over runs that report it."""
    cpu_s_to_solve: float | None = None
    """A run's CPU seconds when it solved; for a group, the median over the seeds that solved."""
    env_steps: float | None = None
    """Every env step a run took (training, evaluation and feedback clips); for a group, the median."""
    params: int | None = None
    """Trainable parameters of a run (all its networks or tables)."""
    labels: float | None = None
    """Preference labels a run learnt from; for a group, the median."""

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def summary_table(
    runs: Sequence[RunCurve], n_boot: int = 1000, ci: float = 0.95, rng_seed: int = 0, window: int = WINDOW
) -> list[SummaryRow]:
    """One row per run, then one aggregate row per group with two or more distinct seeds that have episodes.

    A group row summarises one run per distinct seed (:func:`~agents.analysis.seeds.seed_groups`); its IQM and
    the IQM's interval are None when there are too few seeds for the IQM to differ from the mean.
    """
    rows = [
        SummaryRow(
            kind="run",
            label=run.label,
            group=run.group,
            run_id=run.run_id,
            n_runs=1,
            solved_runs=int(run.solved_at_step is not None),
            steps_to_solve=None if run.solved_at_step is None else float(run.solved_at_step),
            seconds_to_solve=run.solved_at_s,
            final_return=run.final_return(window),
            cpu_s=run.cpu_s,
            cpu_s_to_solve=None if run.cost is None else run.cost.cpu_s_to_solve,
            env_steps=None if run.cost is None else float(run.cost.total_env_steps),
            params=None if run.cost is None else run.cost.total_params,
            labels=None if run.cost is None else float(run.cost.total_labels),
        )
        for run in runs
    ]
    for group in seed_groups(runs):
        members = group.seeds
        if group.n_seeds < 2:
            continue
        finals = np.array([r.final_return(window) for r in members], dtype=np.float64)
        mean, low, high = bootstrap_mean_ci(finals, n_boot=n_boot, ci=ci, rng_seed=rng_seed)
        iqm = interquartile_mean(finals)[0] if group.shows_iqm else None
        iqm_low, iqm_high = (
            bootstrap_iqm_ci(finals, n_boot=n_boot, ci=ci, rng_seed=rng_seed) if group.shows_iqm else (None, None)
        )
        solved = [r for r in members if r.solved_at_step is not None]
        timed = [r.solved_at_s for r in solved if r.solved_at_s is not None]
        cpu = [r.cpu_s for r in members if r.cpu_s is not None]
        costs = [r.cost for r in members if r.cost is not None]
        solved_costs = [c.cpu_s_to_solve for c in costs if c.cpu_s_to_solve is not None]
        rows.append(
            SummaryRow(
                kind="group",
                label=group.label,
                group=group.key,
                run_id=None,
                n_runs=int(finals.size),
                solved_runs=len(solved),
                steps_to_solve=float(np.median([r.solved_at_step for r in solved])) if solved else None,
                seconds_to_solve=float(np.median(timed)) if timed else None,
                final_return=float(mean[0]),
                final_return_ci_low=float(low[0]) if group.shows_ci else None,
                final_return_ci_high=float(high[0]) if group.shows_ci else None,
                final_return_iqm=None if iqm is None else float(iqm),
                final_return_iqm_ci_low=iqm_low,
                final_return_iqm_ci_high=iqm_high,
                cpu_s=float(np.mean(cpu)) if cpu else None,
                cpu_s_to_solve=float(np.median(solved_costs)) if solved_costs else None,
                env_steps=float(np.median([c.total_env_steps for c in costs])) if costs else None,
                params=costs[0].total_params if costs else None,
                labels=float(np.median([c.total_labels for c in costs])) if costs else None,
            )
        )
    return rows


def bootstrap_iqm_ci(
    values: np.ndarray, n_boot: int = 1000, ci: float = 0.95, rng_seed: int = 0
) -> tuple[float, float]:
    """Percentile-bootstrap interval of the IQM of one set of values (e.g. final returns across seeds)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    picks = np.random.default_rng(rng_seed).integers(0, values.size, size=(n_boot, values.size))
    resampled_iqms = interquartile_mean(values[picks].T)  # one column per resample
    tail = (1.0 - ci) / 2.0 * 100.0
    return float(np.percentile(resampled_iqms, tail)), float(np.percentile(resampled_iqms, 100.0 - tail))
