"""Chart builders: long histories are thinned for the wire after smoothing on the full data; figures read well."""

from __future__ import annotations

import numpy as np
import pytest

from agents.runs.live import SOLVE_WINDOW, RunSnapshot
from ui.charts import (
    MARKER_POINTS,
    MAX_POINTS,
    as_shown,
    lengths_figure,
    losses_figure,
    moving_average,
    returns_figure,
    thin_indices,
)


def snapshot(n_episodes: int, *, shaped_offset: float = 0.0, losses: dict | None = None) -> RunSnapshot:
    rng = np.random.default_rng(0)
    true_returns = rng.normal(100, 20, n_episodes).tolist()
    lengths = rng.integers(10, 500, n_episodes).tolist()
    steps = np.cumsum(lengths).tolist()
    return RunSnapshot(
        timesteps=steps[-1] if steps else 0,
        total_timesteps=10**7,
        elapsed_s=10.0,
        fps=100.0,
        episode_steps=steps,
        episode_returns=[r + shaped_offset for r in true_returns],
        episode_true_returns=true_returns,
        episode_lengths=lengths,
        episode_wall_s=[i * 0.01 for i in range(n_episodes)],
        losses=losses or {},
        evaluation=None,
        solved_at_step=None,
        solved_at_s=None,
    )


@pytest.mark.parametrize("n", [0, 1, 2, 10, MAX_POINTS])
def test_thin_indices_keeps_everything_when_short(n: int) -> None:
    assert thin_indices(np.zeros(n)).tolist() == list(range(n))


def test_moving_average_is_a_trailing_mean_shorter_at_the_start() -> None:
    assert moving_average([1, 2, 3, 4], window=2).tolist() == [1.0, 1.5, 2.5, 3.5]
    assert moving_average([4, 8], window=5).tolist() == [4.0, 6.0]
    assert moving_average([]).size == 0
    assert moving_average([7.0]).tolist() == [7.0]


def test_moving_average_matches_the_solved_rule_on_long_data() -> None:
    values = np.random.default_rng(1).normal(0, 100, 5_000)
    smoothed = moving_average(values)
    for i in (0, 5, SOLVE_WINDOW - 1, SOLVE_WINDOW, 4_999):
        expected = values[max(0, i - SOLVE_WINDOW + 1) : i + 1].mean()
        assert smoothed[i] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_returns_figure_is_thinned_after_smoothing_on_the_full_data() -> None:
    n = 5_000
    snap = snapshot(n)
    fig = returns_figure(snap, threshold=475.0, show_shaped=False)
    assert len(fig.data) == 3
    markers, mean_line, solved = fig.data
    assert markers.mode == "markers" and mean_line.mode == "lines"
    assert len(markers.x) <= MARKER_POINTS and len(mean_line.y) <= MAX_POINTS
    assert len(markers.x) >= 0.9 * MARKER_POINTS, "the markers' budget is used, not wasted"
    assert markers.x[0] == snap.episode_steps[0] and markers.x[-1] == snap.episode_steps[-1]
    full_mean_last = float(np.mean(snap.episode_true_returns[-SOLVE_WINDOW:]))
    assert mean_line.y[-1] == pytest.approx(full_mean_last), "the mean line is the mean of the real last 20 episodes"
    assert fig.layout.uirevision == "keep", "a user's zoom survives live updates"
    assert solved.name == "solved at 475" and set(solved.y) == {475.0}, "the solved threshold is drawn"


def test_returns_figure_shows_shaped_next_to_true_when_asked() -> None:
    snap = snapshot(50, shaped_offset=10.0)
    fig = returns_figure(snap, threshold=None, show_shaped=True)
    names = [trace.name for trace in fig.data]
    assert len(fig.data) == 4
    assert any(name.startswith("true return") for name in names)
    assert any(name.startswith("shaped return") for name in names)
    shaped_markers = next(t for t in fig.data if t.name.startswith("shaped") and t.mode == "markers")
    assert list(shaped_markers.y) == pytest.approx(snap.episode_returns)
    assert not fig.layout.shapes, "no threshold line without a threshold"


def test_figures_of_an_empty_run_are_empty_not_errors() -> None:
    snap = snapshot(0)
    assert all(len(trace.x) == 0 for trace in returns_figure(snap, threshold=None, show_shaped=True).data)
    assert all(len(trace.x) == 0 for trace in lengths_figure(snap).data)
    assert len(losses_figure(snap).data) == 0


