"""End to end in a real Chromium: a tiny sweep from a link, started on the Sweeps page, fills its table of trials
and draws its parallel-coordinates chart; its best configuration opens on the Train page. After the server
restarts, the page lists the sweep under Past sweeps and shows it again."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_app, start_server, stop_server

pytestmark = pytest.mark.browser

TINY_SWEEP = {
    "env": "CartPole-v1",
    "algo": "ppo",
    "method": "grid",
    "seeds": "1",
    "learning_rate": "0.001,0.03",
    "n_steps": "32",
    "batch_size": "32",
    "n_envs": "2",
    "net_arch": "32",
    "timesteps": "64",
}


def test_a_tiny_sweep_fills_its_table_and_parallel_coordinates(server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_app(page, f"{server}/sweeps?{urlencode(TINY_SWEEP)}")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("grid search, 2 trials x 1 seed over learning_rate").wait_for()
    sidebar.get_by_role("button", name="Start the sweep").click()
    page.wait_for_url(re.compile(r"sweep=\d{8}-\d{6}-[0-9a-f]{6}"))

    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_text("Done: 2 of 2 trials ended.").wait_for(timeout=90_000)
    table = main.get_by_test_id("stDataFrame")
    expect(table).to_be_visible()
    # the parallel-coordinates chart: one axis per searched value and the metric, a line per trial
    main.locator(".js-plotly-plot .parcoords").wait_for()
    axes = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData[0].dimensions.map(d => d.label)")
    assert axes == ["learning_rate (log)", "metric"]
    lines = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData[0].dimensions[1].values.length")
    assert lines == 2
    link = main.get_by_role("link", name="Open on Train")
    assert "/train?env=CartPole-v1&algo=ppo" in (link.get_attribute("href") or "")
    expect(main.get_by_role("button", name="RL Zoo YAML")).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0


def test_a_sweep_is_listed_and_shown_again_after_the_server_restarts(tmp_path: Path, page) -> None:  # type: ignore[no-untyped-def]
    process, server, _ = start_server(tmp_path)
    try:
        open_app(page, f"{server}/sweeps?{urlencode(TINY_SWEEP)}")
        page.locator("[data-testid='stSidebar']").get_by_role("button", name="Start the sweep").click()
        page.wait_for_url(re.compile(r"sweep=\d{8}-\d{6}-[0-9a-f]{6}"))
        sweep_id = page.url.rsplit("sweep=", 1)[1][:22]
        page.get_by_test_id("stMainBlockContainer").get_by_text("Done: 2 of 2 trials ended.").wait_for(timeout=90_000)
    finally:
        stop_server(process)

    process, server, _ = start_server(tmp_path)  # the same runs folder, nothing in memory
    try:
        open_app(page, f"{server}/sweeps")
        main = page.get_by_test_id("stMainBlockContainer")
        main.get_by_text("Past sweeps").wait_for()
        main.get_by_role("button", name=re.compile("grid search, 2 trials x 1 seed over learning_rate · done")).click()
        page.wait_for_url(re.compile(f"sweep={sweep_id}"), wait_until="commit")  # the address names it
        main.get_by_text("Done: 2 of 2 trials ended.").wait_for()
        main.get_by_text(re.compile("From the runs folder: started .*, finished.")).wait_for()
        expect(main.get_by_test_id("stDataFrame")).to_be_visible()
        main.locator(".js-plotly-plot .parcoords").wait_for()
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        stop_server(process)
