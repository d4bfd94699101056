"""The classroom: 30 real Streamlit sessions watching one run while two runs train, against nobody watching.

    python -m benchmarks.bench_classroom                      # 30 sessions, a 10-minute watched phase
    python -m benchmarks.bench_classroom --quick              # a 1-minute smoke check
    python -m benchmarks.bench_classroom --baseline           # the same against the thread design, same sitting
    python -m benchmarks.bench_classroom --sessions 10 --minutes 3 --baseline REV

For each side (this tree; with ``--baseline`` also the thread design: by default the parent of the commit
"Worker body and executors", unpacked with ``git archive`` as ``benchmarks.bench_workers`` does) it starts
``streamlit run app.py --server.headless true`` on a free loopback port with a runs folder of its own, and:

1. starts two CartPole PPO runs with RL Zoo's settings (5,000,000-step budgets, seeds 1 and 2) as a person does:
   a session opens the Train page with the configuration in its link and presses **Start training**;
2. measures the two runs' summed training steps per second (from each run folder's ``progress.csv``) with
   nobody watching, then while ``--sessions`` sessions watch the first run on ``/train?run=ID`` in two halves,
   with a phase between them in which the tabs stay open and ask for no redraw, then with nobody watching again.
   Watched over unwatched is the watched rate over the mean of the unwatched phases both runs trained through
   (the runs get faster as their episodes lengthen, and on a quiet machine they reach their 5M steps, the most a
   run may have, before the last phase: the middle one keeps the comparison fair);
3. records, for the watchers, the time to a rendered page (page load, websocket, the script run to its
   ``script_finished``) and each timed fragment rerun's round trip (the page's ``st.fragment(run_every=1)``,
   whose timer the browser drives), every exception drawn on a page, failed script run and disconnect,
   and tracebacks in the server's log;
4. samples the server process's memory (private, PSS and RSS from ``/proc``) through the watched phase; growth is the
   last sample less the first one taken after every session has its page.

The sessions are :class:`benchmarks.streamlit_viewer.Viewer` s: Streamlit's websocket protocol spoken as its
frontend speaks it (checked against a real Chromium on the same page: the same rerun messages, widget
states and timer). They run in this process, which shares the machine with the server: their CPU time is
printed beside the server's, and beside the runs' workers' (cores they got, and steps per CPU second they made).
Prints per-phase lines, a Markdown table and one JSON object (last line).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_workers import REPO, baseline_commit, unpack
from benchmarks.streamlit_viewer import Viewer

RUN_QUERY = "env=CartPole-v1&algo=ppo&preset=zoo&timesteps=5000000&seed={seed}"
"""CartPole PPO with RL Zoo's settings: the demo preset trains at about 7,500 steps/s on a quiet core and reaches the
5,000,000 steps a run may have in 11 minutes, before the phases end; RL Zoo's (8 envs, 20 epochs) lasts them."""
START_LABEL = "Start training"
TRAINING = ("running", "starting")
RUN_WALL_S = 900.0
"""A run's default wall-clock cap in both designs: the phases must end before the runs do."""
SAMPLE_S = 5.0
PAUSE_SETTLE_S = 5.0
"""Seconds from pausing the tabs to measuring the middle phase: the redraws already asked for are drawn."""
UNWATCHED = ("unwatched_before", "unwatched_middle", "unwatched_after")
MEMORY = ("private", "pss", "rss")


