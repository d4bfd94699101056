"""End to end in a real Chromium: bad values refused in place, the configuration kept across pages and shown for
a watched run, Start in view at 1280x720, and control that no copied address carries."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_train_flow import stop_button
from tests.browser.test_train_flow import wait_for as _wait_for

pytestmark = pytest.mark.browser
PATIENCE_S = 90.0
"""Seconds to wait for the page: on a 2-core machine shared with other work (load 20), a page took 20 s to load."""
expect.set_options(timeout=PATIENCE_S * 1000)


def wait_for(predicate, timeout: float = PATIENCE_S):  # type: ignore[no-untyped-def]
    return _wait_for(predicate, timeout=timeout)


SHOTS = Path(os.environ.get("SCREENSHOTS_DIR", "/tmp/rl-playground-shots"))


def open_app(page, url: str) -> None:  # type: ignore[no-untyped-def]
    """Open a page and wait for its connection; patient, since a live run's page loads slowly on a busy machine."""
    page.set_default_timeout(PATIENCE_S * 1000)
    page.goto(url, wait_until="commit")
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")


def address(page) -> str:  # type: ignore[no-untyped-def]
    """The address bar as the browser holds it (Playwright's page.url can miss a history.replaceState)."""
    return str(page.evaluate("() => window.location.href"))


