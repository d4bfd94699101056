"""End to end in a real Chromium: held charts keep a person's zoom while the run trains on (a live chart's next redraw
mounts it afresh, see ui/chart_hold.py)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import open_app, page_text
from tests.browser.test_train_flow import stop_button, wait_for

pytestmark = pytest.mark.browser

X_RANGE_JS = """() => {
  const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  return plot && plot._fullLayout ? [plot._fullLayout.xaxis.autorange, plot._fullLayout.xaxis.range] : null;
}"""


MARK_JS = """() => {
  const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  if (!plot) return false;
  const seen = plot.__seen === true;
  plot.__seen = true;
  return seen;
}"""


def _stays(page) -> bool:  # type: ignore[no-untyped-def]
    """The return chart on screen is the one marked 2 s ago (a redrawn chart is a new element)."""
    page.evaluate(MARK_JS)
    time.sleep(2)
    return bool(page.evaluate(MARK_JS))


HELD = re.compile(r"Charts held at step [\d,]+; the run is at step")


def hold_the_charts(page, on: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Turn *Hold the charts* on (or off) and wait until the page says so.

    The live view redraws every second, and a browser that has no core to itself can take many seconds to act on a
    click (CI's took over 15 s once, its renderer busy mounting each second's charts). A second click would turn the
    toggle back, so the helper clicks only while the switch itself shows the other state: at the start, and after a
    reload. The browser sends the switch's state with every rerun, so a click the server missed applies at the
    next redraw. A page that never shows the switch is reloaded, as a person would."""
    toggle = page.locator("[data-testid='stCheckbox']", has_text="Hold the charts")
    switch = toggle.get_by_role("switch", name="Hold the charts")
    caption = page.get_by_text(HELD)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            switch.wait_for(state="attached", timeout=20_000)
        except PlaywrightTimeout:
            print("Hold the charts is not on the page; it says:", page_text(page))
            page.reload()
            continue
        if switch.is_checked() != on:
            toggle.click()
        try:
            caption.wait_for(state="visible" if on else "detached", timeout=15_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"in 120 s the page never said the charts were {'held' if on else 'live'}: {page_text(page)}")


def _zoom(page) -> None:  # type: ignore[no-untyped-def]
    """Drag across the middle of the return chart, as a person zooms in."""
    box = wait_for(lambda: page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").first.bounding_box())
    y = box["y"] + box["height"] * 0.45
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    page.mouse.up()


def test_held_charts_keep_a_zoom_while_the_run_trains_on(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train?env=CartPole-v1&algo=ppo&timesteps=2000000")  # never reached: ends by Stop
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"run="))
    wait_for(lambda: page.evaluate(X_RANGE_JS))
    hold_the_charts(page)
    wait_for(lambda: _stays(page), timeout=60)  # the held chart has replaced the live one and is no longer redrawn
    _zoom(page)
    zoomed = wait_for(lambda: (r := page.evaluate(X_RANGE_JS)) and r[0] is False and r, timeout=5)
    time.sleep(3)  # three redraws of the live view
    assert page.evaluate(X_RANGE_JS) == zoomed
    stop_button(page).click()
    page.get_by_text("Stopped: stopped by the user").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
