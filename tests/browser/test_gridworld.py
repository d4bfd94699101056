"""End to end in a real Chromium: click a cell of the GridWorld lab's grid, edit it, step, see the values change."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from envs.gridworld import GridLayout
from tests.browser.conftest import open_app
from tests.browser.test_train_flow import wait_for

pytestmark = pytest.mark.browser

CELL_CENTRE_JS = """([x, y]) => {
  // The page position of a cell's centre, from the plot's own axes (data coordinates -> pixels).
  const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  const layout = plot._fullLayout, box = plot.getBoundingClientRect();
  return [box.left + layout.xaxis._offset + layout.xaxis.l2p(x), box.top + layout.yaxis._offset + layout.yaxis.l2p(y)];
}"""
HEATMAP_JS = """() => {
  // Plotly's own copy of the heatmap's values (trace 0), as drawn.
  const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  return plot && plot._fullData && plot._fullData[0] ? JSON.stringify(plot._fullData[0].z) : null;
}"""


def heatmap(page) -> list[list[float | None]] | None:  # type: ignore[no-untyped-def]
    text = page.evaluate(HEATMAP_JS)
    return json.loads(text) if text else None


def metric(page, label: str) -> str:  # type: ignore[no-untyped-def]
    card = page.locator("[data-testid='stMetric']").filter(has_text=label)
    return card.locator("[data-testid='stMetricValue']").inner_text()


def test_click_a_cell_make_it_a_wall_step_and_see_the_values_change(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/gridworld?layout=4x3&algo=value_iteration")
    before = wait_for(lambda: heatmap(page))
    assert before[0][2] == 0  # the open cell (2, 0), next to the +1 exit, before any sweep

    x, y = page.evaluate(CELL_CENTRE_JS, [2, 0])
    page.mouse.click(x, y)
    page.get_by_text("Cell (2, 0): empty").wait_for()

    page.locator("[data-testid='stButtonGroup']").get_by_role("radio", name="Wall").click()
    wait_for(lambda: (z := heatmap(page)) is not None and z[0][2] is None)  # a wall has no value to colour
    layout = GridLayout.from_string(parse_qs(urlparse(page.url).query)["layout"][0])
    assert layout.kind((2, 0)) == "wall"

    edited = heatmap(page)
    step = page.get_by_role("button", name="Step", exact=True)
    for sweeps in range(1, 4):
        step.click()
        wait_for(lambda n=sweeps: metric(page, "Sweeps") == str(n))
    after = wait_for(lambda: (z := heatmap(page)) != edited and z)
    assert after[1][2] != 0 and after[1][2] is not None  # values spread from the exits towards the start
    assert page.locator("[data-testid='stException']").count() == 0


def test_run_keeps_stepping_live_until_paused(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/gridworld?layout=corridor&algo=q_learning")
    wait_for(lambda: heatmap(page))
    page.get_by_role("button", name="Run", exact=True).click()
    pause = page.get_by_role("button", name="Pause", exact=True)
    pause.wait_for()

    def steps() -> int:
        return int(metric(page, "Steps").replace(",", ""))

    first = wait_for(lambda: steps())
    wait_for(lambda: steps() >= first + 20)  # the timer keeps ticking: no click needed
    pause.click()
    page.get_by_role("button", name="Run", exact=True).wait_for()
    paused_at = steps()
    page.wait_for_timeout(1500)
    assert steps() == paused_at
    assert page.locator("[data-testid='stException']").count() == 0