def sidebar(page):  # type: ignore[no-untyped-def]
    return page.locator("[data-testid='stSidebar']")


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_an_out_of_range_learning_rate_is_refused_next_to_its_field(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train")
    side = sidebar(page)
    side.get_by_text("Hyperparameters").click()
    rate = side.get_by_role("spinbutton", name="learning_rate", exact=True)
    rate.fill("5")
    rate.press("Enter")
    error = side.get_by_test_id("stAlertContentError").get_by_text(
        re.compile(r"learning_rate must be between .* not 5")
    )
    error.wait_for()
    expect(page.get_by_role("button", name="Start training")).to_be_disabled()
    expect(rate).to_have_value("5")  # what was typed stays, it is not replaced by a bound
    field_box, error_box = rate.bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 60, (field_box, error_box)
    rate.fill("0.0005")
    rate.press("Enter")
    expect(page.get_by_role("button", name="Start training")).to_be_enabled()
    wait_for(lambda: "learning_rate=0.0005" in address(page))


def test_the_configuration_survives_a_page_switch(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train?env=Acrobot-v1&algo=a2c&learning_rate=0.0005&seed=3")
    side = sidebar(page)
    expect(side.get_by_role("combobox", name="Environment")).to_have_value("Acrobot (Acrobot-v1)")
    budget = side.get_by_role("spinbutton", name="Steps", exact=True).input_value()
    side.get_by_role("link", name="Runs").click()
    page.get_by_role("heading", name="Runs").wait_for()
    side.get_by_role("link", name="Train").click()
    expect(side.get_by_role("combobox", name="Environment")).to_have_value("Acrobot (Acrobot-v1)")
    expect(side.get_by_role("combobox", name="Algorithm")).to_have_value("A2C")
    expect(side.get_by_role("spinbutton", name="Seed", exact=True)).to_have_value("3")
    expect(side.get_by_role("spinbutton", name="Steps", exact=True)).to_have_value(budget)
    side.get_by_text("Hyperparameters").click()
    expect(side.get_by_role("spinbutton", name="learning_rate", exact=True)).to_have_value("0.0005")
    wait_for(lambda: all(part in address(page) for part in ("learning_rate=0.0005", "env=Acrobot-v1", "seed=3")))
    assert page.locator("[data-testid='stException']").count() == 0


def test_a_watch_link_shows_the_watched_runs_configuration(server: str, page, browser) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train?env=LunarLander-v3&algo=dqn&timesteps=2000&seed=4")
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"run="))
    run_id = re.search(r"run=([^&]+)", page.url).group(1)  # type: ignore[union-attr]

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_app(fresh, f"{server}/train?run={run_id}")
    side = sidebar(fresh)
    expect(side.get_by_role("combobox", name="Environment")).to_have_value(re.compile(r"LunarLander-v3"))
    expect(side.get_by_role("combobox", name="Algorithm")).to_have_value("DQN")
    expect(side.get_by_role("spinbutton", name="Seed", exact=True)).to_have_value("4")
    wait_for(lambda: "env=LunarLander-v3" in address(fresh) and f"run={run_id}" in address(fresh))
    assert "CartPole" not in address(fresh)
    fresh.context.close()
    if stop_button(page).count():
        stop_button(page).click()


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1440, 900)])
def test_start_is_in_view_and_errors_sit_under_their_field(server: str, browser, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    open_app(page, f"{server}/train")
    start = page.get_by_role("button", name="Start training")
    start.wait_for()
    box = start.bounding_box()
    shot(page, f"train-{width}x{height}")
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box

    side = sidebar(page)
    side.get_by_text("Reward shaping").click()
    expression = side.get_by_role("textbox", name="Custom reward expression")
    expression.fill("os + 1")
    expression.press("Enter")
    error = side.get_by_test_id("stAlertContentError").get_by_text("unknown name 'os'")
    error.wait_for()
    expect(start).to_be_disabled()
    field_box, error_box = expression.bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 60, (field_box, error_box)
    error.scroll_into_view_if_needed()
    shot(page, f"train-expression-error-{width}x{height}")
    page.context.close()


def test_a_copied_address_gives_no_control_and_a_reload_keeps_it(server: str, page, browser) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/train?timesteps=3000000")  # trains longer than this test
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"run="))
    stop_button(page).wait_for()
    copied = address(page)
    assert "ctl=" not in copied and "control=" not in copied
    run_id = re.search(r"run=([^&]+)", copied).group(1)  # type: ignore[union-attr]

    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_app(other, copied)
    other.get_by_text("You are watching this run").wait_for()
    main = other.get_by_test_id("stMainBlockContainer")
    assert main.get_by_role("button", name="Pause").count() == 0 and stop_button(other).count() == 0

    open_app(page, copied)  # the owner, after a reload of the same address, still controls the run
    try:
        page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Pause").wait_for()
    finally:
        shot(page, "owner-after-reload")
    stop_button(page).dispatch_event("click")  # the live view redraws each second: no waiting for it to rest
    page.get_by_text("Stopped: stopped by the user").wait_for()
    page.get_by_role("button", name="Resume from checkpoint").wait_for()

    open_app(other, copied)  # the ended run: nobody else may resume it ...
    other.get_by_text("Stopped: stopped by the user").wait_for()
    assert other.get_by_role("button", name="Resume from checkpoint").count() == 0
    for who, can in ((other, False), (page, True)):  # ... or delete it, and a reload of Runs keeps the owner's
        open_app(who, f"{server}/runs")
        _select_run(who, run_id)
        assert (who.get_by_role("button", name="Delete run").count() == 1) is can
        assert (who.get_by_role("button", name="Resume from checkpoint").count() == 1) is can
    other.context.close()


def _select_run(page, run_id: str) -> None:  # type: ignore[no-untyped-def]
    """Tick the newest run's row in the Runs table (newest first: the run this test just started) and check the
    panel opened is that run's. The table is a canvas grid: click its selection column at the row's height."""
    grid = page.locator("[data-testid='stDataFrame']")
    grid.wait_for()
    rows = grid.locator("[role='row']")  # the grid's accessible table: a header row, then one row per run
    wait_for(lambda: rows.count() > 1)
    box = grid.bounding_box()
    header, row_height = 35, 35
    page.mouse.click(box["x"] + 15, box["y"] + header + row_height / 2)
    link = page.get_by_role("link", name="Open on the Train page")
    link.wait_for()
    assert f"run={run_id}" in (link.get_attribute("href") or ""), "the panel is the run this test started"
