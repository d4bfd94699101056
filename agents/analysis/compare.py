"""Statistics for comparing runs: seeds grouped into one curve with a bootstrap band and the IQM.

A single seed says little in RL, so runs that differ only in their seed are grouped (:func:`group_key`) and
drawn as one line. Following Agarwal et al. (2021, "Deep RL at the Edge of the Statistical Precipice", the
``rliable`` library) each group shows its mean with a percentile-bootstrap confidence band over runs, and the
interquartile mean (IQM: the mean of the middle 50% of runs), which one lucky or broken seed cannot drag.

Which runs count as distinct seeds is :mod:`agents.analysis.seeds`; the table is :mod:`agents.analysis.summary`.
Plain numpy: no streamlit, no plotting, no scipy. Everything is vectorised over the grid and the bootstrap
resamples, so a page can recompute it on every refresh.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from agents.runs.downsample import minmax_indices
from agents.storage.cost import Cost

if TYPE_CHECKING:
    from agents.config.run_config import RunConfig

WINDOW = 20
"""Episodes in the moving average, as in the Train page and the solved test (``agents.runs.live.SOLVE_WINDOW``)."""
NOT_PART_OF_THE_GROUP = ("seed", "preset")
"""Config fields that do not make runs different experiments: the seed, and the preset's name (a label;
the hyperparameters it chose are compared themselves)."""

XAxis = Literal["steps", "wall_s"]


def group_key(config: RunConfig | Mapping[str, Any]) -> str:
    """The configuration without its seed, as canonical JSON: runs with equal keys are seeds of one experiment."""
    data = dict(config.to_dict() if hasattr(config, "to_dict") else config)  # type: ignore[union-attr]
    for name in NOT_PART_OF_THE_GROUP:
        data.pop(name, None)
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


class SnapshotLike(Protocol):
    """What :meth:`RunCurve.from_snapshot` reads (``agents.runs.live.RunSnapshot`` has it)."""

    episode_steps: list[int]
    episode_wall_s: list[float]
    episode_returns: list[float]
    episode_true_returns: list[float]
    timesteps: int
    solved_at_step: int | None
    solved_at_s: float | None


@dataclass(frozen=True)
class RunCurve:
    """One run's episodes: when each ended (steps, seconds) and its returns, shaped and true."""

    run_id: str
    label: str
    steps: np.ndarray
    wall_s: np.ndarray
    returns: np.ndarray
    """The shaped return the agent learnt from (equal to ``true_returns`` without shaping)."""
    true_returns: np.ndarray
    group: str = ""
    """:func:`group_key` of the run's configuration."""
    group_label: str = ""
    solved_at_step: int | None = None
    solved_at_s: float | None = None
    cpu_s: float | None = None
    """CPU seconds the run used (the run record provides it)."""
    seed: int | None = None
    """The run's seed; None: unknown, so the run counts as a seed of its own."""
    timesteps: int | None = None
    """Environment steps the run trained (None: up to its last episode)."""
    cost: Cost | None = None
    """The run's cost meter (None: a run stored before it, or not yet reported)."""

    def __post_init__(self) -> None:
        for name in ("steps", "wall_s", "returns", "true_returns"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64).ravel())
        lengths = {len(self.steps), len(self.wall_s), len(self.returns), len(self.true_returns)}
        if len(lengths) != 1:
            raise ValueError(f"run {self.run_id}: steps, wall_s and returns must have one entry per episode")

    @classmethod
    def from_snapshot(
        cls,
        run_id: str,
        snapshot: SnapshotLike,
        *,
        label: str = "",
        group: str = "",
        group_label: str = "",
        cpu_s: float | None = None,
        seed: int | None = None,
        cost: Cost | None = None,
    ) -> RunCurve:
        return cls(
            run_id,
            label or run_id,
            np.asarray(snapshot.episode_steps),
            np.asarray(snapshot.episode_wall_s),
            np.asarray(snapshot.episode_returns),
            np.asarray(snapshot.episode_true_returns),
            group=group,
            group_label=group_label,
            solved_at_step=snapshot.solved_at_step,
            solved_at_s=snapshot.solved_at_s,
            cpu_s=cpu_s,
            seed=seed,
            timesteps=snapshot.timesteps,
            cost=cost,
        )

    @property
    def episodes(self) -> int:
        return len(self.steps)

    @property
    def trained_steps(self) -> int:
        """How far the run got: its step count, or its last episode's end when that is unknown."""
        if self.timesteps is not None:
            return int(self.timesteps)
        return int(self.steps[-1]) if self.episodes else 0

    def final_return(self, window: int = WINDOW) -> float | None:
        """Mean true return of the last ``window`` episodes (None before the first episode)."""
        return float(np.mean(self.true_returns[-window:])) if self.episodes else None


