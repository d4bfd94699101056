"""Click-to-next-pair time in the feedback lab, measured in a real Chromium against a real server.

A person-labelled run is started on ``/feedback`` (Pendulum, PPO, the lab's defaults: training waits for the first
15 labels), and the benchmark answers ``--pairs`` pairs, alternating Left and Right, pausing ``--think-s`` between
answers as a person would (Christiano et al.: 3-5 s a label; shorter here to keep the benchmark short). Each time is
taken by the browser's own clock, from the click to both clips of the next pair drawn (see
``tests/browser/labelling.py``); only clicks with a next pair already rendered count (a person labelling faster than
clips render would wait for rendering, which is reported apart). The goal (issue 11): the next pair within 300 ms.

    python -m benchmarks.bench_labelling              # 30 pairs
    python -m benchmarks.bench_labelling --pairs 10 --think-s 0.5

Figures move with the machine's load (the server, its worker and Chromium share its cores); the load average
before and after is printed with them, and the same sitting times a click on a bare Streamlit fragment
(``benchmarks/labelling_baseline_app.py``): what any click costs on the machine at that moment.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, start_server, stop_server
from tests.browser.labelling import answer_and_time, pairs_ready

FIRST_LABELS = 15
BASELINE_APP = Path(__file__).with_name("labelling_baseline_app.py")
BASELINE_CLICK_JS = """async () => {
    const line = () => [...document.querySelectorAll("p")].map(p => p.innerText).find(t => t.startsWith("pair-"));
    const before = line();
    const button = [...document.querySelectorAll("button")].find(b => (b.innerText || "").includes("Next"));
    const started = performance.now();
    button.click();
    while (performance.now() - started < 10000) {
        await new Promise(resolve => requestAnimationFrame(resolve));
        if (line() && line() !== before) return performance.now() - started;
    }
    return -1;
}"""


def baseline_clicks(browser: object, clicks: int, think_s: float) -> list[float]:
    """Click-to-redraw times of the bare fragment app, served by a Streamlit server of its own."""
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "streamlit", "run", str(BASELINE_APP), "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_text("pair-0").wait_for()
        times = []
        for _ in range(clicks):
            time.sleep(think_s)
            times.append(float(page.evaluate(BASELINE_CLICK_JS)))
        page.close()
        return times
    finally:
        stop_server(server)  # type: ignore[arg-type]


def measure(pairs: int, think_s: float) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    process, base, _ = start_server(Path(tempfile.mkdtemp(prefix="bench-labelling-")))
    waiting_ms: list[float] = []
    training_ms: list[float] = []
    render_waits = 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(f"{base}/feedback")
            page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
            page.get_by_role("button", name="Start learning from labels").click()
            page.get_by_text("more pair(s) ready").wait_for(timeout=120_000)
            for index in range(pairs):
                deadline = time.monotonic() + 60
                if pairs_ready(page) < 1:
                    render_waits += 1
                while pairs_ready(page) < 1 and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(think_s)
                result = answer_and_time(page, "Left" if index % 2 == 0 else "Right")
                if "error" in result:
                    raise RuntimeError(result["error"])
                (waiting_ms if index < FIRST_LABELS else training_ms).append(float(result["ms"]))
            baseline_ms = baseline_clicks(browser, min(pairs, 20), think_s)
            browser.close()
    finally:
        stop_server(process)
    everything = waiting_ms + training_ms

    def summary(values: list[float]) -> dict[str, float] | None:
        if not values:
            return None
        ordered = sorted(values)
        return {
            "median_ms": round(statistics.median(ordered), 1),
            "p90_ms": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
            "max_ms": round(ordered[-1], 1),
            "within_300_ms": round(sum(v <= 300 for v in ordered) / len(ordered), 2),
            "n": len(ordered),
        }

    return {
        "all": summary(everything),
        "while_training_waits": summary(waiting_ms),
        "while_training": summary(training_ms),
        "bare_streamlit_click": summary(baseline_ms),
        "clicks_that_waited_for_rendering": render_waits,
        "think_s": think_s,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--think-s", type=float, default=1.0)
    args = parser.parse_args()
    print(json.dumps(measure(args.pairs, args.think_s), indent=2))


if __name__ == "__main__":
    main()
