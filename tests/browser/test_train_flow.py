"""End to end in a real Chromium: start a run, watch it learn live, stop it; one-click start from Home."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import open_app

pytestmark = pytest.mark.browser

POINTS_JS = """() => {
  // Plotly decodes the typed arrays it receives into _fullData; .data may still hold the encoded form.
  const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  const trace = plot && plot._fullData && plot._fullData[0];
  return trace && trace.x ? trace.x.length : 0;
}"""


def stop_button(page):  # type: ignore[no-untyped-def]
    """The run's Stop button (Streamlit's own header shows a "Stop" while a script runs)."""
    return page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop")


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.25):  # type: ignore[no-untyped-def]
    """Poll until ``predicate()`` is truthy (a live page never rests, so retry rather than wait for idle)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def test_start_watch_and_stop_a_run(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train")
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"run=\d{8}-\d{6}-[0-9a-f]{6}"))

    # The return curve gains points while we watch: live updates, not one static draw.
    first = wait_for(lambda: page.evaluate(POINTS_JS) > 0)
    wait_for(lambda: page.evaluate(POINTS_JS) > first + 5)
    # An evaluation episode appears as an image beside the curve.
    page.wait_for_selector("[data-testid='stImage'] img")
    # the progress line, not the sidebar's run-time estimate (which also speaks of steps/s)
    progress = page.get_by_text(re.compile(r"[\d,]+ / [\d,]+ steps")).first
    assert "steps/s" in progress.inner_text()

    stop_button(page).click()
    page.get_by_text("Stopped: stopped by the user").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0


def test_one_click_cartpole_from_home(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, server)
    page.get_by_role("button", name="Train CartPole now").click()
    page.wait_for_url(re.compile(r"/train\?.*run="))
    wait_for(lambda: page.evaluate(POINTS_JS) > 0)
    stop_button(page).click()
    page.get_by_text("Stopped: stopped by the user").wait_for()


def test_watchers_see_a_run_but_cannot_stop_it(server: str, page, browser) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train")
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"run="))
    run_id = re.search(r"run=([^&]+)", page.url).group(1)  # type: ignore[union-attr]

    student = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    open_app(student, f"{server}/train?run={run_id}")
    wait_for(lambda: student.evaluate(POINTS_JS) > 0)
    student.get_by_text("You are watching this run").wait_for()
    assert stop_button(student).count() == 0
    student.context.close()

    stop_button(page).click()
    page.get_by_text("Stopped: stopped by the user").wait_for()
