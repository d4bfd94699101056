"""Find fast demo presets for stable-baselines3 and compare them, side by side, with RL Zoo's tuned settings.

Why: the playground promises a curve that moves and an env that gets solved within seconds on a 2-core CPU.
RL Baselines3 Zoo's settings are tuned for sample efficiency or final score, not for wall-clock time, and
wall-clock is what a live demo pays for (gradient steps cost far more than CartPole steps).

What is measured, per run: wall-clock seconds from building the vec env and the model (``make_vec_env``, which
wraps each env in ``Monitor``, then ``ALGO(...)``) to the first step at which the mean return of the last 20
finished *training* episodes (from the Monitor ``"episode"`` infos) reaches the env's threshold; also the
env steps at that moment and steps per second. A run that misses its step budget or the wall-clock cap counts
as unsolved. Torch uses one thread (``torch.set_num_threads(1)``), envs run in a ``DummyVecEnv``, and runs go
one at a time in this process; figures on a shared machine are noisy, so read medians and ranges.

Usage (from the repository root)::

    python -m benchmarks.sb3_presets_search --quick             # PPO CartPole fast vs Zoo, seeds 0 and 1
    python -m benchmarks.sb3_presets_search                     # every fast preset vs its Zoo preset, seeds 0-2
    python -m benchmarks.sb3_presets_search --groups ppo_cartpole dqn_cartpole --seeds 0 1 2 3 4
    python -m benchmarks.sb3_presets_search --search ppo_cartpole --seeds 0 1 2   # try the candidate variants
    python -m benchmarks.sb3_presets_search --list              # print the presets and candidates

The presets and candidates are plain data in :mod:`benchmarks.sb3_presets_data` (SB3's argument names, RL Zoo's
``"lin_1e-3"`` schedules). Results of the searches are in ``benchmarks/FINDINGS_presets.md``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from stable_baselines3 import A2C, DQN, PPO, SAC, TD3
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.noise import NormalActionNoise
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from benchmarks.sb3_presets_data import CANDIDATES, FAST, SEARCH_BUDGET, ZOO, Preset

ALGOS: dict[str, type[BaseAlgorithm]] = {"ppo": PPO, "a2c": A2C, "dqn": DQN, "sac": SAC, "td3": TD3}
WINDOW = 20
"""Episodes in the moving mean that decides "solved" (the playground's definition)."""


def parse_schedule(value: float | str) -> float | Callable[[float], float]:
    """Turn RL Zoo's ``"lin_<x>"`` into SB3's schedule (progress_remaining goes from 1 to 0)."""
    if isinstance(value, str) and value.startswith("lin_"):
        start = float(value.removeprefix("lin_"))
        return lambda progress_remaining: progress_remaining * start
    return float(value)


def to_sb3_kwargs(hyperparams: dict[str, Any], n_actions: int) -> dict[str, Any]:
    """Plain-data hyperparameters -> constructor arguments (schedules and action noise become objects)."""
    kwargs = dict(hyperparams)
    for key in ("learning_rate", "clip_range"):
        if key in kwargs:
            kwargs[key] = parse_schedule(kwargs[key])
    noise = kwargs.get("action_noise")
    if isinstance(noise, str):
        std = float(noise.removeprefix("normal_"))
        kwargs["action_noise"] = NormalActionNoise(np.zeros(n_actions), std * np.ones(n_actions))
    return kwargs


class SolveWatcher(BaseCallback):
    """Stop training when the moving mean of Monitor returns reaches the threshold, or at the wall-clock cap."""

    def __init__(self, threshold: float, started_at: float, max_seconds: float) -> None:
        super().__init__()
        self.threshold = threshold
        self.started_at = started_at
        self.max_seconds = max_seconds
        self.returns: deque[float] = deque(maxlen=WINDOW)
        self.solved_seconds: float | None = None
        self.solved_steps: int | None = None
        self.episodes = 0

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "episode" in info:
                self.returns.append(float(info["episode"]["r"]))
                self.episodes += 1
        if len(self.returns) == WINDOW and statistics.fmean(self.returns) >= self.threshold:
            self.solved_seconds = time.perf_counter() - self.started_at
            self.solved_steps = self.num_timesteps
            return False
        return time.perf_counter() - self.started_at < self.max_seconds


@dataclass
class RunResult:
    preset: str
    seed: int
    solved: bool
    seconds: float
    steps: int
    steps_per_second: float
    last_mean: float


def run_once(preset: Preset, seed: int, max_seconds: float) -> RunResult:
    """Train one preset on one seed and time it to "solved" (see the module docstring for the definition)."""
    started_at = time.perf_counter()
    venv = make_vec_env(preset.env_id, n_envs=preset.n_envs, seed=seed, vec_env_cls=DummyVecEnv)
    if preset.normalize:
        venv = VecNormalize(venv)
    n_actions = int(np.prod(venv.action_space.shape)) if venv.action_space.shape else 1
    kwargs = to_sb3_kwargs(preset.hyperparams, n_actions)
    model = ALGOS[preset.algo]("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, **kwargs)
    watcher = SolveWatcher(preset.threshold, started_at, max_seconds)
    model.learn(total_timesteps=preset.budget_steps, callback=watcher)
    elapsed = time.perf_counter() - started_at
    venv.close()
    solved = watcher.solved_seconds is not None
    steps = watcher.solved_steps if solved else model.num_timesteps
    return RunResult(
        preset=preset.name,
        seed=seed,
        solved=solved,
        seconds=watcher.solved_seconds if solved else elapsed,
        steps=int(steps or 0),
        steps_per_second=model.num_timesteps / elapsed,
        last_mean=statistics.fmean(watcher.returns) if watcher.returns else float("nan"),
    )


def summarise(name: str, results: list[RunResult]) -> str:
    """One markdown row: solved count, median/min/max seconds and steps over the solved runs, steps/s."""
    solved = [r for r in results if r.solved]
    sps = statistics.median(r.steps_per_second for r in results)
    if not solved:
        worst = max(r.seconds for r in results)
        return f"| {name} | 0/{len(results)} | - (>{worst:.0f}) | - | - | {sps:,.0f} |"
    secs = [r.seconds for r in solved]
    steps = [r.steps for r in solved]
    return (
        f"| {name} | {len(solved)}/{len(results)} | {statistics.median(secs):.1f} "
        f"| {min(secs):.1f}-{max(secs):.1f} | {statistics.median(steps):,.0f} "
        f"({min(steps):,}-{max(steps):,}) | {sps:,.0f} |"
    )


def compare(presets: list[Preset], seeds: list[int], max_seconds: float) -> dict[str, list[RunResult]]:
    """Run the presets interleaved seed by seed, so load from other work hits them alike."""
    results: dict[str, list[RunResult]] = {p.name: [] for p in presets}
    for seed in seeds:
        for preset in presets:
            result = run_once(preset, seed, max_seconds)
            results[preset.name].append(result)
            status = "solved" if result.solved else "UNSOLVED"
            print(
                f"  {preset.name:<22} seed {seed}: {status:<8} {result.seconds:6.1f} s {result.steps:>7,} steps "
                f"{result.steps_per_second:6,.0f} steps/s  last-{WINDOW} mean {result.last_mean:7.1f}",
                flush=True,
            )
    return results


def print_table(group: str, results: dict[str, list[RunResult]]) -> None:
    print(f"\n### {group}\n")
    print("| preset | solved | median s | range s | steps to solve, median (range) | steps/s |")
    print("|---|---|---|---|---|---|")
    for name, runs in results.items():
        print(summarise(name, runs))
    print(flush=True)


def candidates_for(group: str) -> list[Preset]:
    """Each candidate is Zoo's preset for the group with its changes merged in, and the demo step budget."""
    base = ZOO[group]
    variants = []
    for name, n_envs, changes in CANDIDATES.get(group, []):
        hyperparams = {**base.hyperparams, **changes}
        variants.append(
            Preset(
                name=name,
                algo=base.algo,
                env_id=base.env_id,
                threshold=base.threshold,
                budget_steps=SEARCH_BUDGET.get(group, base.budget_steps),
                n_envs=n_envs,
                hyperparams=hyperparams,
                normalize=base.normalize,
            )
        )
    return variants


def warm_up() -> None:
    """Pay torch's one-off start-up costs before timing anything (the app does this when its server starts)."""
    model = PPO("MlpPolicy", make_vec_env("CartPole-v1", n_envs=2, seed=0), n_steps=64, batch_size=64, seed=0)
    model.learn(total_timesteps=128)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="PPO CartPole fast vs Zoo on seeds 0 and 1")
    parser.add_argument("--groups", nargs="*", help=f"groups to compare (default: all of {sorted(ZOO)})")
    parser.add_argument("--search", help="run the candidate variants of this group, plus its Zoo preset")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--max-seconds", type=float, default=90.0, help="wall-clock cap per run")
    parser.add_argument("--no-zoo", action="store_true", help="skip the Zoo baseline (search only)")
    parser.add_argument("--only", nargs="*", help="with --search: run only these candidate names")
    parser.add_argument("--list", action="store_true", help="print the presets and candidates, train nothing")
    args = parser.parse_args()

    if args.list:
        for group, zoo in ZOO.items():
            print(group, "zoo:", zoo.n_envs, zoo.hyperparams)
            if group in FAST:
                print(group, "fast:", FAST[group].n_envs, FAST[group].hyperparams)
            for candidate in candidates_for(group):
                print(group, f"candidate {candidate.name}:", candidate.n_envs, candidate.hyperparams)
        return

    torch.set_num_threads(1)
    warm_up()
    if args.search:
        presets = [p for p in candidates_for(args.search) if not args.only or p.name in args.only]
        if not args.no_zoo:
            presets.append(ZOO[args.search])
        print(f"search {args.search}, seeds {args.seeds}", flush=True)
        print_table(args.search, compare(presets, args.seeds, args.max_seconds))
        return

    groups = ["ppo_cartpole"] if args.quick else (args.groups or [g for g in ZOO if g in FAST])
    seeds = [0, 1] if args.quick else args.seeds
    for group in groups:
        presets = [FAST[group], ZOO[group]] if group in FAST else [ZOO[group]]
        print(f"compare {group}, seeds {seeds}", flush=True)
        print_table(group, compare(presets, seeds, args.max_seconds))


if __name__ == "__main__":
    main()
