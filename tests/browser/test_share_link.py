"""End to end in a real Chromium: a share link restores its configuration into the widgets."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_app

pytestmark = pytest.mark.browser


def test_share_link_restores_its_configuration(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train?env=Acrobot-v1&algo=a2c&learning_rate=0.0005&seed=3")
    sidebar = page.locator("[data-testid='stSidebar']")
    # Even as a fresh server's first visit, the page runs inside the app's navigation.
    sidebar.get_by_role("link", name="Home").wait_for()
    # expect() retries: a widget can show its initial value for a moment before the session's state lands.
    expect(sidebar.get_by_role("combobox", name="Environment")).to_have_value("Acrobot (Acrobot-v1)")
    expect(sidebar.get_by_role("combobox", name="Algorithm")).to_have_value("A2C")
    expect(sidebar.get_by_role("spinbutton", name="Seed", exact=True)).to_have_value("3")
    sidebar.get_by_text("Hyperparameters").click()
    expect(sidebar.get_by_role("spinbutton", name="learning_rate", exact=True)).to_have_value("0.0005")
    # The address bar stays a share link for what the widgets say.
    assert "learning_rate=0.0005" in page.url and "seed=3" in page.url


def test_bad_link_values_fall_back_with_a_warning(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train?env=CartPole-v1&algo=ppo&gamma=banana&foo=%3Cscript%3Ealert(1)%3C/script%3E")
    page.get_by_text("ignored gamma").wait_for()
    page.get_by_text("ignored unknown parameter").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("Hyperparameters").click()
    gamma = sidebar.get_by_role("spinbutton", name="gamma", exact=True)
    expect(gamma).to_have_value("0.98")  # retries while the expander's widgets finish drawing
