"""End to end in a real Chromium: reward shaping with its preview and both curves; seeds compared with a band."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import open_app
from tests.browser.test_train_flow import stop_button, wait_for

pytestmark = pytest.mark.browser

TRACE_NAMES_JS = """() => {
  const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  return plot && plot._fullData ? plot._fullData.map(t => t.name || '') : [];
}"""


def test_a_typed_expression_previews_and_trains_on_both_curves(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("Reward shaping").click()
    expression = sidebar.get_by_role("textbox", name="Custom reward expression")
    expression.fill("reward + abs(x_dot)")
    expression.press("Enter")
    sidebar.get_by_text("Preview on 6 random steps").wait_for()
    sidebar.locator("[data-testid='stDataFrame']").wait_for()
    wait_for(lambda: "reward_expr=" in page.url)

    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"run="))
    # One read of the chart: it is redrawn every second, and a chart being replaced has no traces yet.
    names = wait_for(lambda: (n := page.evaluate(TRACE_NAMES_JS)) and any("shaped return" in x for x in n) and n)
    assert any("true return" in x for x in names)
    stop_button(page).click()
    page.get_by_text("Stopped: stopped by the user").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0


def test_four_seeds_are_compared_with_a_confidence_band_and_an_iqm(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train?env=CartPole-v1&algo=ppo&timesteps=4000&net_arch=32")
    page.get_by_role("spinbutton", name="Number of seeds").fill("4")  # the IQM differs from the mean from 4 on
    page.get_by_role("spinbutton", name="Number of seeds").press("Enter")
    page.get_by_role("button", name="Run 4 seeds").click()
    page.wait_for_url(re.compile(r"/compare\?runs="))
    # The page redraws as the queued seeds train; wait until all four are in the group and its band drawn.
    names = wait_for(
        lambda: (
            (n := page.evaluate(TRACE_NAMES_JS))
            and any("mean of 4 seeds" in x for x in n)
            and any("bootstrap CI" in x for x in n)
            and n
        ),
        timeout=120,
    )
    assert any("IQM of 4 seeds" in x for x in names)
    assert page.locator("[data-testid='stException']").count() == 0
