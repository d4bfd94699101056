"""Runs in worker processes against runs in threads of the server, side by side in one sitting.

    python -m benchmarks.bench_workers                 # 3 repeats, 10 s windows
    python -m benchmarks.bench_workers --quick         # 1 repeat, 4 s windows (a smoke check)
    python -m benchmarks.bench_workers --baseline REV  # the thread design from another commit

The thread design is the code before runs moved into worker processes (by default the parent of the commit
"Worker body and executors"), unpacked with ``git archive`` into a temporary folder. Each side runs in a
fresh Python process of its own, through the app's own :class:`~agents.runs.manager.RunManager` (as the web app
starts runs), alternating sides so both see the same load. Per side and repeat it measures:

1. **Parallel speed-up**: the CartPole PPO demo run (evaluation episodes on, as on the Train page) alone, then
   two started together; steps per second over a window after both train. Speed-up = the pair's summed
   steps/s over the single run's.
2. **UI overhead**: one run alone, then the same run with 1 and with 30 simulated viewers in the server (a
   thread each that, once a second, takes a snapshot, gets the run's figures and serialises them as
   ``st.plotly_chart`` does); ratio to the run with nobody watching.
3. **Start latency**: ``RunManager.start`` to the run's first recorded training step, on a warm server.
4. **Memory**: proportional set size (PSS, shared pages split fairly) of the server and every process it
   started, with two runs training.

Prints a Markdown table and one JSON object (last line). The machine is shared: say the load (printed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MARKER = "Worker body and executors"

SIDE = r"""
import json, os, sys, threading, time
from pathlib import Path

WINDOW_S, SETTLE_S = float(sys.argv[1]), float(sys.argv[2])
import torch
torch.set_num_threads(1)
import envs
from agents.config.run_config import build_config
from agents.runs.manager import RunManager
try:
    from agents.runs.workers.process import warm
except ImportError:
    from agents.runs.warmup import warm_up as warm
warm()
import plotly.io
try:
    from ui.run_figures import run_figures
except ImportError:  # the thread design's tree
    from ui.charts import run_figures


def config(seed):
    return build_config("CartPole-v1", "ppo", seed=seed, timesteps=2_000_000)


def steps(run):
    return run.snapshot().timesteps


def rates(runs):
    deadline = time.monotonic() + 60
    while not all(steps(r) > 0 for r in runs):
        if time.monotonic() > deadline:
            raise SystemExit("runs did not start")
        time.sleep(0.01)
    time.sleep(SETTLE_S)
    before, t0 = [steps(r) for r in runs], time.monotonic()
    time.sleep(WINDOW_S)
    after, t1 = [steps(r) for r in runs], time.monotonic()
    return [(b - a) / (t1 - t0) for a, b in zip(before, after)]