def test_lengths_figure_plots_the_smoothed_length() -> None:
    snap = snapshot(3_000)
    (trace,) = lengths_figure(snap).data
    assert len(trace.y) <= MAX_POINTS
    assert trace.y[-1] == pytest.approx(np.mean(snap.episode_lengths[-SOLVE_WINDOW:]))


def test_losses_figure_gives_each_logged_value_its_own_scale_most_informative_first() -> None:
    points = [(step, 1.0 / (step + 1)) for step in range(5_000)]
    losses = {
        "train/value_loss": [(step, 1e6 * value) for step, value in points],
        "train/policy_gradient_loss": points[:10],
        "train/learning_rate": [(0, 0.001), (64, 0.0009)],
        "train/explained_variance": [(0, 0.1), (64, 0.5)],
        "train/n_updates": [(0, 1.0), (64, 2.0)],
        "train/something_new": [(0, 3.0), (64, 4.0)],
        "train/empty": [],
    }
    fig = losses_figure(snapshot(5, losses=losses), "ppo")
    names = [trace.name for trace in fig.data]
    assert names == ["explained_variance", "value_loss", "policy_gradient_loss", "learning_rate", "something_new"], (
        "grouped, informative first, settings after; counters and empty series skipped; an unknown name still charted"
    )
    axes = [(trace.xaxis, trace.yaxis) for trace in fig.data]
    assert len({y for _, y in axes}) == len(axes), "one y axis each: a value loss of 1e6 cannot flatten the others"
    cells = {(tuple(fig.layout["xaxis" + x[1:]].domain), tuple(fig.layout["yaxis" + y[1:]].domain)) for x, y in axes}
    assert all(0 <= lo < hi <= 1 for cell in cells for lo, hi in cell), "every chart inside the figure"
    assert len(cells) == len(axes), "no two small charts share a cell"
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:2] == ["<b>explained variance</b>", "<b>value loss</b>"] and "<b>something new</b>" in titles
    by_name = {trace.name: trace for trace in fig.data}
    assert len(by_name["value_loss"].x) <= MAX_POINTS
    assert by_name["value_loss"].x[-1] == 4_999


def test_losses_figure_names_a_value_as_its_algorithm_means_it() -> None:
    losses = {"train/loss": [(0, 1.0), (64, 0.5)]}
    (dqn_title,) = [a.text for a in losses_figure(snapshot(5, losses=losses), "dqn").layout.annotations]
    (ppo_title,) = [a.text for a in losses_figure(snapshot(5, losses=losses), "ppo").layout.annotations]
    assert dqn_title == "<b>TD loss</b>" and ppo_title == "<b>total loss</b>"


def test_the_small_charts_of_logged_values_keep_each_lines_extremes_within_their_budget() -> None:
    from ui.charts import SMALL_CHART_POINTS

    values = np.zeros(17_000)
    values[12_345] = 99.0  # one spike among 17,000 logged values
    snap = snapshot(5, losses={"train/value_loss": [(i, float(v)) for i, v in enumerate(values)]})
    (trace,) = losses_figure(snap, "ppo").data
    assert len(trace.y) <= SMALL_CHART_POINTS and max(trace.y) == 99.0 and 12_345 in list(trace.x)


def test_a_small_charts_values_go_as_float32_only_where_it_holds_them_to_seven_digits() -> None:
    values = np.array([3e-4, -0.0123456789, 1234.5678, 0.0, np.nan, np.inf])
    shown = as_shown(values)
    assert shown.dtype == np.float32
    assert np.allclose(shown[:4], values[:4], rtol=1e-7, atol=0) and np.isnan(shown[4]) and np.isinf(shown[5])
    for extreme in (1e-40, 1e39):  # float32 would flush it to 0 or make it infinite: kept as float64
        assert as_shown(np.array([1.0, extreme])).dtype == np.float64
    fig = losses_figure(snapshot(5, losses={"train/value_loss": [(i, 1.5 * i) for i in range(50)]}), "ppo")
    assert np.asarray(fig.data[0].y).dtype == np.float32 and list(fig.data[0].y[:3]) == [0.0, 1.5, 3.0]
