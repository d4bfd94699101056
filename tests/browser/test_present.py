"""A 1280x720 projector in a real Chromium: every page without a sideways scroll or text cut short, present or
not; in projector mode (``present=1``) chart text of at least 18 px, the sidebar folded away, the run's curve,
evaluation episode and metrics on one screen, and the mode kept across page switches."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import CUT_TEXT_JS, open_app
from tests.browser.test_train_flow import POINTS_JS, stop_button, wait_for

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1280, "height": 720}
MIN_CHART_FONT_PX = 18
SIDEWAYS_SCROLL_JS = """() => {
  // The page itself, and any box that scrolls sideways (a table's own scroller hides columns that way).
  const found = [];
  const page = document.scrollingElement;
  if (page.scrollWidth > page.clientWidth + 1) found.push(['page', page.scrollWidth, page.clientWidth]);
  for (const el of document.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (box.right <= 0 || box.left >= innerWidth) continue;  // off the screen (the folded sidebar): not seen
    if (['auto', 'scroll'].includes(style.overflowX) && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      found.push([el.className.toString().slice(0, 50) || el.tagName, el.scrollWidth, el.clientWidth]);
  }
  return found;
}"""
CHART_FONTS_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].map(plot => {
  const layout = plot._fullLayout;
  const sizes = [layout.font.size];
  for (const axis of ['xaxis', 'yaxis']) if (layout[axis] && layout[axis].visible !== false
      && layout[axis].showticklabels !== false) sizes.push(layout[axis].tickfont.size);
  if (layout.showlegend !== false && layout.legend) sizes.push(layout.legend.font.size);
  return sizes;
})"""
BOX_JS = """(selector) => [...document.querySelectorAll(selector)].map(el => {
  const box = el.getBoundingClientRect();
  return [Math.round(box.top), Math.round(box.bottom)];
})"""


@pytest.fixture(scope="module")
def run_id(server: str, browser) -> str:  # type: ignore[no-untyped-def]
    """A short CartPole run, stopped once its first evaluation episode is drawn."""
    page = browser.new_context(viewport=PROJECTOR).new_page()
    page.set_default_timeout(60_000)
    open_app(page, server)
    page.get_by_role("button", name="Train CartPole now").click()
    page.wait_for_url(re.compile(r"/train\?.*run="))
    wait_for(lambda: page.evaluate(POINTS_JS) > 0, timeout=60)
    page.wait_for_selector("[data-testid='stImage'] img")
    identifier = re.search(r"run=([^&]+)", page.url).group(1)  # type: ignore[union-attr]
    stop_button(page).click()
    page.get_by_text("Stopped: stopped by the user").wait_for()
    page.context.close()
    return identifier


def _open(browser, url: str):  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport=PROJECTOR).new_page()
    page.set_default_timeout(60_000)
    open_app(page, url)
    page.get_by_test_id("stMainBlockContainer").locator("h1, h3").first.wait_for()
    return page


