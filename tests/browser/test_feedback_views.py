"""End to end in a real Chromium: a lab run's reward-model charts draw live, and a lab run shares like any run."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_app
from tests.browser.test_train_flow import wait_for

pytestmark = pytest.mark.browser

LAB_LINK = (
    "/feedback?env=Pendulum-v1&algo=ppo&feedback=oracle&labels=30&initial_labels=10&fragment_length=10"
    "&label_noise=0.1&timesteps=2000&seed=2"
)
PLOTS_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].map(plot => ({
  title: ((plot.layout && plot.layout.title && plot.layout.title.text) || '').replace(/<[^>]+>/g, ''),
  traces: (plot._fullData || []).map(t => ({name: t.name || '', yaxis: t.yaxis || 'y', points: t.x ? t.x.length : 0})),
}))"""


def _plots(page) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    return {plot["title"]: plot["traces"] for plot in page.evaluate(PLOTS_JS)}


def _chart(page, prefix: str, min_points: int = 1) -> tuple[str, list[dict]]:  # type: ignore[no-untyped-def]
    """The drawn chart whose title starts with ``prefix``, once its first trace has ``min_points``."""

    def found() -> tuple[str, list[dict]] | None:
        for title, traces in _plots(page).items():
            if title.startswith(prefix) and traces and traces[0]["points"] >= min_points:
                return title, traces
        return None

    return wait_for(found, timeout=120)


def test_a_lab_run_draws_its_returns_reward_scatter_and_label_efficiency_live(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, server + LAB_LINK)
    sidebar = page.locator("[data-testid='stSidebar']")
    # a fresh server's first page on a loaded machine takes a while
    expect(sidebar.get_by_role("spinbutton", name="labels", exact=True)).to_have_value("30", timeout=60_000)
    sidebar.get_by_role("button", name="Start learning from labels").click()
    page.wait_for_url(re.compile(r"run="))

    title, _ = _chart(page, "Learned vs true reward per step", min_points=10)
    assert re.search(r"correlation -?\d\.\d\d \(over [\d,]+ steps\)", title), title
    _, curve = _chart(page, "Label efficiency")
    assert curve[0]["name"] == "held-out pair accuracy"
    _, returns = _chart(page, "True and learned return per episode")
    axes = {trace["name"]: trace["yaxis"] for trace in returns}
    assert axes["true return, per episode"] == "y"
    assert axes["learned return (what the agent optimises), per episode"] == "y2"
    assert not any("shaped" in name for name in axes)

    # the label-efficiency curve grows as the schedule asks more labels
    wait_for(
        lambda: (
            (c := _plots(page).get("Label efficiency: held-out pair accuracy against labels used"))
            and c[0]["points"] >= 2
        ),
        timeout=120,
    )
    page.get_by_text("Finished:").wait_for(timeout=120_000)
    assert page.locator("[data-testid='stException']").count() == 0


def test_a_lab_run_shares_its_feedback_settings_and_opens_in_the_lab(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(
        page, server + LAB_LINK.replace("labels=30", "labels=12").replace("initial_labels=10", "initial_labels=12")
    )
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("Rule: you write").click(timeout=60_000)
    rule = sidebar.get_by_role("textbox", name=re.compile("Preference rule"))
    rule.fill("-abs(theta_dot)")
    rule.press("Enter")
    wait_for(lambda: "rule=" in page.url)
    sidebar.get_by_role("button", name="Start learning from labels").click()
    page.wait_for_url(re.compile(r"run="))
    run_id = parse_qs(urlsplit(page.url).query)["run"][0]
    sidebar.get_by_text("Share", exact=True).click()
    link = sidebar.locator("code").filter(has_text="/feedback?").first.inner_text()
    query = parse_qs(urlsplit(link.replace("\n", "")).query)
    assert query["feedback"] == ["rule"] and query["rule"] == ["-abs(theta_dot)"] and query["labels"] == ["12"]
    assert set(query) <= {
        "env",
        "algo",
        "seed",
        "timesteps",
        "feedback",
        "labels",
        "initial_labels",
        "fragment_length",
        "rule",
    }

    other = page.context.new_page()
    open_app(other, link.replace("\n", ""))
    other_sidebar = other.locator("[data-testid='stSidebar']")
    expect(other_sidebar.get_by_role("textbox", name=re.compile("Preference rule"))).to_have_value("-abs(theta_dot)")
    expect(other_sidebar.get_by_role("spinbutton", name="labels", exact=True)).to_have_value("12")

    open_app(other, f"{server}/train?run={run_id}")  # a watch link on the Train page opens the lab
    other.wait_for_url(re.compile(r"/feedback\?"))
    other.get_by_role("heading", name="Feedback lab").wait_for()
    assert other.locator("[data-testid='stException']").count() == 0
