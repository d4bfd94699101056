"""Watching tabs redraw every 2 s while few watch, and slower as a class grows, within the server's budget."""

from __future__ import annotations

import os
import time

import pytest
import streamlit

from ui import run_view
from ui import viewers as viewers_module
from ui.run_view import REFRESH_S
from ui.viewers import (
    FIGURE_AGE_S,
    INTERVALS_S,
    REDRAWS_ENV,
    REDRAWS_PER_S_PER_CORE,
    SEEN_WITHIN_S,
    VIEWER_REFRESH_S,
    ViewerRegistry,
    default_redraws_per_s,
    figure_age_s,
    interval_for,
    max_viewer_redraws_per_s,
)


@pytest.mark.parametrize(
    ("viewers", "interval"), [(0, 2.0), (1, 2.0), (12, 2.0), (13, 3.0), (18, 3.0), (30, 5.0), (31, 8.0), (500, 20.0)]
)
def test_the_interval_keeps_all_watching_tabs_within_the_budget(viewers: int, interval: float) -> None:
    assert interval_for(viewers, budget=6.0) == interval
    assert interval == INTERVALS_S[-1] or viewers / interval <= 6.0


@pytest.mark.parametrize(
    ("machine_cores", "small_class", "class_of_thirty"), [(2, 6, 10.0), (4, 12, 5.0), (8, 24, 3.0)]
)
def test_the_default_budget_grows_with_the_cores_that_train(
    monkeypatch: pytest.MonkeyPatch, machine_cores: int, small_class: int, class_of_thirty: float
) -> None:
    """Every core trains a run and a redraw costs the same CPU anywhere: watching keeps one share of the machine."""
    monkeypatch.delenv(REDRAWS_ENV, raising=False)
    monkeypatch.setattr(viewers_module, "cores", lambda: machine_cores)
    assert max_viewer_redraws_per_s() == REDRAWS_PER_S_PER_CORE * machine_cores
    assert interval_for(1) == interval_for(small_class) == VIEWER_REFRESH_S < interval_for(small_class + 1)
    assert interval_for(30) == class_of_thirty


def test_the_cores_are_those_this_server_may_run_on() -> None:
    assert 1 <= viewers_module.cores() <= (os.cpu_count() or 1)


@pytest.mark.parametrize("raw", ["fast", "0", "-4", "nan", "1e9"])
def test_a_budget_that_is_not_a_number_from_1_to_1000_falls_back_to_the_default(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(REDRAWS_ENV, raw)
    assert max_viewer_redraws_per_s() == default_redraws_per_s()


def test_the_server_setting_raises_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REDRAWS_ENV, "60")
    assert interval_for(30) == VIEWER_REFRESH_S


def test_a_tab_counts_while_it_redraws_and_is_forgotten_after() -> None:
    registry = ViewerRegistry()
    registry.seen("a", now=0.0)
    registry.seen("b", now=0.0)
    registry.seen("a", now=SEEN_WITHIN_S)  # a still redraws; b closed its tab
    assert registry.count(now=SEEN_WITHIN_S + 1) == 1
    registry.forget("a")
    assert registry.count(now=SEEN_WITHIN_S + 1) == 0


def live_view_timers(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    """The ``run_every`` of each live-view fragment the app creates from now on, in order."""
    timers: list[float | None] = []
    real_fragment = streamlit.fragment

    def spy(func=None, *, run_every=None):  # type: ignore[no-untyped-def]
        if getattr(func, "__module__", "") == "ui.run_view":  # the run's live view, not another page's panel
            timers.append(run_every)
        return real_fragment(func, run_every=run_every)

    monkeypatch.setattr(streamlit, "fragment", spy)
    return timers


def test_a_watching_tab_takes_a_slower_timer_when_the_class_grows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page chooses the timer from the tabs watching; a tab whose step changed takes the new one."""
    from tests.test_operator import _someone_elses_run, app_at

    registry = ViewerRegistry()
    monkeypatch.setattr(run_view, "viewers", registry)
    timers = live_view_timers(monkeypatch)
    run = _someone_elses_run()
    try:
        at = app_at("pages/train.py", run=run.id)
        assert registry.count() == 1 and timers == [VIEWER_REFRESH_S]
        for tab in range(29):
            registry.seen(f"other-{tab}")
        at.run()
        assert timers[-1] == interval_for(30) > VIEWER_REFRESH_S and registry.count() == 30
    finally:
        run.stop()
    assert not at.exception


def test_a_watching_tab_takes_shared_figures_up_to_half_its_interval_old_and_the_controller_under_a_second() -> None:
    assert figure_age_s(REFRESH_S) == FIGURE_AGE_S == 0.9
    assert figure_age_s(VIEWER_REFRESH_S) == 1.0 and figure_age_s(interval_for(30, 6.0)) == 2.5


def test_tabs_that_ask_for_a_recent_snapshot_share_one_and_a_fresh_one_is_taken_after_it_ages() -> None:
    """Thirty watching tabs share one copy of a live run's history; the default is a fresh copy."""
    from agents.config.run_config import build_config
    from agents.runs.run import Run

    run = Run(build_config("CartPole-v1", "ppo"))
    shared = run.snapshot(max_age_s=60)
    run.stats.timesteps = 1_234
    assert run.snapshot(max_age_s=60) is shared and shared.timesteps == 0
    assert run.snapshot().timesteps == 1_234  # the controlling page and the CLI see the run as it is
    time.sleep(0.02)
    assert run.snapshot(max_age_s=0.01).timesteps == 1_234
