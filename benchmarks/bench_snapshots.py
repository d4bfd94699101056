"""Policy snapshots: what one costs, and training speed with snapshots on and off, side by side.

    python -m benchmarks.bench_snapshots           # 2 rounds per case
    python -m benchmarks.bench_snapshots --quick   # 1 round, half the steps

The same config and seed is trained by the worker body (:func:`agents.runs.training.train`) into a run folder of its
own, evaluation clips on with the default :class:`~agents.runs.live.EvalSchedule`, in a child process per run, once
with ``policy_snapshots`` and once without, interleaved so both sides see the same machine load. Reported: steps per
second and per CPU second, snapshots written, the CPU milliseconds of one (the worker's ``save`` and the thinning,
from :class:`~agents.runs.events.PolicySnapshotsKept`), their share of the training thread's CPU, and the snapshots
kept at the end with their bytes on disk.

Prints a Markdown table and one JSON object (last line), with the load average. Figures on a shared machine are noisy:
compare the two sides of one run (steps per CPU second moves less with load than wall steps per second).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.child import in_child, split_on_off

CASES = [("CartPole-v1", "ppo", 60_000), ("Pendulum-v1", "sac", 3_000)]
"""(env, algorithm, steps): the PPO demo run (~10 s, 9k parameters) and SAC's larger networks (~140k parameters)."""
HEADER = (
    "| env, algorithm | steps/s, on | steps/s, off | on/off | steps per CPU s, on / off | snapshots written "
    "| one snapshot, CPU ms | share of training CPU | kept at the end (kB) |\n|---|---|---|---|---|---|---|---|---|"
)


def child(env_id: str, algo: str, steps: int, snapshots: bool) -> dict[str, Any]:
    """One stored run by the worker body in this process, evaluation on, snapshots on or off."""
    from agents.config.run_config import build_config
    from agents.runs.control import RunControl
    from agents.runs.events import CollectingSink, PolicySnapshotsKept, Progress
    from agents.runs.training import TrainJob, train
    from agents.storage.snapshots import SNAPSHOT_DIR

    sink = CollectingSink()
    config = build_config(env_id, algo, seed=0, timesteps=steps)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        job = TrainJob("bench", config, folder=Path(folder), own_process=True, policy_snapshots=snapshots)
        train(job, RunControl(), sink)
        kept = list((Path(folder) / SNAPSHOT_DIR).glob("*")) if snapshots else []
        kept_bytes = sum(path.stat().st_size for path in kept)
    progress = sink.of_type(Progress)[-1]
    written = sink.of_type(PolicySnapshotsKept)
    cpu_s = progress.cpu_s or 0.0
    return {
        "steps": progress.timesteps,
        "train_s": progress.train_s,
        "wall_s": time.perf_counter() - started,
        "steps_per_s": progress.timesteps / progress.train_s,
        "steps_per_cpu_s": progress.timesteps / cpu_s if cpu_s else None,
        "written": len(written),
        "snapshot_cpu_ms": 1000 * statistics.median(e.save_s for e in written) if written else None,
        "snapshot_cpu_share": sum(e.save_s for e in written) / cpu_s if cpu_s else None,
        "kept": len(kept),
        "kept_kb": kept_bytes / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("ENV", "ALGO", "STEPS", "SNAPSHOTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        env_id, algo, steps, snapshots = args.child
        print(json.dumps(child(env_id, algo, int(steps), snapshots == "on")))
        return
    load_before = os.getloadavg()
    rounds = 1 if args.quick else 2
    runs: list[dict[str, Any]] = []
    for env_id, algo, steps in CASES:
        steps = steps // 2 if args.quick else steps
        for _ in range(rounds):
            for side in ("on", "off"):
                measured = in_child("benchmarks.bench_snapshots", env_id, algo, str(steps), side)
                runs.append({"env": env_id, "algo": algo, "snapshots": side, **measured})
    print(HEADER)
    for env_id, algo, _ in CASES:
        on, _, m = split_on_off(runs, env_id, algo, "snapshots")
        fps_on, fps_off, cpu_on, cpu_off = m["fps_on"], m["fps_off"], m["cpu_on"], m["cpu_off"]
        one_ms = statistics.median(r["snapshot_cpu_ms"] or 0.0 for r in on)
        share = statistics.median(r["snapshot_cpu_share"] or 0.0 for r in on)
        print(
            f"| {env_id}, {algo} | {fps_on:,.0f} | {fps_off:,.0f} | {fps_on / fps_off:.2f} | "
            f"{cpu_on:,.0f} / {cpu_off:,.0f} = {cpu_on / cpu_off:.2f} | {[r['written'] for r in on]} | "
            f"{one_ms:.1f} | {100 * share:.2f}% | {[r['kept'] for r in on]} ({on[-1]['kept_kb']:,.0f}) |"
        )
    print(f"\nload average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} (on {os.cpu_count()} cores)")
    print(json.dumps({"runs": runs, "load": [load_before[0], os.getloadavg()[0]]}))


if __name__ == "__main__":
    main()
