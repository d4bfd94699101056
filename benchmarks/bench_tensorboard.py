"""What TensorBoard event files cost a run: CPU time per step with and without them, side by side.

    python -m benchmarks.bench_tensorboard               # 3 repeats of each case
    python -m benchmarks.bench_tensorboard --repeats 1 --timesteps 5000

Each case trains a stored run (a folder in a temporary directory, Monitor CSVs, progress.csv, checkpoints)
through the worker body, evaluation episodes off, with ``TrainJob.tensorboard`` on and off in turn
(interleaved, so both see the same machine load), and reports the CPU time per step of the whole process (the
training thread and TensorBoard's writer thread): on a shared machine wall-clock steps per second swing with
other work far more than event files could move them (a first pass at load 11-15 gave ratios of 0.76 and 1.63,
the second 1.66 and 2.76, both ways round), CPU time much less. Cases: PPO's CartPole demo (a logger dump per
rollout and hundreds of episodes) and Q-learning on FrozenLake (a dump per episode: the most writes per step).
Prints a Markdown table and one JSON object (last line).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

import envs  # noqa: F401  (registers the playground's envs)
from agents.config.run_config import build_config
from agents.runs.control import RunControl
from agents.runs.events import CollectingSink
from agents.runs.training import TrainJob, train
from agents.runs.warmup import warm_up

torch.set_num_threads(1)

CASES = {"CartPole-v1 ppo demo": ("CartPole-v1", "ppo"), "FrozenLake-v1 q_learning": ("FrozenLake-v1", "q_learning")}


def cpu_us_per_step(env_id: str, algo: str, timesteps: int, tensorboard: bool, seed: int) -> float:
    """CPU microseconds of this process per training step of one stored run."""
    config = build_config(env_id, algo, seed=seed, timesteps=timesteps)
    with tempfile.TemporaryDirectory() as folder:
        started = time.process_time()
        job = TrainJob("20261130-000000-abcdef", config, Path(folder), record_episodes=False, tensorboard=tensorboard)
        train(job, RunControl(), CollectingSink())
        return (time.process_time() - started) / timesteps * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timesteps", type=int, default=30_000)
    args = parser.parse_args(argv)
    warm_up()
    load_before = os.getloadavg()[0]
    results = {}
    print("| case | CPU µs/step without | with TensorBoard | with / without |\n|---|---|---|---|")
    for name, (env_id, algo) in CASES.items():
        runs: dict[bool, list[float]] = {False: [], True: []}
        for repeat in range(args.repeats):
            for tensorboard in (False, True):
                runs[tensorboard].append(cpu_us_per_step(env_id, algo, args.timesteps, tensorboard, seed=repeat))
        without, with_tb = statistics.median(runs[False]), statistics.median(runs[True])
        results[name] = {"without": round(without, 1), "with": round(with_tb, 1), "ratio": round(with_tb / without, 3)}
        print(f"| {name} | {without:,.1f} | {with_tb:,.1f} | {with_tb / without:.3f} |", flush=True)
    load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps({"timesteps": args.timesteps, "repeats": args.repeats, "load_average": load, "cases": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