def _sideways(page, timeout: float = 10.0) -> list:  # type: ignore[no-untyped-def,type-arg]
    """What scrolls sideways, once a table's columns have settled (empty at once, or within ``timeout``)."""
    deadline = time.monotonic() + timeout
    while (found := page.evaluate(SIDEWAYS_SCROLL_JS)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return found


def _pages(server: str, run_id: str) -> dict[str, tuple[str, str]]:
    """Each page's address and an element that shows it has drawn its main content."""
    return {
        "Home": (f"{server}/", "[data-testid='stButton']"),
        "Train": (f"{server}/train?run={run_id}", "[data-testid='stPlotlyChart'] .js-plotly-plot"),
        "Runs": (f"{server}/runs", "[data-testid='stDataFrame'] canvas"),
        "Compare": (f"{server}/compare?runs={run_id}", "[data-testid='stDataFrame'] canvas"),
        "GridWorld": (f"{server}/gridworld", "[data-testid='stPlotlyChart'] .js-plotly-plot"),
        "Sweeps": (f"{server}/sweeps", "[data-testid='stButton']"),
        "Feedback lab": (f"{server}/feedback", "[data-testid='stButton']"),
    }


@pytest.mark.parametrize("present", [False, True], ids=["normal", "present"])
def test_every_page_fits_a_1280x720_screen_without_sideways_scrolling(
    server: str, browser, run_id: str, present: bool
) -> None:  # type: ignore[no-untyped-def]
    for name, (url, drawn) in _pages(server, run_id).items():
        page = _open(browser, (url + ("&" if "?" in url else "?") + "present=1") if present else url)
        page.wait_for_selector(drawn)
        sideways = _sideways(page)
        assert sideways == [], f"{name} scrolls sideways at 1280x720: {sideways}"
        cut = page.evaluate(CUT_TEXT_JS)
        assert cut == [], f"{name} cuts text short at 1280x720: {cut}"
        if name == "GridWorld":
            ((top, bottom),) = page.evaluate(BOX_JS, "[data-testid='stPlotlyChart'] .js-plotly-plot")
            assert bottom <= PROJECTOR["height"], f"the grid's bottom row is cut off ({top}-{bottom} px)"
        page.context.close()


def test_projector_mode_shows_the_run_on_one_screen_in_large_text(server: str, browser, run_id: str) -> None:  # type: ignore[no-untyped-def]
    page = _open(browser, f"{server}/train?run={run_id}&present=1")
    page.wait_for_selector("[data-testid='stImage'] img")
    wait_for(lambda: len(page.evaluate(CHART_FONTS_JS)) >= 2)
    sidebar = page.get_by_test_id("stSidebar").bounding_box()
    assert sidebar is None or sidebar["x"] + sidebar["width"] <= 0, f"the configuration is not folded away: {sidebar}"
    fonts = page.evaluate(CHART_FONTS_JS)
    assert all(size >= MIN_CHART_FONT_PX for sizes in fonts for size in sizes), fonts
    screen = PROJECTOR["height"]
    curve = page.evaluate(BOX_JS, "[data-testid='stPlotlyChart'] .js-plotly-plot")[0]
    episode = page.evaluate(BOX_JS, "[data-testid='stImage'] img")[0]
    metrics = page.evaluate(BOX_JS, "[data-testid='stMetric']")
    for what, (top, bottom) in [
        ("return curve", curve),
        ("evaluation episode", episode),
        *[("metric", m) for m in metrics],
    ]:
        assert top >= 0 and bottom <= screen, f"the {what} ({top}-{bottom} px) is not within the 720 px screen"
    page.context.close()


def test_projector_mode_charts_on_compare_and_gridworld(server: str, browser, run_id: str) -> None:  # type: ignore[no-untyped-def]
    for url in (f"{server}/compare?runs={run_id}&present=1", f"{server}/gridworld?present=1"):
        page = _open(browser, url)
        wait_for(lambda page=page: page.evaluate(CHART_FONTS_JS))
        fonts = page.evaluate(CHART_FONTS_JS)
        assert all(size >= MIN_CHART_FONT_PX for sizes in fonts for size in sizes), (url, fonts)
        page.context.close()


def test_projector_mode_travels_with_page_switches(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _open(browser, f"{server}/?present=1")
    page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_test_id("stSidebarNav").get_by_text("Runs").click()
    page.wait_for_url(re.compile(r"/runs\?(.*&)?present=1"))
    page.get_by_test_id("stSidebarNav").get_by_text("GridWorld lab").click()
    page.wait_for_url(re.compile(r"/gridworld\?(.*&)?present=1"))
    wait_for(lambda: page.evaluate(CHART_FONTS_JS))
    assert all(size >= MIN_CHART_FONT_PX for sizes in page.evaluate(CHART_FONTS_JS) for size in sizes)
    switch = page.get_by_test_id("stSidebar").locator("input[type='checkbox']").first  # the sidebar's switch
    wait_for(lambda: switch.is_checked())
    page.get_by_test_id("stSidebar").get_by_text("Projector mode").click()  # turns it off
    wait_for(lambda: not switch.is_checked() and "present=" not in page.url)
    page.context.close()
