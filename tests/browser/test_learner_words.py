"""End to end in a real Chromium: the words a newcomer meets first (the time estimate, where to start)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agents.lessons.rewards import LESSONS
from tests.browser.conftest import open_app

pytestmark = pytest.mark.browser
WAIT_MS = 30_000
"""A loaded 2-core machine draws a page in seconds, not milliseconds (expect's default is 5 s)."""


def test_a_long_run_is_announced_beside_start_before_it_starts(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train?env=MountainCar-v0&algo=dqn")
    sidebar = page.locator("[data-testid='stSidebar']")
    warning = sidebar.locator("[data-testid='stAlertContentWarning']").filter(has_text="Estimated training time")
    expect(warning).to_contain_text(" min", timeout=WAIT_MS)
    expect(warning).to_contain_text("Lower the step budget", timeout=WAIT_MS)
    expect(sidebar.get_by_text("steps/s measured for MountainCar · DQN")).to_be_visible(timeout=WAIT_MS)
    assert page.locator("[data-testid='stException']").count() == 0


def test_home_links_the_gridworld_lab_and_each_lesson(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("link", name="Open the GridWorld lab")).to_be_visible(timeout=WAIT_MS)
    for lesson in LESSONS.values():
        expect(main.get_by_role("link", name=lesson.title)).to_be_visible(timeout=WAIT_MS)
    main.get_by_role("link", name=LESSONS["mountaincar_shaping"].title).click()
    expect(page.get_by_role("heading", name=LESSONS["mountaincar_shaping"].title)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("What to watch for.")).to_be_visible(timeout=WAIT_MS)