@dataclass(frozen=True)
class GroupCurve:
    """Seeds of one configuration on a common x grid; every array has one value per grid point (NaN: no data)."""

    label: str
    run_ids: tuple[str, ...]
    x_axis: XAxis
    shaped: bool
    x: np.ndarray
    mean: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    iqm: np.ndarray
    n_runs: np.ndarray
    """Runs with data at each grid point."""
    runs: np.ndarray = field(repr=False)
    """Each run's moving average on the grid, shape (runs, grid points), for drawing thin per-seed lines."""


def moving_average(values: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Trailing mean of up to ``window`` values at each position (the first ones average what exists)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    sums = np.cumsum(np.concatenate(([0.0], values)))
    ends = np.arange(1, values.size + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def aggregate(
    curves: Sequence[RunCurve],
    x: XAxis = "steps",
    shaped: bool = False,
    grid_points: int = 200,
    n_boot: int = 1000,
    ci: float = 0.95,
    rng_seed: int = 0,
    *,
    min_runs: int | None = None,
    window: int = WINDOW,
    label: str = "",
) -> GroupCurve:
    """Put each run's moving average of ``window`` episodes on a common grid and summarise across runs.

    The grid spans where at least ``min_runs`` runs have data (default: all of them, so each point averages
    the same runs); at points where fewer do, every statistic is NaN. Runs without episodes are left out.
    The grid is ``grid_points`` evenly spaced points plus, for each run, the x of its lowest and highest value
    in each of about ``grid_points / 2`` buckets: a crash between two even points would otherwise be interpolated away.
    """
    if x not in ("steps", "wall_s"):
        raise ValueError(f"x must be 'steps' or 'wall_s', not {x!r}")
    if not 0 < ci < 1:
        raise ValueError("ci must be between 0 and 1")
    usable = [curve for curve in curves if curve.episodes]
    name = label or (curves[0].group_label or curves[0].label if curves else "")
    needed = len(usable) if min_runs is None else max(1, min(min_runs, len(usable)))
    series = [_run_series(curve, x, shaped, window) for curve in usable]
    grid = _with_extremes(_grid(series, needed, grid_points), series, grid_points)
    runs = np.full((len(series), grid.size), np.nan)
    for row, (xs, ys) in enumerate(series):
        runs[row] = np.interp(grid, xs, ys, left=np.nan, right=np.nan)
    n_runs = np.sum(~np.isnan(runs), axis=0)
    runs[:, n_runs < needed] = np.nan
    n_runs = np.where(n_runs < needed, 0, n_runs)
    mean, low, high = bootstrap_mean_ci(runs, n_boot=n_boot, ci=ci, rng_seed=rng_seed)
    return GroupCurve(
        label=name,
        run_ids=tuple(curve.run_id for curve in usable),
        x_axis=x,
        shaped=shaped,
        x=grid,
        mean=mean,
        ci_low=low,
        ci_high=high,
        iqm=interquartile_mean(runs),
        n_runs=n_runs,
        runs=runs,
    )


def aggregate_groups(curves: Sequence[RunCurve], **options: Any) -> list[GroupCurve]:
    """:func:`aggregate` for each group of curves (by ``RunCurve.group``), in order of first appearance."""
    groups: dict[str, list[RunCurve]] = {}
    for curve in curves:
        groups.setdefault(curve.group or curve.run_id, []).append(curve)
    return [aggregate(members, **options) for members in groups.values()]


def _run_series(curve: RunCurve, x: XAxis, shaped: bool, window: int) -> tuple[np.ndarray, np.ndarray]:
    """x of each episode's end and the moving average there; episodes ending at the same x keep the last value."""
    xs = curve.steps if x == "steps" else curve.wall_s
    ys = moving_average(curve.returns if shaped else curve.true_returns, window)
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], ys[order]
    last_of_each = np.append(xs[1:] != xs[:-1], True)  # several envs can finish at the same step
    return xs[last_of_each], ys[last_of_each]


def _with_extremes(grid: np.ndarray, series: list[tuple[np.ndarray, np.ndarray]], points: int) -> np.ndarray:
    """The grid plus each run's bucket extremes that fall inside it, sorted."""
    if grid.size < 2:
        return grid
    kept = [xs[minmax_indices(ys, max_points=max(points, 4))] for xs, ys in series]
    extra = np.concatenate(kept) if kept else np.empty(0)
    return np.union1d(grid, extra[(extra >= grid[0]) & (extra <= grid[-1])])


def _grid(series: list[tuple[np.ndarray, np.ndarray]], needed: int, points: int) -> np.ndarray:
    """From the ``needed``-th earliest start to the ``needed``-th latest end of the runs' data."""
    if not series or points < 1:
        return np.empty(0)
    starts = np.sort([xs[0] for xs, _ in series])
    ends = np.sort([xs[-1] for xs, _ in series])[::-1]
    low, high = starts[needed - 1], ends[needed - 1]
    if low > high:
        return np.empty(0)
    return np.linspace(low, high, points) if high > low else np.array([low])


def bootstrap_mean_ci(
    values: np.ndarray, n_boot: int = 1000, ci: float = 0.95, rng_seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over runs (axis 0) and its percentile-bootstrap interval, at every column at once.

    Each resample draws runs with replacement; drawing counts from a multinomial and multiplying turns all
    resamples at all grid points into one matrix product. NaNs (a run without data there) are left out.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n, columns = values.shape
    if n == 0 or columns == 0:
        empty = np.full(columns, np.nan)
        return empty, empty.copy(), empty.copy()
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / present.sum(axis=0)
        counts = np.random.default_rng(rng_seed).multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)
        resampled = (counts @ filled) / (counts @ present)  # (n_boot, columns); NaN where a resample has no data
    tail = (1.0 - ci) / 2.0 * 100.0
    low, high = _nan_percentiles(resampled, tail, 100.0 - tail)
    return mean, low, high


def _nan_percentiles(samples: np.ndarray, low_q: float, high_q: float) -> tuple[np.ndarray, np.ndarray]:
    if not np.isnan(samples).any():
        low, high = np.percentile(samples, [low_q, high_q], axis=0)
        return low, high
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: no run has data at that point
        low, high = np.nanpercentile(samples, [low_q, high_q], axis=0)
    return low, high


def interquartile_mean(values: np.ndarray) -> np.ndarray:
    """IQM over runs (axis 0) at every column: the mean of the middle 50%, as rliable computes it.

    rliable uses ``scipy.stats.trim_mean(x, 0.25)``: sort, drop ``int(0.25 * n)`` values from each end, average
    the rest (8 runs: the middle 4; 5 runs: the middle 3; 3 runs: all). NaNs are left out per column.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    ordered = np.sort(values, axis=0)  # NaNs sort last
    counts = np.sum(~np.isnan(values), axis=0)
    result = np.full(values.shape[1], np.nan)
    for count in np.unique(counts[counts > 0]):
        columns = counts == count
        cut = int(0.25 * count)
        result[columns] = ordered[cut : count - cut, columns].mean(axis=0)
    return result
