"""Reference curves: what each demo and RL Zoo preset reaches by each step, over seeds, measured here.

    python -m benchmarks.bench_reference_curves                       # every demo and zoo preset, 3 seeds
    python -m benchmarks.bench_reference_curves --env CartPole-v1 --algo ppo --preset demo --seeds 5
    python -m benchmarks.bench_reference_curves --max-minutes 10      # skip presets estimated to take longer

Each preset trains over seeds 0..N-1 with its own budget through the worker body the app uses
(:func:`agents.runs.training.train`, evaluation episodes off: they never change what is learned). At fixed step
checkpoints it takes the curve the Train page draws in bold, the mean true return of the last 20 training
episodes ended by then, and stores its 10th, 50th and 90th percentile over the seeds in
``agents/config/reference_curves.json`` (merged: presets not measured this time keep their curves), with the
script, commit, seeds, machine, load, wall and CPU seconds per seed (CPU seconds move far less with the machine's
other work), and date. The Train page draws the band behind a run's curve when the run's configuration is exactly
the one measured (:mod:`agents.config.reference_curves`).

A preset whose estimated time (budget x seeds over the steps per second in ``agents/runs/speeds.json``) passes
``--max-minutes`` is skipped and listed: no number is invented for it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import envs  # noqa: F401  (registers the playground's envs)
from agents.config.reference_curves import (
    CHECKPOINTS,
    PERCENTILES,
    REFERENCE_FILE,
    STATISTIC,
)
from agents.config.run_config import RunConfig, build_config
from agents.runs.control import RunControl
from agents.runs.estimate import SPEEDS_FILE
from agents.runs.events import Ended, Episode, Event
from agents.runs.live import SOLVE_WINDOW
from agents.runs.training import TrainJob, train
from benchmarks.steps_per_s import machine, selected

torch.set_num_threads(1)

MEASURED_PRESETS = ("demo", "zoo")


class EpisodeSink:
    """Keeps the training episodes (step, true return) and the end of one run; drops every other event."""

    def __init__(self) -> None:
        self.episodes: list[tuple[int, float]] = []
        self.ended: Ended | None = None

    def emit(self, event: Event) -> None:
        if isinstance(event, Episode):
            self.episodes.append((event.step, event.true_return))
        elif isinstance(event, Ended):
            self.ended = event

    def flush(self) -> None:
        """Nothing buffered."""


def checkpoint_steps(budget: int, count: int = CHECKPOINTS) -> list[int]:
    """``count`` evenly spaced steps ending at the budget: ``budget/count, 2*budget/count, ..., budget``."""
    return [round(budget * k / count) for k in range(1, count + 1)]


def curve_at(episodes: list[tuple[int, float]], steps: list[int]) -> list[float | None]:
    """The mean true return of the last ``SOLVE_WINDOW`` episodes ended by each step (None before the first)."""
    ends = np.asarray([step for step, _ in episodes], dtype=np.int64)
    returns = np.asarray([value for _, value in episodes], dtype=float)
    values: list[float | None] = []
    for step in steps:
        count = int(np.searchsorted(ends, step, side="right"))
        values.append(float(returns[max(0, count - SOLVE_WINDOW) : count].mean()) if count else None)
    return values


def band(curves: list[list[float | None]]) -> dict[str, list[float | None]]:
    """Percentiles over seeds at each checkpoint; None where any seed has no episode yet."""
    out: dict[str, list[float | None]] = {f"p{q}": [] for q in PERCENTILES}
    for column in zip(*curves, strict=True):
        known = [value for value in column if value is not None]
        for q in PERCENTILES:
            value = float(np.percentile(known, q)) if len(known) == len(column) else None
            out[f"p{q}"].append(None if value is None else float(f"{value:.4g}"))
    return out


def run_seed(config: RunConfig) -> tuple[list[tuple[int, float]], float, float]:
    """Train one seed through the app's worker body in this process; its episodes, wall seconds and this process's
    CPU seconds. Raises if it did not finish."""
    sink = EpisodeSink()
    started, cpu_started = time.perf_counter(), time.process_time()
    train(TrainJob(f"reference-{config.seed}", config, record_episodes=False, value_maps=False), RunControl(), sink)
    if sink.ended is None or sink.ended.status != "finished":
        raise RuntimeError(f"{config.env_id}/{config.algo} seed {config.seed} did not finish: {sink.ended}")
    return sink.episodes, time.perf_counter() - started, time.process_time() - cpu_started


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        # the data file this benchmark writes is not code: a pass measuring preset after preset stays clean
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", f":(exclude){REFERENCE_FILE}"],
            capture_output=True,
            text=True,
        )
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def measure(env_id: str, algo: str, preset: str, seeds: int) -> dict[str, Any]:
    """One preset over ``seeds`` seeds: its entry of the data file."""
    base = build_config(env_id, algo, preset=preset, max_wall_s=3600)
    measured_at = commit()  # now: the code that trains is the code checked out when it starts
    steps = checkpoint_steps(base.total_timesteps)
    curves, walls, cpus = [], [], []
    load_before = os.getloadavg()[0]
    for seed in range(seeds):
        episodes, wall, cpu = run_seed(build_config(env_id, algo, preset=preset, seed=seed, max_wall_s=3600))
        curves.append(curve_at(episodes, steps))
        walls.append(wall)
        cpus.append(cpu)
        print(f"  seed {seed}: {wall:.0f} s ({cpu:.0f} s CPU), final {curves[-1][-1]}", file=sys.stderr, flush=True)
    return {
        "env_id": env_id,
        "algo": algo,
        "preset": preset,
        "timesteps": base.total_timesteps,
        "hyperparams": base.hyperparams,
        "seeds": list(range(seeds)),
        "steps": steps,
        **band(curves),
        "wall_s_per_seed": round(float(np.mean(walls)), 1),
        "cpu_s_per_seed": round(float(np.mean(cpus)), 1),
        "measured_on": datetime.date.today().isoformat(),
        "commit": measured_at,
        "machine": machine(),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def estimated_s(env_id: str, algo: str, preset: str, budget: int, seeds: int) -> float | None:
    try:
        rate = json.loads(SPEEDS_FILE.read_text())["steps_per_s"][env_id][algo][preset]
    except (OSError, KeyError, ValueError):
        return None
    return budget * seeds / rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--env", action="append", default=[], help="only this env id (repeatable)")
    parser.add_argument("--algo", action="append", default=[], help="only this algorithm id (repeatable)")
    parser.add_argument("--preset", action="append", default=[], help="only this preset (repeatable)")
    parser.add_argument("--max-minutes", type=float, default=None, help="skip presets estimated to take longer")
    parser.add_argument("--out", type=Path, default=REFERENCE_FILE)
    args = parser.parse_args(argv)

    data: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    curves = {(c["env_id"], c["algo"], c["preset"]): c for c in data.get("curves", [])}
    skipped = []
    for env_id, algo, name in selected(args.env, args.algo):
        if name not in MEASURED_PRESETS or (args.preset and name not in args.preset):
            continue
        budget = build_config(env_id, algo, preset=name).total_timesteps
        guess = estimated_s(env_id, algo, name, budget, args.seeds)
        if args.max_minutes is not None and (guess is None or guess > args.max_minutes * 60):
            skipped.append(f"{env_id}/{algo}/{name} (~{guess / 60 if guess else float('nan'):.0f} min)")
            continue
        print(f"{env_id} {algo} {name}: {budget:,} steps x {args.seeds} seeds", file=sys.stderr, flush=True)
        curves[(env_id, algo, name)] = measure(env_id, algo, name, args.seeds)
        _write(args.out, curves)  # after each preset: an interrupted pass keeps what it measured
    if skipped:
        print("skipped (estimated too long): " + ", ".join(skipped), file=sys.stderr)
    _write(args.out, curves)
    return 0


def _write(path: Path, curves: dict[tuple[str, str, str], dict[str, Any]]) -> None:
    data = {
        "script": "python -m benchmarks.bench_reference_curves",
        "statistic": STATISTIC,
        "percentiles": list(PERCENTILES),
        "curves": [curves[key] for key in sorted(curves)],
    }
    path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