@dataclass
class Server:
    """A ``streamlit run app.py`` process: its process, base URL, runs folder and log."""

    process: subprocess.Popen[bytes]
    base: str
    runs: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serve(tree: Path, folder: Path) -> AsyncIterator[Server]:
    """Run the app in ``tree`` headless on a free loopback port, runs kept in ``folder``/runs; stopped (SIGTERM)
    on exit. Raises RuntimeError if it does not answer ``/_stcore/health`` within 90 s."""
    port, runs, log = _free_port(), folder / "runs", folder / "streamlit.log"
    runs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RUNS_DIR": str(runs), "RL_PLAYGROUND_MAX_RUNS": "2", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"]
    command += ["--browser.gatherUsageStats", "false"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", runs, log)
    try:
        deadline = time.monotonic() + 90
        while not await asyncio.to_thread(_healthy, server):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
            await asyncio.sleep(0.3)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _healthy(server: Server) -> bool:
    try:
        with urllib.request.urlopen(f"{server.base}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


async def start_run(server: Server, seed: int, query: str = RUN_QUERY) -> str:
    """Start a run as a person does: open the Train page with the configuration in the link, press Start
    and close the tab once the page names the run. Returns the run's id. Raises RuntimeError if no run starts."""
    tab = Viewer(server.base, "train", query.format(seed=seed))
    try:
        await tab.open()
        await tab.press(START_LABEL)
        params = dict(part.split("=", 1) for part in tab.query.split("&") if "=" in part)
        if "run" not in params:
            raise RuntimeError(f"Start did not start a run: {tab.stats.errors or tab.texts[:5]}")
        return params["run"]
    finally:
        await tab.close()


def run_steps(server: Server, run_id: str) -> int:
    """The run's training steps so far: the last row of its ``progress.csv`` (0 before the first)."""
    path = server.runs / run_id / "progress.csv"
    try:
        lines = path.read_text().splitlines()
        column = lines[0].split(",").index("time/total_timesteps")
        for line in reversed(lines[1:]):
            with contextlib.suppress(IndexError, ValueError):
                return int(float(line.split(",")[column]))
    except (OSError, IndexError, ValueError):
        pass
    return 0


def run_status(server: Server, run_id: str) -> str:
    try:
        return str(json.loads((server.runs / run_id / "status.json").read_text()).get("status", "?"))
    except (OSError, ValueError):
        return "?"


def memory_mb(pid: int) -> dict[str, float]:
    """One process's memory in MB from ``/proc/PID/smaps_rollup``: private (its own pages, what a leak grows),
    PSS (shared pages split among the processes that map them: moves when workers start or stop) and RSS."""
    kb = {"private_clean": 0, "private_dirty": 0, "pss": 0, "rss": 0}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name = line.split(":", 1)[0].lower()
            if name in kb:
                kb[name] = int(line.split()[1])
    return {
        "private": round((kb["private_clean"] + kb["private_dirty"]) / 1024, 1),
        "pss": round(kb["pss"] / 1024, 1),
        "rss": round(kb["rss"] / 1024, 1),
    }


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from ``/proc/PID/stat``."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the server's forkserver and the run workers it forked), from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


class Phase:
    """Steps of the runs, CPU of the server, of the runs' workers and of this process, and the load, from start to end
    of a phase. The workers' CPU says whether the runs lost cores (to the server, the tool or other work on the
    machine) or ran slower on the cores they had (steps per worker CPU second)."""

    def __init__(self, server: Server, runs: list[str]) -> None:
        self.server, self.runs = server, runs
        self.start()

    def start(self) -> None:
        self._steps = [run_steps(self.server, r) for r in self.runs]
        self._clock, self._own_cpu = time.monotonic(), time.process_time()
        self._server_cpu = cpu_s(self.server.process.pid)
        self._workers = {pid: cpu_s(pid) for pid in descendants(self.server.process.pid)}
        self._private_mb = memory_mb(self.server.process.pid)["private"]

    def end(self) -> dict[str, Any]:
        seconds, pid = time.monotonic() - self._clock, self.server.process.pid
        steps = [run_steps(self.server, r) - s for r, s in zip(self.runs, self._steps, strict=True)]
        workers_cpu = sum(cpu_s(pid) - at for pid, at in self._workers.items()) / seconds
        return {
            "seconds": round(seconds, 1),
            "steps_per_s": [round(s / seconds, 1) for s in steps],
            "total_steps_per_s": round(sum(steps) / seconds, 1),
            "server_cpu": round((cpu_s(pid) - self._server_cpu) / seconds, 3),
            "client_cpu": round((time.process_time() - self._own_cpu) / seconds, 3),
            "workers_cpu": round(workers_cpu, 3),
            "steps_per_worker_cpu_s": round(sum(steps) / seconds / workers_cpu) if workers_cpu > 0 else None,
            "load": round(os.getloadavg()[0], 2),
            "private_mb_per_min": round((memory_mb(pid)["private"] - self._private_mb) / seconds * 60, 2),
        }


async def watch(
    server: Server, run_id: str, sessions: int, seconds: float, ramp_s: float, runs: list[str], pause_s: float
) -> tuple[dict, dict]:
    """``sessions`` tabs open ``/train?run=run_id`` over ``ramp_s`` seconds and watch for ``seconds`` after the
    last has its page, in two halves with ``pause_s`` between them in which every tab stays open but asks for no
    redraw (nobody watching, in the middle of the runs' lives: they get faster as their episodes grow longer, so
    the phases with nobody watching are taken before, in the middle and after). Returns the watched phase's
    figures (the two halves together; memory sampled from the first page to the end) and the middle phase's."""
    tabs = [Viewer(server.base, "train", f"run={run_id}") for _ in range(sessions)]
    pid = server.process.pid
    before = memory_mb(pid)

    async def arrive(tab: Viewer, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await tab.open()
        except (OSError, TimeoutError) as error:
            tab.stats.errors.append(f"the page did not open: {error!r}")

    rng = random.Random(0)
    await asyncio.gather(*(arrive(tab, rng.uniform(0, ramp_s)) for tab in tabs))
    samples = [(0.0, memory_mb(pid))]
    began = time.monotonic()

    async def sample_for(span: float) -> None:
        end = time.monotonic() + span
        while (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(SAMPLE_S, left))
            samples.append((round(time.monotonic() - began, 1), memory_mb(pid)))

    halves = []
    for half in range(2):
        phase = Phase(server, runs)
        await sample_for(seconds / 2)
        halves.append(phase.end())
        if half == 0:
            for tab in tabs:
                tab.paused = True
            await sample_for(PAUSE_SETTLE_S)  # the redraws already asked for are drawn
            middle = Phase(server, runs)
            await sample_for(pause_s)
            middle_figures = middle.end()
            for tab in tabs:
                tab.paused = False
    figures = merged(*halves)
    for tab in tabs:
        await tab.close()
    await asyncio.sleep(2)
    figures["memory"] = {"before_mb": before, "samples": samples, "after_close_mb": memory_mb(pid)}
    figures["tabs"] = tabs
    return figures, middle_figures


def merged(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two phases' figures as one: rates weighted by their seconds, the later load."""
    total = first["seconds"] + second["seconds"]

    def mean(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else (a * first["seconds"] + b * second["seconds"]) / total

    result: dict[str, Any] = {"seconds": round(total, 1), "load": second["load"]}
    for key in ("total_steps_per_s", "server_cpu", "client_cpu", "workers_cpu", "private_mb_per_min"):
        result[key] = round(mean(first[key], second[key]), 3)
    per_run = zip(first["steps_per_s"], second["steps_per_s"], strict=True)
    result["steps_per_s"] = [round(mean(a, b), 1) for a, b in per_run]
    result["steps_per_worker_cpu_s"] = (
        round(result["total_steps_per_s"] / result["workers_cpu"]) if result["workers_cpu"] else None
    )
    return result


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


async def measure_side(tree: Path, label: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """One design: start its server and two runs, then unwatched, watched, unwatched; its figures."""
    async with serve(tree, folder) as server:
        runs = [await start_run(server, seed) for seed in (1, 2)]
        deadline = time.monotonic() + 120
        while not all(run_steps(server, r) > 0 for r in runs):
            if time.monotonic() > deadline:
                statuses = [run_status(server, r) for r in runs]
                raise RuntimeError(f"{label}: the runs did not start training ({statuses})")
            await asyncio.sleep(0.5)
        await asyncio.sleep(args.settle)
        phases: dict[str, Any] = {}
        for name in ("unwatched_before", "watched", "unwatched_after"):
            if name == "watched":
                watched = watch(server, runs[0], args.sessions, args.watched_s, args.ramp, runs, args.unwatched_s)
                phases[name], phases["unwatched_middle"] = await watched
                phases["unwatched_middle"]["ended"] = []  # a run that ended by then ended in the watched phase
            else:
                phase = Phase(server, runs)
                await asyncio.sleep(args.unwatched_s)
                phases[name] = phase.end()
            # A run that ended (its 5M-step budget, the most a run may have, lasts about 11 minutes on a quiet
            # 2-core machine) makes the phase's steps/s meaningless: the phase says so and is left out.
            phases[name]["ended"] = [s for s in (run_status(server, r) for r in runs) if s not in TRAINING]
            for shown_name in ("unwatched_middle", name) if name == "watched" else (name,):
                shown = {k: v for k, v in phases[shown_name].items() if k not in ("tabs", "memory")}
                print(f"{label:9} {shown_name:16} {shown}", flush=True)
    log = server.log.read_text()
    return summarise(phases, log)


def summarise(phases: dict[str, Any], log: str) -> dict[str, Any]:
    """The side's figures. Steps/s with nobody watching is the mean of the unwatched phases both runs trained
    through; a run that ended during the watched phase (or before every unwatched one) is an error."""
    watched = phases["watched"]
    tabs: list[Viewer] = watched.pop("tabs")
    alone = [name for name in UNWATCHED if name in phases and not phases[name].get("ended")]
    unwatched = sum(phases[name]["total_steps_per_s"] for name in alone) / len(alone) if alone else 0.0
    page = [s for tab in tabs for s in tab.stats.page_s]
    fragment = [s for tab in tabs for s in tab.stats.fragment_s]
    errors = [e for tab in tabs for e in tab.stats.errors]
    errors += [f"a run ended during the watched phase ({s})" for s in watched.get("ended", ())]
    errors += ["no unwatched phase with both runs training"] if not alone else []
    errors += ["the server logged a traceback"] * log.count("Traceback")
    samples = watched["memory"]["samples"]
    reruns = sum(tab.stats.fragment_runs for tab in tabs)
    return {
        "phases": phases,
        "ratio": round(watched["total_steps_per_s"] / unwatched, 3) if unwatched and not watched.get("ended") else None,
        "unwatched_steps_per_s": round(unwatched, 1),
        "watched_steps_per_s": watched["total_steps_per_s"],
        "page_p50_s": percentile(page, 50),
        "page_p95_s": percentile(page, 95),
        "fragment_p50_s": percentile(fragment, 50),
        "fragment_p95_s": percentile(fragment, 95),
        "pages": len(page),
        "fragment_reruns": reruns,
        "fragment_reruns_per_tab_s": round(reruns / len(tabs) / watched["seconds"], 2) if tabs else 0.0,
        "squashed_runs": sum(tab.stats.finished["FINISHED_EARLY_FOR_RERUN"] for tab in tabs),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "growth_mb": {key: round(samples[-1][1][key] - samples[0][1][key], 1) for key in MEMORY},
        "server_mb": samples[-1][1],
        "unwatched_phases": alone,
        "unwatched_mb_per_min": round(sum(phases[name]["private_mb_per_min"] for name in alone) / len(alone), 2)
        if alone
        else None,
        "unknown_widgets": sorted({w for tab in tabs for w in tab.stats.unknown_widgets}),
    }


TABLE = (
    ("ratio", "training steps/s, watched / nobody watching (2 runs)", "{:.2f}", "≥ 0.95"),
    ("unwatched_phases", "nobody watching: the phases both runs trained through", "{}", ""),
    ("unwatched_steps_per_s", "steps/s of the 2 runs, nobody watching", "{:,.0f}", ""),
    ("watched_steps_per_s", "steps/s of the 2 runs, watched", "{:,.0f}", ""),
    ("page_p95_s", "time to a rendered page, p95 (p50)", "{:.2f} s", "≤ 3 s"),
    ("fragment_p95_s", "timed fragment rerun round trip, p95 (p50)", "{:.2f} s", "≤ 3 s"),
    ("fragment_reruns_per_tab_s", "fragment reruns drawn per tab per second (timer: 1)", "{:.2f}", ""),
    ("squashed_runs", "runs replaced by the next before drawn (FINISHED_EARLY_FOR_RERUN)", "{:,}", ""),
    ("errors", "errors (exceptions on a page, failed runs, disconnects, tracebacks)", "{}", "none"),
    ("growth", "server memory growth over the watched phase, private (PSS, RSS)", "{:+.1f} MB", "≤ 50 MB"),
    ("unwatched_mb_per_min", "the same with nobody watching (runs' history growing), per minute", "{:+.1f} MB", ""),
    ("server_cpu", "server CPU while watched (cores)", "{:.2f}", ""),
    ("client_cpu", "this tool's CPU while watched (cores)", "{:.2f}", ""),
    ("workers_cpu", "the runs' workers' CPU while watched (cores)", "{:.2f}", ""),
    ("steps_per_worker_cpu_s", "steps per worker CPU second while watched", "{:,}", ""),
    ("load", "load average (watched phase end)", "{:.1f}", ""),
)


def cell(result: dict[str, Any], key: str, fmt: str) -> str:
    watched = result["phases"]["watched"]
    if key == "growth":
        growth = result["growth_mb"]
        return f"{growth['private']:+.1f} MB ({growth['pss']:+.1f}, {growth['rss']:+.1f})"
    phase_keys = ("server_cpu", "client_cpu", "workers_cpu", "steps_per_worker_cpu_s", "load")
    value = watched.get(key) if key in phase_keys else result[key]
    if value is None:
        return "–"
    text = fmt.format(value)
    if key in ("page_p95_s", "fragment_p95_s"):
        text += f" ({result[key.replace('p95', 'p50')]:.2f})"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30, help="tabs watching one run (default 30)")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the watched phase (default 10)")
    parser.add_argument("--quick", action="store_true", help="a 1-minute smoke check per side")
    parser.add_argument("--baseline", nargs="?", const="", help="also the thread design at REV (default: before it)")
    args = parser.parse_args()
    args.watched_s = 30.0 if args.quick else args.minutes * 60
    args.unwatched_s, args.ramp, args.settle = (15.0, 5.0, 3.0) if args.quick else (60.0, 10.0, 10.0)
    if args.watched_s + 3 * args.unwatched_s + PAUSE_SETTLE_S > RUN_WALL_S - 60:
        parser.error(f"the runs stop after {RUN_WALL_S / 60:g} min of training (a run's default wall-clock cap)")

    sides = [("processes", REPO)]
    print(f"load before: {os.getloadavg()}, {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline is not None:
            rev = args.baseline or baseline_commit()
            sides.append(("threads", unpack(rev, Path(tmp) / "threads")))
        results = {label: asyncio.run(measure_side(tree, label, args, Path(tmp) / label)) for label, tree in sides}

    header = "| measurement | goal | " + " | ".join(f"{label}" for label in results) + " |"
    print()
    print(f"{args.sessions} sessions watching one of 2 training runs, {args.watched_s / 60:g} min watched")
    print()
    print(header)
    print("|---|---|" + "---|" * len(results))
    for key, label, fmt, goal in TABLE:
        print(f"| {label} | {goal} | " + " | ".join(cell(r, key, fmt) for r in results.values()) + " |")
    for label, result in results.items():
        if result["error_examples"]:
            print(f"{label} errors: {result['error_examples']}")
    print(f"load after: {os.getloadavg()}")
    print(json.dumps({"sessions": args.sessions, "watched_s": args.watched_s, "results": results}))


if __name__ == "__main__":
    main()
