"""In a real Chromium: a person labels pairs of clips by clicking, the counters move, and training starts once the
first labels are in. The click-to-next-pair time is measured here but asserted nowhere (benchmarks/ reports it)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import CUT_TEXT_JS, open_app
from tests.browser.labelling import answer_and_time, clip_sources, pairs_ready
from tests.browser.test_train_flow import stop_button, wait_for

pytestmark = pytest.mark.browser

PROGRESS = re.compile(r"([\d,]+) / [\d,]+ steps")
FIRST_LABELS = 15


def metric(page, label: str) -> str:  # type: ignore[no-untyped-def]
    """The value of the metric called ``label``."""
    box = page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))
    return box.get_by_test_id("stMetricValue").first.inner_text().strip() if box.count() else ""


def steps(page) -> int:  # type: ignore[no-untyped-def]
    text = page.get_by_text(PROGRESS)
    match = PROGRESS.search(text.first.inner_text()) if text.count() else None
    return int(match.group(1).replace(",", "")) if match else 0


def test_a_person_labels_pairs_by_clicking_and_training_starts(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/feedback")
    page.get_by_text("You: watch two clips, click the better one").wait_for()
    page.get_by_role("button", name="Start learning from labels").click()
    page.wait_for_url(re.compile(r"run=\d{8}-\d{6}-[0-9a-f]{6}"))
    page.get_by_text(f"Training waits for your labels: 0 of the first {FIRST_LABELS}").wait_for(timeout=60_000)
    assert metric(page, "Your labels") == "0"
    # on a 1280x720 screen (a laptop, a projector) the answers show with the clips, without scrolling
    page.set_viewport_size({"width": 1280, "height": 720})
    wait_for(lambda: pairs_ready(page) >= 1 and len(clip_sources(page)) == 2, timeout=60)
    answers = page.locator("[data-testid='stMainBlockContainer'] button").filter(has_text="Can't tell").first
    box = wait_for(lambda: answers.bounding_box(), timeout=10)
    assert box["y"] + box["height"] <= 720, f"the answer buttons end at y={box['y'] + box['height']:.0f} of 720"
    cut = page.evaluate(CUT_TEXT_JS)
    assert not cut, f"text cut off at 1280x720 while labelling: {cut}"
    page.set_viewport_size({"width": 1400, "height": 1000})

    timings: list[float] = []
    for index in range(FIRST_LABELS + 3):
        wait_for(lambda: pairs_ready(page) >= 1, timeout=60)  # the next pair is rendered: time the queue, not a render
        result = answer_and_time(page, "Left" if index % 2 == 0 else "Right")
        assert "error" not in result, result
        assert result["after"] != result["before"], "the next pair's clips, not the answered pair's"
        assert len(set(result["after"].split())) == 2, "two different clips"
        timings.append(result["ms"])
        wait_for(lambda i=index: metric(page, "Your labels") == str(i + 1), timeout=10)  # the counter moves

    wait_for(lambda: steps(page) > 0, timeout=120)  # the first labels are in: training started
    page.get_by_text("Training waits for your labels").wait_for(state="detached", timeout=30_000)
    wait_for(lambda: metric(page, "Agree with the oracle") not in ("", "–"), timeout=60)
    assert float(metric(page, "Your labels / s")) > 0
    assert len(clip_sources(page)) == 2  # more pairs keep coming while it trains

    stop_button(page).click()
    page.get_by_text("Stopped: stopped by the user").wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    timings.sort()
    print(f"click to next pair: median {timings[len(timings) // 2]:.0f} ms, slowest {timings[-1]:.0f} ms")
