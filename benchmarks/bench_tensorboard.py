"""What TensorBoard event files cost a run: steps per second with and without them, side by side.

    python -m benchmarks.bench_tensorboard               # 3 repeats of each case
    python -m benchmarks.bench_tensorboard --repeats 1 --timesteps 5000

Each case trains a stored run (a folder in a temporary directory, Monitor CSVs, progress.csv, checkpoints)
through the worker body, evaluation episodes off, with ``TrainJob.tensorboard`` on and off in turn
(interleaved, so both see the same machine load). Cases: PPO's CartPole demo (a logger dump per rollout and
hundreds of episodes) and Q-learning on FrozenLake (a dump per episode: the most writes per step). Prints a
Markdown table and one JSON object (last line).
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


def steps_per_s(env_id: str, algo: str, timesteps: int, tensorboard: bool, seed: int) -> float:
    config = build_config(env_id, algo, seed=seed, timesteps=timesteps)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        job = TrainJob("20261130-000000-abcdef", config, Path(folder), record_episodes=False, tensorboard=tensorboard)
        train(job, RunControl(), CollectingSink())
        return timesteps / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timesteps", type=int, default=30_000)
    args = parser.parse_args(argv)
    warm_up()
    load_before = os.getloadavg()[0]
    results = {}
    print("| case | steps/s without | steps/s with TensorBoard | with / without |\n|---|---|---|---|")
    for name, (env_id, algo) in CASES.items():
        runs: dict[bool, list[float]] = {False: [], True: []}
        for repeat in range(args.repeats):
            for tensorboard in (False, True):
                runs[tensorboard].append(steps_per_s(env_id, algo, args.timesteps, tensorboard, seed=repeat))
        without, with_tb = statistics.median(runs[False]), statistics.median(runs[True])
        results[name] = {"without": round(without), "with": round(with_tb), "ratio": round(with_tb / without, 3)}
        print(f"| {name} | {without:,.0f} | {with_tb:,.0f} | {with_tb / without:.3f} |", flush=True)
    load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps({"timesteps": args.timesteps, "repeats": args.repeats, "load_average": load, "cases": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
