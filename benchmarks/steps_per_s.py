"""Training speed (environment steps per second) of every (env, algorithm, preset) on this machine.

    python -m benchmarks.steps_per_s                  # every pair and preset; writes agents/runs/speeds.json
    python -m benchmarks.steps_per_s --seconds 2      # a quicker, noisier pass
    python -m benchmarks.steps_per_s --env MountainCar-v0 --algo dqn   # re-measure some, keep the others

The Train page reads the file to say, before Start, about how long a run will take
(:mod:`agents.runs.estimate`). Each configuration trains through the app's own run code with evaluation
episodes on, as a user's run does; after a warm-up (past ``learning_starts``, when an off-policy learner's
updates begin) the steps made in ``--seconds`` of training time give its speed. A run on a machine shared with
other work is slower: the file keeps the date, the machine and its load average so a reader can judge.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

import envs  # noqa: F401  (registers the playground's envs)
from agents.algos.registry import compatible_algos
from agents.config.presets import presets_for
from agents.config.run_config import build_config
from agents.runs.estimate import SPEEDS_FILE
from agents.runs.run import Run
from agents.runs.warmup import warm_up
from envs.registry import ENVS

torch.set_num_threads(1)

WARMUP_S = 1.0
POLL_S = 0.05
MAX_WAIT_S = 60.0
"""Give up on a configuration that has not started updating after this long (it is measured as it is)."""


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(terse=True),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }


def measure(env_id: str, algo: str, preset: str, seconds: float) -> float:
    """Steps per second of training time once updates have begun (the whole run's average if it ends first)."""
    config = build_config(env_id, algo, preset=preset)
    learning_starts = int(config.hyperparams.get("learning_starts", 0) or 0)
    run = Run(config, record_episodes=True)
    run.start()
    try:
        started = time.monotonic()
        while run.alive and time.monotonic() - started < MAX_WAIT_S:
            with run.stats.lock:
                steps, elapsed = run.stats.timesteps, run.stats.elapsed_s
            if steps > learning_starts and elapsed >= WARMUP_S:
                break
            time.sleep(POLL_S)
        with run.stats.lock:
            steps0, elapsed0 = run.stats.timesteps, run.stats.elapsed_s
        while run.alive:
            with run.stats.lock:
                steps1, elapsed1 = run.stats.timesteps, run.stats.elapsed_s
            # learners that report steps in chunks (GRPO: a whole update's episodes) need one chunk at least
            if elapsed1 - elapsed0 >= seconds and (steps1 > steps0 or elapsed1 - elapsed0 >= MAX_WAIT_S):
                return (steps1 - steps0) / (elapsed1 - elapsed0)
            time.sleep(POLL_S)
        with run.stats.lock:  # ended before the window closed: a short run, measured whole
            return run.stats.timesteps / max(run.stats.elapsed_s, 1e-9)
    finally:
        run.stop()
        run.join(30)


def selected(env_filter: list[str], algo_filter: list[str]) -> list[tuple[str, str, str]]:
    cases = []
    for env_id, env in ENVS.items():
        if env_filter and env_id not in env_filter:
            continue
        for info in compatible_algos(env):
            if algo_filter and info.id not in algo_filter:
                continue
            cases += [(env_id, info.id, preset) for preset in presets_for(env_id, info.id)]
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0, help="training seconds measured per configuration")
    parser.add_argument("--env", action="append", default=[], help="only this env id (repeatable)")
    parser.add_argument("--algo", action="append", default=[], help="only this algorithm id (repeatable)")
    parser.add_argument("--out", type=Path, default=SPEEDS_FILE, help="the data file to write (merged if it exists)")
    parser.add_argument(
        "--keep-faster",
        action="store_true",
        help="keep a figure already in the file when it is faster (load from other work only slows a run down)",
    )
    args = parser.parse_args(argv)

    warm_up()
    data: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    speeds: dict[str, dict[str, dict[str, float]]] = data.get("steps_per_s", {})
    load_before = os.getloadavg()[0]
    for env_id, algo, preset in selected(args.env, args.algo):
        rate = measure(env_id, algo, preset, args.seconds)
        pair = speeds.setdefault(env_id, {}).setdefault(algo, {})
        if args.keep_faster and pair.get(preset, 0.0) > rate:
            rate = pair[preset]
        pair[preset] = float(f"{rate:.3g}")
        print(f"{env_id:26} {algo:16} {preset:9} {rate:10,.0f} steps/s", file=sys.stderr, flush=True)
    load_after = os.getloadavg()[0]
    data = {
        "measured_on": datetime.date.today().isoformat(),
        "machine": machine(),
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "method": (
            f"python -m benchmarks.steps_per_s --seconds {args.seconds:g}"
            f"{' --keep-faster' if args.keep_faster else ''}: the app's run code with evaluation episodes on, "
            "steps per second of training time after updates began"
        ),
        "steps_per_s": speeds,
    }
    args.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    measured = sum(len(presets) for algos in speeds.values() for presets in algos.values())
    print(json.dumps({"configurations": measured, "file": str(args.out)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
