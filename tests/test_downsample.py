"""Thinning for the wire keeps every bucket's extremes: a crash among thousands of good episodes is still drawn.

The issue's input: 3,000 episodes returning 500 and one of -1000. Evenly spaced decimation kept 1,500 of them and
the crash was not among them. Every chart that thins (returns, lengths, losses, the GridWorld's returns, the
Compare page's per-seed lines and group mean, the loss history kept in memory) must still show it, within the
point budget and in x order.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.analysis.compare import RunCurve, aggregate, moving_average
from agents.runs.downsample import minmax_indices
from agents.runs.live import MAX_LOSS_POINTS, SOLVE_WINDOW, RunSnapshot, RunStats
from ui.charts import MAX_POINTS, lengths_figure, losses_figure, returns_figure
from ui.compare_view import compare_figure
from ui.gridworld_view import returns_figure as gridworld_returns_figure

EPISODES, GOOD, CRASH = 3_000, 500.0, -1000.0


def crash_returns(at: int = 1_234) -> np.ndarray:
    returns = np.full(EPISODES, GOOD)
    returns[at] = CRASH
    return returns


def crash_snapshot(at: int = 1_234) -> RunSnapshot:
    returns = crash_returns(at).tolist()
    lengths = [500] * EPISODES
    lengths[at] = 3  # the crash also ends the episode early
    steps = np.cumsum(lengths).tolist()
    losses = [(step, 0.1) for step in steps]
    losses[at] = (steps[at], 1e6)  # and the loss spikes
    return RunSnapshot(
        timesteps=steps[-1],
        total_timesteps=10**7,
        elapsed_s=100.0,
        fps=1000.0,
        episode_steps=steps,
        episode_returns=[r + 1.0 for r in returns],
        episode_true_returns=returns,
        episode_lengths=lengths,
        episode_wall_s=[i * 0.01 for i in range(EPISODES)],
        losses={"train/loss": losses},
        evaluation=None,
        solved_at_step=None,
        solved_at_s=None,
    )


def assert_thinned(trace: object, budget: int = MAX_POINTS) -> None:
    xs = np.asarray(trace.x, dtype=float)  # type: ignore[attr-defined]
    assert 0 < xs.size <= budget, "the point budget holds"
    assert np.all(np.diff(xs) >= 0), "x order is preserved"


# --- the reducer ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("at", [0, 1, 777, 1_500, 2_998, 2_999])
def test_the_crash_survives_wherever_it_falls(at: int) -> None:
    returns = crash_returns(at)
    keep = minmax_indices(returns, max_points=MAX_POINTS)
    assert returns[keep].min() == CRASH and at in keep


@pytest.mark.parametrize("n", [MAX_POINTS + 1, 3_000, 10_007, 1_000_000])
@pytest.mark.parametrize("budget", [4, 5, 100, MAX_POINTS])
def test_budget_ends_and_order_hold(n: int, budget: int) -> None:
    values = np.random.default_rng(n).normal(size=n)
    keep = minmax_indices(values, max_points=budget)
    assert len(keep) <= budget
    assert keep[0] == 0 and keep[-1] == n - 1
    assert np.all(np.diff(keep) > 0), "strictly increasing: x order kept, no duplicates"
    assert values[keep].min() == values.min() and values[keep].max() == values.max()


def test_the_budget_is_used_not_wasted() -> None:
    keep = minmax_indices(np.random.default_rng(0).normal(size=100_000), max_points=MAX_POINTS)
    assert len(keep) >= 0.9 * MAX_POINTS


def test_each_bucket_keeps_its_own_extremes() -> None:
    """Not only the global extremes: a dip in the first half survives beside a deeper one in the second."""
    values = np.zeros(10_002)
    values[2_000], values[8_000], values[5_000] = -5.0, -9.0, 7.0
    kept = values[minmax_indices(values, max_points=12)]
    assert {-5.0, -9.0, 7.0} <= set(kept.tolist())


def test_several_series_share_the_budget_and_keep_each_ones_extremes() -> None:
    a, b = np.zeros(5_000), np.zeros(5_000)
    a[100], b[4_000] = -1.0, 1.0
    keep = minmax_indices(a, b, max_points=200)
    assert len(keep) <= 200 and 100 in keep and 4_000 in keep


def test_nans_are_ignored_and_short_series_untouched() -> None:
    values = np.full(5_000, np.nan)
    values[2_500] = 3.0
    keep = minmax_indices(values, max_points=50)
    assert 2_500 in keep and len(keep) <= 50
    assert minmax_indices(np.arange(7.0), max_points=50).tolist() == list(range(7))


def test_bad_calls_are_refused() -> None:
    with pytest.raises(ValueError, match="one length"):
        minmax_indices(np.zeros(5), np.zeros(6), max_points=3)
    with pytest.raises(ValueError, match="max_points"):
        minmax_indices(np.zeros(100), np.zeros(100), max_points=5)


# --- every chart ----------------------------------------------------------------------------------------------------


def test_returns_figure_draws_the_crash_true_and_shaped() -> None:
    fig = returns_figure(crash_snapshot(), threshold=475.0, show_shaped=True)
    markers = [trace for trace in fig.data if trace.mode == "markers"]
    assert sorted(min(trace.y) for trace in markers) == [CRASH, CRASH + 1.0]
    full_average = moving_average(crash_returns())
    mean_line = next(t for t in fig.data if t.mode == "lines" and t.name.startswith("true"))
    assert min(mean_line.y) == pytest.approx(full_average.min())
    assert min(mean_line.y) == pytest.approx(GOOD + (CRASH - GOOD) / SOLVE_WINDOW)
    for trace in fig.data:
        assert_thinned(trace)


def test_lengths_figure_draws_the_short_episode() -> None:
    snap = crash_snapshot()
    (trace,) = lengths_figure(snap).data
    assert min(trace.y) == pytest.approx(500 - (500 - 3) / SOLVE_WINDOW)
    assert_thinned(trace)


def test_losses_figure_draws_the_spike() -> None:
    (trace,) = losses_figure(crash_snapshot()).data
    assert max(trace.y) == 1e6
    assert_thinned(trace)


def test_the_loss_history_kept_in_memory_keeps_the_spike() -> None:
    stats = RunStats(total_timesteps=10**6, solved_threshold=None)
    for step in range(3 * MAX_LOSS_POINTS):
        stats.add_metrics(step, {"train/loss": 1e6 if step == 12_345 else 0.1})
    series = stats.snapshot().losses["train/loss"]
    assert len(series) <= MAX_LOSS_POINTS
    assert (12_345, 1e6) in series
    assert [step for step, _ in series] == sorted(step for step, _ in series)


def test_gridworld_returns_figure_draws_the_crash() -> None:
    fig = gridworld_returns_figure(crash_returns().tolist())
    markers, mean_line = fig.data
    assert min(markers.y) == CRASH
    assert min(mean_line.y) == pytest.approx(GOOD + (CRASH - GOOD) / 20)
    for trace in fig.data:
        assert_thinned(trace)


def _curve(run_id: str, returns: np.ndarray) -> RunCurve:
    steps = np.arange(1, returns.size + 1) * 500
    return RunCurve(run_id, run_id, steps, steps / 1000.0, returns, returns, group="g", group_label="g")


def test_compare_seed_lines_and_mean_draw_the_crash() -> None:
    crashed, steady = _curve("a", crash_returns(1_234)), _curve("b", np.full(EPISODES, GOOD))
    dip = GOOD + (CRASH - GOOD) / SOLVE_WINDOW  # the crashed seed's moving average at the crash
    fig = compare_figure([crashed, steady], x_axis="steps", shaped=False)
    seed_lines = [t for t in fig.data if t.showlegend is False]
    assert sorted(np.nanmin(np.asarray(t.y, dtype=float)) for t in seed_lines) == pytest.approx([dip, GOOD])
    mean_line = next(t for t in fig.data if t.name and "mean" in t.name and t.mode == "lines")
    assert np.nanmin(np.asarray(mean_line.y, dtype=float)) == pytest.approx((dip + GOOD) / 2)
    for trace in fig.data:
        if trace.fill == "toself":  # the band: out along the upper bound, back along the lower one
            half = len(trace.x) // 2
            assert half <= MAX_POINTS // 2 and np.all(np.diff(np.asarray(trace.x[:half], dtype=float)) >= 0)
        else:
            assert_thinned(trace)


def test_the_aggregate_grid_holds_each_runs_extremes() -> None:
    line = aggregate([_curve("a", crash_returns(2_001))], grid_points=200, n_boot=50)
    assert np.nanmin(line.mean) == pytest.approx(GOOD + (CRASH - GOOD) / SOLVE_WINDOW)
    assert np.all(np.diff(line.x) > 0)
