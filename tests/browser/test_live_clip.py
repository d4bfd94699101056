"""In a real Chromium: the clip beside the curve follows the run, a stopped run shows its final policy, and the value
map beside it is of the same step."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import open_app
from tests.browser.test_train_flow import stop_button, wait_for

pytestmark = pytest.mark.browser

PLOTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(node => ({
    title: node.layout.title.text, types: node.data.map(trace => trace.type),
    z: node.calcdata[0][0].z ? [node.calcdata[0][0].z.length, node.calcdata[0][0].z[0].length] : null}))"""
"""Each plotly chart on the page: its title, its traces' types and the shape of its first trace's z (as drawn)."""
CAPTION = re.compile(r"Played at training step ([\d,]+) \(evaluation episode (\d+)\)")
PROGRESS = re.compile(r"([\d,]+) / [\d,]+ steps")


def clip(page) -> tuple[int, int, str] | None:  # type: ignore[no-untyped-def]
    """(training step, evaluation index, image address) of the clip on the page, or None before the first."""
    captions = page.get_by_text(CAPTION)
    images = page.locator("[data-testid='stImage'] img")
    if captions.count() == 0 or images.count() == 0:
        return None
    match = CAPTION.search(captions.first.inner_text())
    if match is None:
        return None
    return int(match.group(1).replace(",", "")), int(match.group(2)), images.first.get_attribute("src") or ""


def test_the_clip_advances_while_training_and_a_stopped_run_shows_its_last_policy(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train?timesteps=2000000")  # a budget the test never reaches: it ends by Stop
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"run=\d{8}-\d{6}-[0-9a-f]{6}"))

    first = wait_for(lambda: clip(page), timeout=60)
    # Clips cost at most 3% of training time: a few seconds apart on a quiet machine, longer on a loaded one.
    later = wait_for(lambda: (c := clip(page)) and c[0] > first[0] and c, timeout=240)
    assert later[1] > first[1], "a newer evaluation episode"
    assert later[2] != first[2], "another clip is shown, not the first one relabelled"

    stop_button(page).click()
    page.get_by_text("Stopped: stopped by the user").wait_for()
    final_step = int(PROGRESS.search(page.get_by_text(PROGRESS).first.inner_text()).group(1).replace(",", ""))  # type: ignore[union-attr]
    shown = wait_for(lambda: clip(page))
    # a stopped on-policy run keeps its last whole update: the demo preset's rollout is 16 envs x 16 steps
    assert final_step - 256 <= shown[0] <= final_step, (
        f"the clip was played at {shown[0]:,}, the run stopped at {final_step:,}"
    )
    assert shown[1] > later[1]
    title = f"V(s), what it expects, step {shown[0]:,}"  # the map of the clip's policy, redrawn with it
    value_map = wait_for(lambda: next((p for p in page.evaluate(PLOTS) if title in p["title"]), None))
    assert value_map["types"][0] == "heatmap" and value_map["z"] == [41, 41], value_map
    page.get_by_text("pole angle × pole angular velocity, with the cart at rest in the centre").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
