"""GRPO against PPO, side by side: steps and CPU seconds to solve CartPole, trainable parameters; other envs briefly.

    nice python -m benchmarks.bench_grpo              # CartPole, 3 seeds each, then Acrobot, Pendulum, LunarLander
    nice python -m benchmarks.bench_grpo --quick      # CartPole, one seed, no other envs

1. CartPole-v1 (solved: mean true return of the last 20 training episodes >= 475), within 300k steps: GRPO with its
   demo preset, built by the playground's registry, against bare SB3 PPO with RL Zoo's tuned settings (the same
   ones :mod:`benchmarks.bench_core` uses). Seeds interleave (GRPO, PPO, GRPO, ...) so both see the same load.
2. Acrobot-v1, Pendulum-v1 and LunarLander-v3 with a fixed budget and one seed: the mean true return of the last 20
   training episodes of GRPO (its defaults) and of PPO (the playground's default preset for the pair), and the CPU
   seconds each took. Where GRPO lags PPO is what the Train page's description says.

CPU seconds are ``time.process_time`` of this single-threaded process (``torch.set_num_threads(1)``), counted from
the model's construction: they move much less with machine load than wall time. Trainable parameters: every
parameter the optimiser updates (PPO: actor and critic; GRPO: its policy, which is all it has).
Prints a Markdown table and one JSON object (last line).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env

import envs  # noqa: F401  (registers the playground's envs)
from agents.config.run_config import build_config
from agents.runs.run import make_training_env
from benchmarks.bench_core import ZOO_CARTPOLE

torch.set_num_threads(1)

SOLVE_WINDOW = 20
CARTPOLE_BUDGET = 300_000
OTHERS = {"Acrobot-v1": 100_000, "Pendulum-v1": 100_000, "LunarLander-v3": 200_000}
"""Budgets of the brief runs on the other envs (one seed each)."""


class Solve(BaseCallback):
    """Records true returns; stops at the threshold (if any) or the step budget; notes steps and CPU s to solve."""

    def __init__(self, threshold: float | None, budget: int, cpu_start: float) -> None:
        super().__init__()
        self.threshold, self.budget, self.cpu_start = threshold, budget, cpu_start
        self.returns: list[float] = []
        self.solved_step: int | None = None
        self.solved_cpu_s: float | None = None

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            episode = info.get("episode")
            if episode:
                self.returns.append(float(episode.get("true_return", episode["r"])))
        recent = self.returns[-SOLVE_WINDOW:]
        if self.threshold is not None and len(recent) == SOLVE_WINDOW and statistics.fmean(recent) >= self.threshold:
            self.solved_step, self.solved_cpu_s = self.num_timesteps, time.process_time() - self.cpu_start
            return False
        return self.num_timesteps < self.budget


def trainable(model: Any) -> int:
    return sum(p.numel() for p in model.policy.parameters() if p.requires_grad)


def playground(env_id: str, algo: str, seed: int, budget: int, threshold: float | None, preset: str | None) -> dict:
    """Train the playground's configuration of ``algo`` (its default preset unless named) through the registry."""
    config = build_config(env_id, algo, preset=preset, seed=seed, timesteps=budget)
    cpu_start = time.process_time()
    model = config.algo_info.build(lambda: make_training_env(config), config.hyperparams, seed)
    callback = Solve(threshold, budget, cpu_start)
    model.learn(budget, callback=callback)
    return _result(f"{algo} ({config.preset})", model, callback, cpu_start)


def zoo_ppo_cartpole(seed: int) -> dict:
    """Bare SB3 PPO with RL Zoo's tuned CartPole settings (8 envs)."""
    cpu_start = time.process_time()
    model = PPO("MlpPolicy", make_vec_env("CartPole-v1", n_envs=8, seed=seed), seed=seed, device="cpu", **ZOO_CARTPOLE)
    callback = Solve(475.0, CARTPOLE_BUDGET, cpu_start)
    model.learn(CARTPOLE_BUDGET, callback=callback)
    return _result("ppo (RL Zoo, bare SB3)", model, callback, cpu_start)


def _result(name: str, model: Any, callback: Solve, cpu_start: float) -> dict:
    recent = callback.returns[-SOLVE_WINDOW:]
    return {
        "name": name,
        "steps": int(model.num_timesteps),
        "cpu_s": round(time.process_time() - cpu_start, 2),
        "solved_step": callback.solved_step,
        "solved_cpu_s": None if callback.solved_cpu_s is None else round(callback.solved_cpu_s, 2),
        "last20": round(statistics.fmean(recent), 1) if recent else None,
        "params": trainable(model),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one CartPole seed, no other envs")
    args = parser.parse_args()
    seeds = [0] if args.quick else [0, 1, 2]
    load = os.getloadavg()[0]
    cartpole: dict[str, list[dict]] = {"grpo": [], "ppo": []}
    for seed in seeds:
        cartpole["grpo"].append(playground("CartPole-v1", "grpo", seed, CARTPOLE_BUDGET, 475.0, "demo"))
        cartpole["ppo"].append(zoo_ppo_cartpole(seed))
        print(f"seed {seed}: {cartpole['grpo'][-1]} | {cartpole['ppo'][-1]}", flush=True)
    print(f"\nCartPole-v1, solved = mean of the last 20 >= 475, budget {CARTPOLE_BUDGET:_} steps, seeds {seeds}")
    print("| algorithm | solved | steps to solve | CPU s to solve | trainable parameters |")
    print("|---|---|---|---|---|")
    for runs in cartpole.values():
        solved = [r for r in runs if r["solved_step"] is not None]
        steps = ", ".join(f"{r['solved_step'] / 1000:.0f}k" if r["solved_step"] else "–" for r in runs)
        cpu = ", ".join(f"{r['solved_cpu_s']:.1f}" if r["solved_cpu_s"] is not None else "–" for r in runs)
        print(f"| {runs[0]['name']} | {len(solved)}/{len(runs)} | {steps} | {cpu} | {runs[0]['params']:,} |")
    others: dict[str, list[dict]] = {}
    if not args.quick:
        print("\nOther envs, one seed, fixed budget: mean true return of the last 20 training episodes")
        print("| env | budget | GRPO (defaults) | CPU s | PPO (default preset) | CPU s |")
        print("|---|---|---|---|---|---|")
        for env_id, budget in OTHERS.items():
            others[env_id] = [playground(env_id, algo, 0, budget, None, None) for algo in ("grpo", "ppo")]
            g, p = others[env_id]
            row = f"| {env_id} | {budget:_} | {g['last20']} | {g['cpu_s']} | {p['last20']} | {p['cpu_s']} |"
            print(row, flush=True)
    print(f"\nload average at start: {load:.1f}")
    print(json.dumps({"load": load, "cartpole": cartpole, "others": others}))


if __name__ == "__main__":
    main()