def descendants(pid):
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def pss_mb(pid):
    total = 0
    for each in descendants(pid):
        try:
            for line in Path(f"/proc/{each}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def watch(run, stop, offset):
    if stop.wait(offset):
        return
    while not stop.wait(1.0):
        snap = run.snapshot()
        for figure in run_figures(run.id, snap, threshold=475.0, show_shaped=False).values():
            plotly.io.to_json(figure.to_dict(), validate=False)


result = {"load_before": os.getloadavg()[0]}
manager = RunManager(max_concurrent=2)

started = time.perf_counter()
latencies = []
for seed in range(3):
    began = time.perf_counter()
    run = manager.start(config(seed))
    while steps(run) == 0 and run.status.active:
        time.sleep(0.001)
    latencies.append(time.perf_counter() - began)
    run.stop()
    run.join(10)
result["start_latency_s"] = latencies

alone = manager.start(config(0))
result["alone"] = rates([alone])[0]
result["viewers"] = {}
for count in (1, 30):
    stop = threading.Event()
    watchers = [threading.Thread(target=watch, args=(alone, stop, i / count), daemon=True) for i in range(count)]
    for w in watchers:
        w.start()
    result["viewers"][count] = rates([alone])[0]
    stop.set()
    for w in watchers:
        w.join()
alone.stop()
alone.join(10)

pair = [manager.start(config(1)), manager.start(config(2))]
result["pair"] = rates(pair)
result["pss_mb_two_runs"] = pss_mb(os.getpid())
manager.stop_all()
result["load_after"] = os.getloadavg()[0]
print(json.dumps(result), flush=True)
os._exit(0)
"""


def baseline_commit() -> str:
    found = subprocess.run(
        ["git", "-C", str(REPO), "log", "--format=%H", "-n1", f"--grep=^{MARKER}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not found:
        raise SystemExit(f"no commit starting with {MARKER!r}: pass --baseline REV")
    return f"{found}^"


def unpack(rev: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def measure(tree: Path, window_s: float, settle_s: float, runs_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "RUNS_DIR": str(runs_dir), "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", SIDE, str(window_s), str(settle_s)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise SystemExit(f"the side in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--baseline", help="the commit of the thread design (default: before the worker change)")
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    window_s, settle_s = (4.0, 1.0) if args.quick else (10.0, 2.0)
    rev = args.baseline or baseline_commit()

    rows: dict[str, list[dict[str, Any]]] = {"threads": [], "processes": []}
    with tempfile.TemporaryDirectory() as tmp:
        old = unpack(rev, Path(tmp) / "threads")
        for repeat in range(repeats):
            for side, tree in (("threads", old), ("processes", REPO)):
                row = measure(tree, window_s, settle_s, Path(tmp) / f"runs-{side}-{repeat}")
                rows[side].append(row)
                speedup = sum(row["pair"]) / row["alone"]
                print(
                    f"repeat {repeat} {side:9}: alone {row['alone']:.0f} steps/s, pair {sum(row['pair']):.0f} "
                    f"(x{speedup:.2f}), 30 viewers x{row['viewers']['30'] / row['alone']:.2f}, "
                    f"start {statistics.median(row['start_latency_s']):.2f} s, {row['pss_mb_two_runs']:.0f} MB, "
                    f"load {row['load_before']:.1f}->{row['load_after']:.1f}",
                    flush=True,
                )

    summary = {side: summarise(side_rows) for side, side_rows in rows.items()}
    summary["baseline"] = rev
    print()
    print("| measurement (median of repeats) | threads (before) | worker processes |")
    print("|---|---|---|")
    for key, label, fmt in (
        ("alone_fps", "one run alone, steps/s", "{:,.0f}"),
        ("pair_fps", "two runs together, steps/s (sum)", "{:,.0f}"),
        ("speedup", "parallel speed-up (pair / alone)", "{:.2f}x"),
        ("viewers_1", "steps/s with 1 viewer / nobody watching", "{:.2f}"),
        ("viewers_30", "steps/s with 30 viewers / nobody watching", "{:.2f}"),
        ("start_latency_s", "Start to first training step", "{:.2f} s"),
        ("pss_mb_two_runs", "memory with two runs training (PSS, server + workers)", "{:,.0f} MB"),
        ("load", "load average during the side", "{:.1f}"),
    ):
        print(f"| {label} | {fmt.format(summary['threads'][key])} | {fmt.format(summary['processes'][key])} |")
    print(json.dumps({"rows": rows, "summary": summary}))


def summarise(rows: list[dict[str, Any]]) -> dict[str, float]:
    def median(values: list[float]) -> float:
        return float(statistics.median(values))

    return {
        "alone_fps": median([r["alone"] for r in rows]),
        "pair_fps": median([sum(r["pair"]) for r in rows]),
        "speedup": median([sum(r["pair"]) / r["alone"] for r in rows]),
        "viewers_1": median([r["viewers"]["1"] / r["alone"] for r in rows]),
        "viewers_30": median([r["viewers"]["30"] / r["alone"] for r in rows]),
        "start_latency_s": median([statistics.median(r["start_latency_s"]) for r in rows]),
        "pss_mb_two_runs": median([r["pss_mb_two_runs"] for r in rows]),
        "load": median([(r["load_before"] + r["load_after"]) / 2 for r in rows]),
    }


if __name__ == "__main__":
    main()
