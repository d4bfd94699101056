"""A 12-trial sweep on a local 2-CPU Ray cluster (through Ray Tune) against the same sweep on worker processes.

    python -m benchmarks.bench_sweep_ray                    # 4 configurations x 3 seeds, 10,000 steps, 2 repeats
    python -m benchmarks.bench_sweep_ray --steps 20000 --repeats 1

The sweep is CartPole PPO (the demo preset), a grid of learning_rate 0.001, 0.002 x n_epochs 5, 10, 3 seeds each:
12 runs, run by the sweep runner two at a time, as the app and ``python -m agents.sweep`` run them. One side is
the process pool (:class:`~agents.sweeps.runner.SweepRun` feeding a run manager on worker processes forked from
a warm forkserver), the other a local 2-CPU Ray cluster (:class:`~agents.sweeps.ray_tune.TuneSweepRun`: Ray Tune
draws the grid and schedules the trials, each run in a Ray actor). Sides alternate which goes first. The Ray
side starts with a warm actor per CPU (as after a server's first runs); making them is timed on its own as the
cold start, as is the cluster's start. Per side: the sweep's wall time, the time from its start to its first
run's launch (Tune's start-up on Ray), and per run (medians) the time from launch to end, its training time and
its worker's CPU time (what a run costs on a core of its own, whatever the machine's load).

Re-runs itself in a network namespace with only loopback (``unshare -n``, root; GUIDE.md section 9). Prints a
Markdown table and one JSON object (last line). The machine is shared: say the load (printed), run under nice.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_ray import in_loopback_namespace, medians_by_side

PARALLEL = 2
SEEDS = 3
SPACES = {"learning_rate": "0.001,0.002", "n_epochs": "5,10"}


def sweep_side(executor: Any, steps: int, runs_dir: Path, on_ray: bool) -> dict[str, Any]:
    """Run the sweep once with ``executor``'s run manager; times in seconds."""
    from agents.algos.registry import get_algo
    from agents.runs.manager import RunManager
    from agents.runs.run import RunStatus
    from agents.storage.store import RunStore
    from agents.sweeps.definition import make_definition
    from agents.sweeps.runner import new_sweep
    from agents.sweeps.space import parse_space

    schema = get_algo("ppo").schema
    spaces = [parse_space(schema.get(name), spec) for name, spec in SPACES.items()]
    definition = make_definition("CartPole-v1", "ppo", spaces, method="grid", seeds=SEEDS, timesteps=steps)
    manager = RunManager(max_concurrent=PARALLEL, store=RunStore(runs_dir), executor=executor, max_kept=1000)
    sweep = new_sweep(definition, definition.make_trials(), manager.start, PARALLEL, on_ray=on_ray)
    sweep.folder = runs_dir.parent / f"{runs_dir.name}-sweep"
    launched: dict[str, float] = {}
    ended: dict[str, float] = {}

    def watch() -> None:
        now = time.perf_counter()
        for run_id in sweep.run_ids():
            run = manager.get(run_id)
            if run is None:
                continue
            if run_id not in launched and run.alive:
                launched[run_id] = now
            if run_id not in ended and not run.status.active:
                ended[run_id] = now

    began = time.perf_counter()
    sweep.wait(on_poll=watch)
    wall = time.perf_counter() - began
    watch()
    runs = [manager.get(run_id) for run_id in sweep.run_ids()]
    bad = [run for run in runs if run is None or run.status != RunStatus.FINISHED]
    if len(runs) != len(definition.make_trials()) * SEEDS or bad:
        raise SystemExit(f"the sweep did not finish its {4 * SEEDS} runs: {[(r.id, r.error) for r in bad if r]}")
    if on_ray:
        grid = sweep.result_grid  # type: ignore[attr-defined]
        assert grid is not None and len(grid) == 4 and not grid.errors, grid
    return {
        "wall_s": wall,
        "first_launch_s": min(launched.values()) - began,
        "trial_s": statistics.median(ended[r.id] - launched.get(r.id, began) for r in runs if r is not None),
        "train_s": statistics.median(r.snapshot().elapsed_s for r in runs if r is not None),
        "cpu_s": statistics.median(r.stats.cpu_s or 0.0 for r in runs if r is not None),
    }


def measure(steps: int, repeats: int) -> dict[str, Any]:
    import ray

    from agents.runs.workers.process import ProcessExecutor, warm

    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    ray.init(num_cpus=PARALLEL, include_dashboard=False, log_to_driver=False)
    cluster_start_s = time.perf_counter() - t0
    from agents.runs.workers.ray import RayExecutor

    warm()  # the forkserver: imports done once, every worker forks warm
    on_ray = RayExecutor()
    process = ProcessExecutor()
    rows: list[dict[str, Any]] = []
    warm_ups: list[float] = []
    root = Path(tempfile.mkdtemp(prefix="bench-sweep-ray-"))
    try:
        for repeat in range(repeats):
            for side in ("process", "ray") if repeat % 2 == 0 else ("ray", "process"):
                if side == "ray":
                    t0 = time.perf_counter()
                    on_ray.warm()  # a warm actor per CPU (idle ones end after a minute, so cold again here)
                    warm_ups.append(time.perf_counter() - t0)
                executor = on_ray if side == "ray" else process
                result = sweep_side(executor, steps, root / f"{side}-{repeat}", on_ray=side == "ray")
                rows.append({"side": side, "repeat": repeat, "load": os.getloadavg()[0], **result})
                print(f"{side:8} repeat {repeat}: {json.dumps(rows[-1])}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        on_ray.close()
        ray.shutdown()
    summary = medians_by_side(rows, ("process", "ray"))
    return {
        "runs": 4 * SEEDS,
        "steps": steps,
        "repeats": repeats,
        "cluster_start_s": cluster_start_s,
        "cold_actors_s": warm_ups,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "rows": rows,
        "summary": summary,
        "wall_ratio": summary["ray"]["wall_s"] / summary["process"]["wall_s"],
        "wall_ratios": [
            ray_row["wall_s"] / process_row["wall_s"]
            for ray_row, process_row in zip(
                [r for r in rows if r["side"] == "ray"], [r for r in rows if r["side"] == "process"], strict=True
            )
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    in_loopback_namespace("benchmarks.bench_sweep_ray")
    result = measure(args.steps, args.repeats)
    process, on_ray = result["summary"]["process"], result["summary"]["ray"]
    print(
        f"\nsweep of {result['runs']} CartPole PPO runs (4 configurations x {SEEDS} seeds), {args.steps:,} steps "
        f"each, {PARALLEL} at a time; load {result['load_before']:.1f} to {result['load_after']:.1f}"
    )
    print("| median | process pool | Ray (Tune) |")
    print("|---|---|---|")
    for key, label in (
        ("wall_s", "whole sweep, wall"),
        ("first_launch_s", "sweep start to first run launched"),
        ("trial_s", "one run, launch to end"),
        ("train_s", "one run's training (run clock)"),
        ("cpu_s", "one run's CPU time"),
    ):
        print(f"| {label} | {process[key]:.1f} s | {on_ray[key]:.1f} s |")
    ratios = ", ".join(f"{r:.2f}" for r in result["wall_ratios"])
    cold = ", ".join(f"{s:.1f}" for s in result["cold_actors_s"])
    print(
        f"Ray/process wall ratio {result['wall_ratio']:.2f} (per repeat: {ratios}); "
        f"cold actors {cold} s (before each Ray side); cluster start {result['cluster_start_s']:.1f} s (once)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
