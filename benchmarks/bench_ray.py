"""Runs on Ray against runs in worker processes: the same trials, side by side in one sitting.

    python -m benchmarks.bench_ray                      # 4 trials per side, 2 at a time, 20,000 steps each, 2 repeats
    python -m benchmarks.bench_ray --trials 12 --steps 50000 --repeats 1

It re-runs itself in a network namespace with only loopback (``unshare -n``, root; GUIDE.md section 9), starts a
local 2-CPU Ray cluster once, and trains the same CartPole PPO trials (the demo preset, evaluation episodes on,
run folders kept: as the app's Train page does) through the app's :class:`~agents.runs.manager.RunManager`,
two at a time, once with the process executor (a warm forkserver) and once with the Ray executor, alternating
which side goes first. Both sides start warm: the forkserver has imported torch and SB3, and the Ray side has one
warm actor per CPU (as after a server's first runs: a run's actor then serves the next run). Per side it measures
the wall time of all trials, and per trial the time from Start to its first training step and from Start to its
end. Ray's cost per trial is the difference of the per-trial times.

Prints a Markdown table and one JSON object (last line). The machine is shared: say the load (printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

IN_NAMESPACE = "BENCH_RAY_IN_NAMESPACE"


def medians_by_side(rows: list[dict[str, Any]], sides: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per side (``row["side"]``), the median of each timing (each key ending in ``_s``) over the repeats."""
    keys = [key for key in rows[0] if key.endswith("_s")]
    return {side: {key: statistics.median(r[key] for r in rows if r["side"] == side) for key in keys} for side in sides}


def in_loopback_namespace(module: str) -> None:
    """Re-run ``python -m module`` (same arguments) in a network namespace with only loopback, and exit with its
    status; return at once when already in it. Ray's packets then stay on 127.0.0.1 (GUIDE.md section 9)."""
    if os.environ.get(IN_NAMESPACE):
        return
    command = f"ip link set lo up; exec {sys.executable} -m {module} " + " ".join(sys.argv[1:])
    env = {**os.environ, IN_NAMESPACE: "1"}
    env.pop("RAY_ADDRESS", None)
    raise SystemExit(subprocess.call(["unshare", "-n", "sh", "-c", command], env=env))


def trials(executor: Any, count: int, steps: int, runs_dir: Path) -> dict[str, Any]:
    """Train ``count`` trials (seeds 0..count-1) two at a time on ``executor``; wall times in seconds."""
    from agents.config.run_config import build_config
    from agents.runs.manager import RunManager
    from agents.runs.run import RunStatus
    from agents.storage.store import RunStore

    manager = RunManager(max_concurrent=2, store=RunStore(runs_dir), executor=executor, max_kept=1000)
    began = time.perf_counter()
    started = {}
    runs = []
    for seed in range(count):
        run = manager.start(build_config("CartPole-v1", "ppo", seed=seed, timesteps=steps))
        runs.append(run)
    first_step: dict[str, float] = {}
    ended: dict[str, float] = {}
    while len(ended) < count:
        now = time.perf_counter()
        for run in runs:
            if run.id not in started and run.alive:
                started[run.id] = now  # launched: it left the queue
            if run.id not in first_step and run.snapshot().timesteps > 0:
                first_step[run.id] = now
            if run.id not in ended and not run.status.active:
                ended[run.id] = now
        time.sleep(0.02)
    for run in runs:
        run.join(30)
        if run.status != RunStatus.FINISHED:
            raise SystemExit(f"run {run.id} ended {run.status}: {run.error}")
    wall = time.perf_counter() - began
    return {
        "wall_s": wall,
        "first_step_s": statistics.median(first_step[r.id] - started.get(r.id, began) for r in runs),
        "trial_s": statistics.median(ended[r.id] - started.get(r.id, began) for r in runs),
        "train_s": statistics.median(r.snapshot().elapsed_s for r in runs),
    }


def measure(count: int, steps: int, repeats: int) -> dict[str, Any]:
    import ray

    from agents.runs.workers.process import ProcessExecutor, warm

    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    cluster_start_s = time.perf_counter() - t0
    from agents.runs.workers.ray import RayExecutor

    warm()  # the forkserver: imports done once, every worker forks warm
    on_ray = RayExecutor()
    sides = {"process": ProcessExecutor(), "ray": on_ray}
    rows: list[dict[str, Any]] = []
    root = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    try:
        for repeat in range(repeats):
            order = ["process", "ray"] if repeat % 2 == 0 else ["ray", "process"]
            for side in order:
                if side == "ray":
                    on_ray.warm()  # as the forkserver: one warm actor per CPU (idle ones end after a minute)
                result = trials(sides[side], count, steps, root / f"{side}-{repeat}")
                rows.append({"side": side, "repeat": repeat, **result})
                print(f"{side:8} repeat {repeat}: {json.dumps(result)}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        ray.shutdown()
    summary = medians_by_side(rows, sides)
    return {
        "trials": count,
        "steps": steps,
        "repeats": repeats,
        "cluster_start_s": cluster_start_s,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "rows": rows,
        "summary": summary,
        "wall_ratio": summary["ray"]["wall_s"] / summary["process"]["wall_s"],
        "per_trial_overhead_s": summary["ray"]["trial_s"] - summary["process"]["trial_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    in_loopback_namespace("benchmarks.bench_ray")
    result = measure(args.trials, args.steps, args.repeats)
    process, on_ray = result["summary"]["process"], result["summary"]["ray"]
    print(
        f"\n{args.trials} trials of CartPole PPO, {args.steps:,} steps each, 2 at a time; "
        f"load {result['load_before']:.1f}"
    )
    print("| median | process executor | Ray executor |")
    print("|---|---|---|")
    for key, label in (
        ("wall_s", "all trials, wall"),
        ("trial_s", "one trial, Start to end"),
        ("first_step_s", "Start to first step"),
        ("train_s", "training time (run clock)"),
    ):
        print(f"| {label} | {process[key]:.1f} s | {on_ray[key]:.1f} s |")
    print(
        f"Ray/process wall ratio {result['wall_ratio']:.2f}; "
        f"Ray's cost per trial {result['per_trial_overhead_s']:+.1f} s; "
        f"cluster start {result['cluster_start_s']:.1f} s (once)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
