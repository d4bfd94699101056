"""The classroom benchmark's sessions are real viewers: against a real ``streamlit run app.py``, a session
presses Start and a run trains; watchers get the run's page and its timer's fragment reruns.

Without these the load tool could measure an empty page (a wrong page name, a run that never started, a
timer never driven) and still report fast pages.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from pathlib import Path

import pytest
from streamlit.proto.Element_pb2 import Element

from benchmarks.bench_classroom import MEMORY, REPO, merged, run_status, run_steps, serve, start_run, summarise
from benchmarks.streamlit_viewer import Viewer, widget_state

QUERY = "env=CartPole-v1&algo=ppo&timesteps=100000&seed={seed}"


def test_widget_state_is_what_the_frontend_sends_for_an_untouched_widget() -> None:
    number = Element()
    number.number_input.id, number.number_input.default = "$$ID-1-steps", 0
    number.number_input.value, number.number_input.set_value = 5_000_000, True
    choice = Element()
    choice.selectbox.id, choice.selectbox.default = "$$ID-2-algo", 1
    choice.selectbox.options.extend(["A2C", "PPO"])
    button = Element()
    button.button.id = "$$ID-3-start"

    assert widget_state(number).int_value == 5_000_000  # the set value, not the default, as an int
    assert widget_state(choice).string_value == "PPO"  # the option's text at the default index
    assert widget_state(button) is None  # a button sends a trigger only when pressed


@pytest.mark.slow
def test_sessions_start_a_run_and_watch_its_live_page(tmp_path: Path) -> None:
    async def scenario() -> tuple[str, str, int, list[Viewer]]:
        async with serve(REPO, tmp_path) as server:
            run_id = await start_run(server, 1, QUERY)
            tabs = [Viewer(server.base, "train", f"run={run_id}") for _ in range(3)]
            for tab in tabs:
                await tab.open()
            began = time.monotonic()
            while min(tab.stats.fragment_runs for tab in tabs) < 3 and time.monotonic() - began < 60:
                await asyncio.sleep(0.5)
            status, steps = run_status(server, run_id), run_steps(server, run_id)
            for tab in tabs:
                await tab.close()
        return run_id, status, steps, tabs

    # in a thread of its own: after the browser tests this thread may already run Playwright's event loop
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        run_id, status, steps, tabs = pool.submit(asyncio.run, scenario()).result()

    assert status == "running" and steps > 0, "Start pressed through the protocol must train a run"
    for tab in tabs:
        assert tab.stats.errors == []
        assert tab.stats.page_s and tab.stats.page_s[0] > 0
        assert tab.stats.fragment_runs >= 3, "the page's run_every timer must be driven as a browser does"
        assert len(tab.stats.fragment_s) >= 3
        assert tab.stats.unknown_widgets == set()
        assert any("/ 100,000 steps" in text for text in tab.texts), "the run's progress line"
        assert any(":green-badge[training]" in text for text in tab.texts), "the run's title and status badge"
    assert run_id


def _phase(steps_per_s: float, ended: list[str] | None = None) -> dict:
    return {"seconds": 60.0, "total_steps_per_s": steps_per_s, "private_mb_per_min": 1.0, "ended": ended or []}


def test_an_unwatched_phase_in_which_a_run_ended_is_left_out_of_the_ratio_not_averaged_in() -> None:
    """On a quiet machine two runs can finish their 5M steps before the last phase ends (2026-12-01: nobody
    watching averaged to 11,802 steps/s with one phase at 8,500, and the ratio read 1.17)."""
    watched = {
        **_phase(13_787.0),
        "tabs": [],
        "memory": {"samples": [[0.0, dict.fromkeys(("private", "pss", "rss"), 1.0)]]},
    }
    phases = {
        "unwatched_before": _phase(15_105.0),
        "watched": watched,
        "unwatched_after": _phase(8_500.0, ["finished"]),
    }
    result = summarise(phases, log="")
    assert result["ratio"] == round(13_787 / 15_105, 3) and result["unwatched_phases"] == ["unwatched_before"]
    assert result["errors"] == 0
    watched_end = {**watched, "tabs": [], "ended": ["finished"]}
    both = {
        "unwatched_before": _phase(15_000.0),
        "watched": watched_end,
        "unwatched_after": _phase(9_000.0, ["failed"]),
    }
    result = summarise(both, log="")
    assert result["errors"] == 1 and result["ratio"] is None  # the watched phase is not measured: an error


def test_the_phase_with_nobody_watching_in_the_middle_of_the_runs_lives_counts_in_the_ratio() -> None:
    """The runs speed up as their episodes lengthen: a baseline taken only before the tabs came would flatter them."""
    watched = {**_phase(14_000.0), "tabs": [], "memory": {"samples": [[0.0, dict.fromkeys(MEMORY, 1.0)]]}}
    phases = {
        "unwatched_before": _phase(15_000.0),
        "watched": watched,
        "unwatched_middle": _phase(16_000.0),
        "unwatched_after": _phase(9_000.0, ["finished"]),
    }
    result = summarise(phases, log="")
    assert result["unwatched_phases"] == ["unwatched_before", "unwatched_middle"]
    assert result["ratio"] == round(14_000 / 15_500, 3)


def test_two_halves_of_the_watched_phase_merge_weighted_by_their_seconds() -> None:
    first = {**_phase(14_000.0), "seconds": 100.0, "steps_per_s": [7_000.0, 7_000.0], "load": 2.0}
    second = {**_phase(16_000.0), "seconds": 300.0, "steps_per_s": [8_000.0, 8_000.0], "load": 3.0}
    for half, cores in ((first, 1.8), (second, 2.0)):
        half.update(server_cpu=0.1, client_cpu=0.01, workers_cpu=cores)
    both = merged(first, second)
    assert both["seconds"] == 400.0 and both["total_steps_per_s"] == 15_500.0 and both["steps_per_s"] == [7_750.0] * 2
    assert (
        both["workers_cpu"] == 1.95 and both["steps_per_worker_cpu_s"] == round(15_500 / 1.95) and both["load"] == 3.0
    )
