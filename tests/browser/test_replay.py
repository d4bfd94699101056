"""In a real Chromium: click a dot of a training run's return curve and the policy of that moment plays its episode,
with its step and return, and stays while the chart keeps redrawing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_app
from tests.browser.test_chart_hold import hold_the_charts
from tests.browser.test_train_flow import stop_button, wait_for

pytestmark = pytest.mark.browser

LAST_DOT = """() => {
    const chart = Array.from(document.querySelectorAll('.js-plotly-plot'))
        .find(node => node.layout.title.text.includes('Return per episode'));
    if (!chart) return null;
    const trace = chart.querySelector('.scatterlayer .trace');  // the first: the true return, per episode
    const dots = trace ? trace.querySelectorAll('path.point') : [];
    if (dots.length < 3) return null;
    const box = dots[dots.length - 2].getBoundingClientRect();
    return {x: box.x + box.width / 2, y: box.y + box.height / 2};
}"""
"""Where the second-to-last episode's dot is drawn (page pixels), once the curve has a few."""
PLAYED = re.compile(r"Policy at step ([\d,]+): return ([-\d,.]+) over ([\d,]+) steps")
CLICKED = re.compile(r"you clicked step ([\d,]+)")


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_clicking_the_curve_of_a_training_run_replays_that_moment(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train?timesteps=2000000")  # a budget the test never reaches: it ends by Stop
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"run=\d{8}-\d{6}-[0-9a-f]{6}"))
    page.get_by_text("Replay any moment").wait_for(timeout=90_000)  # the first snapshot came with the first clip

    def click_a_dot() -> bool:
        dot = page.evaluate(LAST_DOT)
        if dot is None:
            return False
        page.mouse.click(dot["x"], dot["y"])
        return page.get_by_text(CLICKED).count() > 0

    # A live chart is mounted afresh at every redraw and a click landing during one is lost (ui/chart_hold.py):
    # hold the charts, as the page suggests, click, then let them redraw again.
    hold_the_charts(page)
    wait_for(click_a_dot, timeout=60, interval=1.0)
    hold_the_charts(page, on=False)
    try:  # a replay plays an episode and encodes its clip: on a loaded 2-core machine that can take a while
        played = wait_for(
            lambda: page.get_by_text(PLAYED).count() and PLAYED.search(page.get_by_text(PLAYED).inner_text()),
            timeout=90,
        )
    except AssertionError:  # say what the page showed instead (a warning, a spinner), for the next reader of CI
        main = page.locator("[data-testid='stMainBlockContainer']").inner_text()
        raise AssertionError(f"no replay within 90 s after the click; the page says: {main[-2000:]}") from None
    clicked = number(CLICKED.search(page.get_by_text(CLICKED).inner_text()).group(1))  # type: ignore[union-attr]
    step, episode_return, length = (
        number(played.group(1)),
        float(played.group(2).replace(",", "")),
        number(played.group(3)),
    )
    assert 0 < step <= clicked, f"the snapshot at or before the click: {step:,} for a click at {clicked:,}"
    assert episode_return == length, "CartPole pays 1 a step"
    if step != clicked:
        page.get_by_text(f"nearest policy snapshot at or before it is step {step:,}").wait_for()
    assert page.locator("[data-testid='stImage'] img").count() == 2, "the replay's clip beside the latest clip"
    page.wait_for_timeout(2_500)  # the chart redraws with the run: the replay stays, the same moment
    assert PLAYED.search(page.get_by_text(PLAYED).inner_text()).group(1) == played.group(1)  # type: ignore[union-attr]
    stop_button(page).click()
    page.get_by_text("Stopped: stopped by the user").wait_for()
    # the stopped page lays out differently: the replay drawn at its old place fades once the redraw is done
    expect(page.get_by_text(PLAYED)).to_have_count(1)
    assert page.locator("[data-testid='stException']").count() == 0
