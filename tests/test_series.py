"""A run's logged values kept by the server: compact, bounded, and a snapshot never changes under a page."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from agents.runs.live import MAX_LOSS_POINTS, RunStats
from agents.runs.series import StepSeries, StepValues


def test_pairs_read_back_as_tuples_of_int_and_float_and_as_an_array() -> None:
    series = StepSeries(max_points=100)
    for step in range(5):
        series.append(step * 64, step / 2)
    view = series.view()
    assert len(view) == 5 and view[0] == (0, 0.0) and view[-1] == (256, 2.0)
    assert isinstance(view[-1][0], int) and isinstance(view[-1][1], float)
    assert list(view) == [(0, 0.0), (64, 0.5), (128, 1.0), (192, 1.5), (256, 2.0)]
    assert view[-2:] == [(192, 1.5), (256, 2.0)] and isinstance(view[-2:], StepValues)
    assert view.array().shape == (5, 2) and not view.array().flags.writeable
    assert view == [(0, 0.0), (64, 0.5), (128, 1.0), (192, 1.5), (256, 2.0)]
    assert view != [(0, 0.0)] and (64, 0.5) in view and (64, 0.6) not in view
    assert not StepSeries(max_points=10).view() and StepValues() == [] and StepValues().array().shape == (0, 2)


def test_a_snapshot_taken_earlier_does_not_change_as_the_series_grows_and_is_thinned() -> None:
    series = StepSeries(max_points=1_000)
    for step in range(70):  # past the first buffer's capacity
        series.append(step, float(step))
    early = series.view()
    copy = early.array().copy()
    for step in range(70, 5_000):  # grows, then is thinned to half several times
        series.append(step, float(step))
    assert np.array_equal(early.array(), copy) and len(early) == 70
    assert len(series) <= 1_000 and series.view()[-1] == (4_999, 4_999.0)


def test_a_runs_logged_values_cost_the_server_under_20_bytes_a_point() -> None:
    """Two CartPole PPO demo runs log about 500 points a second; as tuples they grew the server 3.2 MB a minute."""
    stats = RunStats(total_timesteps=10**7, solved_threshold=None)
    keys = [f"train/value_{i}" for i in range(10)]
    points = 15_000
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for step in range(points):
        stats.add_metrics(step * 256, dict.fromkeys(keys, step * 1e-3))
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown / (len(keys) * points) < 20, f"{grown / (len(keys) * points):.0f} bytes a point"
    snap = stats.snapshot()
    assert snap.losses["train/value_3"][-1] == ((points - 1) * 256, pytest.approx((points - 1) * 1e-3))


def test_the_history_stays_bounded_and_keeps_the_latest_point() -> None:
    stats = RunStats(total_timesteps=10**7, solved_threshold=None)
    for step in range(2 * MAX_LOSS_POINTS + 7):
        stats.add_metrics(step, {"train/loss": float(step % 97)})
    series = stats.snapshot().losses["train/loss"]
    assert MAX_LOSS_POINTS // 4 <= len(series) <= MAX_LOSS_POINTS
    assert series[-1] == (2 * MAX_LOSS_POINTS + 6, float((2 * MAX_LOSS_POINTS + 6) % 97))
