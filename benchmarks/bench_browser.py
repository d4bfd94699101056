"""What a live run's page costs the browser that shows it, side by side with an earlier design.

    python -m benchmarks.bench_browser --against a1a8c55        # this tree and commit a1a8c55, one sitting
    python -m benchmarks.bench_browser --seconds 10 --rates 1     # a quick look at this tree alone

Streamlit mounts a live Plotly chart afresh at each redraw (``ui/chart_hold.py``), and the tab that controls a run
redraws every second, so the browser's main thread spends much of each second drawing charts. On a slower laptop (a
projector's, a student's) that thread saturates: clicks wait for it. For each tree (this one; with ``--against REV``
also that commit, unpacked with ``git archive`` as ``benchmarks.bench_workers`` does), and for each CPU slow-down in
``--rates`` (Chromium's ``Emulation.setCPUThrottlingRate``: 2.5 is a machine 2.5 times slower than this one), it:

1. starts ``streamlit run app.py`` on a free loopback port (``benchmarks.bench_classroom.serve``) and opens the Train
   page of a CartPole PPO run in Debian's headless Chromium, at 1400 x 1000, and presses **Start training**;
2. after ``--settle`` seconds, measures over ``--seconds`` the share of wall time the tab's main thread was busy
   (the DevTools Protocol's ``Performance.getMetrics``: ``TaskDuration``) and how many Plotly charts it mounted a
   second, by title;
3. turns *Hold the charts* on and off three times and times each click to the page's answer (the caption that says
   the charts are held, or its going): how long a person's click waits.

The two trees run alternately, each with a server and a browser of its own, so both see the same machine. Prints
one line per measurement, a Markdown table and one JSON object (last line).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_classroom import serve
from benchmarks.bench_workers import unpack

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
QUERY = "env=CartPole-v1&algo=ppo&timesteps=2000000"
"""The demo preset with a budget the benchmark never reaches."""
HELD_TEXT = "Charts held at step"
ANSWER_S = 60.0
"""Seconds a click may wait for its answer before the page counts as not answering (printed as infinite)."""
MOUNTS_JS = """() => { window.__mounts = {}; setInterval(() => {
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    if (plot.__counted || !plot._fullLayout) continue;
    plot.__counted = true;
    const title = ((plot._fullLayout.title || {}).text || '?').replace(/<[^>]*>/g, '').replace(/, step [\\d,]+.*/, '');
    window.__mounts[title.slice(0, 40)] = (window.__mounts[title.slice(0, 40)] || 0) + 1;
  } }, 50); }"""
"""Counts each Plotly chart element once, by its title (a value map's title names its step: left out)."""


async def _busy_s(cdp: Any) -> float:
    metrics = (await cdp.send("Performance.getMetrics"))["metrics"]
    return float(next(metric["value"] for metric in metrics if metric["name"] == "TaskDuration"))


async def measure(tree: Path, rate: float, settle_s: float, seconds: float) -> dict[str, Any]:
    """One tree at one CPU slow-down: main-thread share, mounts a second by chart, click-to-answer times."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory(prefix="bench-browser-") as folder:
        async with serve(tree, Path(folder)) as server, async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(90_000)
                cdp = await page.context.new_cdp_session(page)
                await cdp.send("Performance.enable")
                await cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
                await page.goto(f"{server.base}/train?{QUERY}")
                await page.get_by_role("button", name="Start training").click()
                await page.wait_for_url("**run=**")
                await asyncio.sleep(settle_s)
                await page.evaluate(MOUNTS_JS)
                busy, started = await _busy_s(cdp), time.monotonic()
                await asyncio.sleep(seconds)
                busy, wall = await _busy_s(cdp) - busy, time.monotonic() - started
                mounts = {
                    title: round(count / wall, 2) for title, count in (await page.evaluate("window.__mounts")).items()
                }
                clicks = []
                toggle = page.locator("[data-testid='stCheckbox']", has_text="Hold the charts")
                for on in (True, False) * 3:
                    clicked = time.monotonic()
                    try:
                        await toggle.click(timeout=ANSWER_S * 1000)
                        await page.get_by_text(HELD_TEXT).wait_for(
                            state="visible" if on else "detached", timeout=ANSWER_S * 1000
                        )
                    except PlaywrightTimeout:  # a saturated page: say so, and stop clicking
                        clicks.append(float("inf"))
                        break
                    clicks.append(round(time.monotonic() - clicked, 2))
                    await asyncio.sleep(1.0)
            finally:
                await browser.close()
    return {
        "main_thread_busy": round(busy / wall, 3),
        "charts_mounted_per_s": round(sum(mounts.values()), 2),
        "mounts_per_s": dict(sorted(mounts.items(), key=lambda item: -item[1])),
        "click_to_answer_s_median": statistics.median(clicks),
        "click_to_answer_s_max": max(clicks),
        "clicks_s": clicks,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="a git revision to measure beside this tree (unpacked with git archive)")
    parser.add_argument("--rates", type=float, nargs="+", default=[1.0, 2.5], help="CPU slow-downs (default 1 2.5)")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds of training before measuring")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds measured")
    args = parser.parse_args()

    trees = {"this tree": REPO}
    with tempfile.TemporaryDirectory(prefix="bench-browser-against-") as against:
        if args.against:
            trees[args.against] = unpack(args.against, Path(against))
        rows = []
        for rate in args.rates:
            for name, tree in trees.items():
                result = {"tree": name, "cpu_slowdown": rate, **await measure(tree, rate, args.settle, args.seconds)}
                print(json.dumps(result), flush=True)
                rows.append(result)
    print(f"\nload {os.getloadavg()[0]:.1f}; {args.seconds:g} s measured after {args.settle:g} s of training\n")
    print("| tree | CPU slow-down | main thread busy | charts mounted a second | a click's answer, median (max) |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['tree']} | {row['cpu_slowdown']:g}x | {row['main_thread_busy']:.0%} | "
            f"{row['charts_mounted_per_s']:.2f} | {row['click_to_answer_s_median']:.1f} s "  # inf: no answer
            f"({row['click_to_answer_s_max']:.1f} s) |"
        )
    print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    asyncio.run(main())
