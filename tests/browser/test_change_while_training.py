"""End to end in a real Chromium: change the learning rate of a running run and see the change marked on its chart."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_app
from tests.browser.test_train_flow import POINTS_JS, stop_button, wait_for

pytestmark = pytest.mark.browser

MARKERS_JS = """() => {
  // Each chart's labelled vertical lines, by title: its shapes and annotations named "setting changed".
  const found = {};
  for (const plot of document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')) {
    const layout = plot._fullLayout || plot.layout;
    if (!layout || !layout.title) continue;
    const title = layout.title.text.replace(/<[^>]*>/g, '');
    const lines = (layout.shapes || []).filter(s => s.name === 'setting changed').map(s => s.x0);
    const notes = (layout.annotations || []).filter(a => a.name === 'setting changed').map(a => a.text);
    found[title] = {lines, notes};
  }
  return found;
}"""
RETURNS, LENGTHS, LOGGED = "Return per episode", "Episode length", "What the algorithm logs"


def chart(markers: dict, title: str) -> dict:
    return next((value for key, value in markers.items() if key.startswith(title)), {"lines": [], "notes": []})


def all_marked(markers: dict) -> bool:
    """Every chart of the run is drawn with its marker (a live chart is mounted afresh at each redraw, so one
    read can find a chart between two mounts: read again rather than judge half a page)."""
    return all(chart(markers, title)["lines"] for title in (RETURNS, LENGTHS, LOGGED))


def test_change_the_learning_rate_of_a_running_run_and_see_it_marked(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train")
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"run=\d{8}-\d{6}-[0-9a-f]{6}"))
    wait_for(lambda: page.evaluate(POINTS_JS) > 0, timeout=60)

    panel = page.get_by_test_id("stExpander").filter(has_text="Change while training")
    panel.get_by_text("Change while training").click()
    field = panel.get_by_role("spinbutton", name="learning_rate")
    field.fill("5")
    field.press("Enter")
    panel.get_by_text("learning_rate must be between").wait_for()  # refused under its field
    # The refusal is drawn before the button below it: the button's state may come a moment after the words
    expect(panel.get_by_role("button", name="Apply")).to_be_disabled(timeout=10_000)

    field.fill("0.0009")
    field.press("Enter")
    apply = panel.get_by_role("button", name="Apply")
    wait_for(lambda: apply.is_enabled())
    apply.click()

    markers = wait_for(lambda: (m := page.evaluate(MARKERS_JS)) and all_marked(m) and m, timeout=60)
    (note,) = chart(markers, RETURNS)["notes"]
    assert re.fullmatch(r"lr \S+ -> 0\.0009 at [\d,.k]+", note), note
    (step,) = chart(markers, RETURNS)["lines"]  # one dotted line, at the step it applied
    assert chart(markers, LENGTHS)["lines"] == [step], "on every chart of the run"
    logged = chart(markers, LOGGED)["lines"]
    assert len(logged) > 1 and set(logged) == {step}, "on each small chart of the logged values"
    page.get_by_text(re.compile(r"Changed while training \(dotted lines on the charts\): lr .* -> 0\.0009")).wait_for()
    assert page.locator("[data-testid='stException']").count() == 0

    stop_button(page).click()
    page.get_by_text("Stopped: stopped by the user").wait_for()
