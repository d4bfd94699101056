"""The core's figures, side by side with bare stable-baselines3 in the same process and run.

    python -m benchmarks.bench_core            # all three measurements, 3 seeds / repeats
    python -m benchmarks.bench_core --quick    # one seed, fewer steps (a smoke check)

1. Time to solve CartPole-v1 (mean of the last 20 training episodes >= 475) with the playground's default
   preset, through the app's own run code with evaluation episodes on, against bare SB3 PPO with RL Zoo's
   tuned settings. Seeds are interleaved (ours, bare, ours, bare...) so both see the same machine load.
2. Overhead of the live UI: steps per second of a run with a page attached (a thread that takes a snapshot,
   gets the figures and serialises them every second, as the fragment does) and evaluation frames
   captured, divided by bare SB3 ``learn()`` with the same hyperparameters for the same number of steps;
   and the same with 30 simulated tabs watching one run (a classroom).
3. Start to first training step: from ``RunManager.start`` to the first recorded step.

Prints a Markdown table and one JSON object (last line). Figures on a shared 2-core machine are noisy:
compare within one run, not across runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from typing import Any

import gymnasium as gym
import plotly.io
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.utils import LinearSchedule

import envs  # noqa: F401  (registers the playground's envs)
from agents.algos.sb3.algorithm import sb3_kwargs
from agents.config.run_config import build_config
from agents.runs.manager import RunManager
from agents.runs.run import Run
from agents.runs.warmup import warm_up
from ui.run_figures import run_figures

torch.set_num_threads(1)

ZOO_CARTPOLE = {
    "n_steps": 32,
    "batch_size": 256,
    "gae_lambda": 0.8,
    "gamma": 0.98,
    "n_epochs": 20,
    "ent_coef": 0.0,
    "learning_rate": LinearSchedule(1e-3, 0.0, 1.0),
    "clip_range": LinearSchedule(0.2, 0.0, 1.0),
}
"""RL Baselines3 Zoo, hyperparams/ppo.yml, CartPole-v1 (tuned), with n_envs 8."""
THRESHOLD = 475.0
CAP_S = 120.0


class SolvedCallback(BaseCallback):
    """Stops bare SB3 when the mean of the last 20 Monitor episodes reaches the threshold."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started
        self.returns: list[float] = []
        self.solved_s: float | None = None
        self.solved_step: int | None = None

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "episode" in info:
                self.returns.append(float(info["episode"]["r"]))
        if len(self.returns) >= 20 and statistics.fmean(self.returns[-20:]) >= THRESHOLD:
            self.solved_s, self.solved_step = time.perf_counter() - self.started, self.num_timesteps
            return False
        return time.perf_counter() - self.started < CAP_S


def bare_sb3_solve(seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
    model = PPO("MlpPolicy", env, seed=seed, device="cpu", **ZOO_CARTPOLE)
    callback = SolvedCallback(started)
    model.learn(100_000, callback=callback)  # Zoo's n_timesteps: its linear schedules decay over this budget
    return {"solved_s": callback.solved_s, "solved_step": callback.solved_step}


def ours_solve(seed: int) -> dict[str, Any]:
    # The default preset with its own budget (its linear learning-rate schedule decays over that budget).
    run = Run(build_config("CartPole-v1", "ppo", seed=seed, stop_when_solved=True))
    run.start()
    run.join()
    snap = run.snapshot()
    return {"solved_s": snap.solved_at_s, "solved_step": snap.solved_at_step, "preset": run.config.preset}


def watch(run: Run, stop: threading.Event, offset_s: float = 0.0) -> None:
    """What an open page does once a second: take a snapshot, get the run's figures (built once per
    snapshot for all viewers, as ``ui.run_view`` does) and serialise them as ``st.plotly_chart`` does."""
    if stop.wait(offset_s):
        return
    while not stop.wait(1.0):
        snap = run.snapshot()
        for figure in run_figures(run.id, snap, threshold=THRESHOLD, show_shaped=False).values():
            plotly.io.to_json(figure.to_dict(), validate=False)


def ours_throughput(steps: int, seed: int, viewers: int = 1) -> float:
    run = Run(build_config("CartPole-v1", "ppo", seed=seed, timesteps=steps), record_episodes=True)
    stop = threading.Event()
    watchers = [
        threading.Thread(target=watch, args=(run, stop, i / max(1, viewers)), daemon=True) for i in range(viewers)
    ]
    run.start()
    for watcher in watchers:
        watcher.start()
    run.join()
    stop.set()
    snap = run.snapshot()
    return snap.timesteps / snap.elapsed_s


def bare_throughput(steps: int, seed: int) -> float:
    config = build_config("CartPole-v1", "ppo", seed=seed, timesteps=steps)
    values = dict(config.hyperparams)
    started = time.perf_counter()
    env = make_vec_env("CartPole-v1", n_envs=int(values["n_envs"]), seed=seed)
    model = PPO("MlpPolicy", env, seed=seed, device="cpu", **sb3_kwargs(values))
    model.learn(steps)
    return model.num_timesteps / (time.perf_counter() - started)


def start_latency(repeats: int) -> list[float]:
    manager = RunManager(max_concurrent=1)
    latencies = []
    for seed in range(repeats):
        started = time.perf_counter()
        run = manager.start(build_config("CartPole-v1", "ppo", seed=seed, timesteps=10_000))
        while run.stats.timesteps == 0 and run.alive:
            time.sleep(0.001)
        latencies.append(time.perf_counter() - started)
        run.stop()
        run.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seeds = [0] if args.quick else [0, 1, 2]
    steps = 10_000 if args.quick else 40_000

    warm_up()  # as the server does at start
    gym.make("CartPole-v1").close()

    solve_rows = []
    for seed in seeds:
        ours = ours_solve(seed)
        bare = bare_sb3_solve(seed)
        solve_rows.append({"seed": seed, "ours": ours, "bare_zoo": bare})
        print(
            f"seed {seed}: ours solved {ours['solved_s']} s / step {ours['solved_step']}; "
            f"bare SB3 Zoo {bare['solved_s']} s / step {bare['solved_step']}",
            flush=True,
        )

    throughput = []
    for seed in seeds:
        ours = ours_throughput(steps, seed)
        bare = bare_throughput(steps, seed)
        throughput.append({"seed": seed, "ours_fps": ours, "bare_fps": bare, "ratio": ours / bare})
        print(
            f"throughput seed {seed}: ours {ours:.0f} steps/s, bare {bare:.0f} steps/s, ratio {ours / bare:.3f}",
            flush=True,
        )

    classroom = [ours_throughput(steps, seed, viewers=30) / bare_throughput(steps, seed) for seed in seeds]
    print(f"throughput with 30 viewers: ratios {[round(r, 3) for r in classroom]}", flush=True)

    latencies = start_latency(3 if args.quick else 5)

    def median_of(key: str, side: str) -> float | None:
        values = [row[side][key] for row in solve_rows if row[side][key] is not None]
        return statistics.median(values) if len(values) == len(solve_rows) else None

    ours_median, bare_median = median_of("solved_s", "ours"), median_of("solved_s", "bare_zoo")
    result = {
        "solve_s_ours_median": ours_median,
        "solve_s_bare_zoo_median": bare_median,
        "solve_ratio": ours_median / bare_median if ours_median and bare_median else None,
        "solve_rows": solve_rows,
        "overhead_ratio_median": statistics.median(r["ratio"] for r in throughput),
        "throughput": throughput,
        "overhead_ratio_30_viewers_median": statistics.median(classroom),
        "start_to_first_step_s_median": statistics.median(latencies),
        "start_to_first_step_s_max": max(latencies),
    }
    print()
    print("| measurement | playground | bare SB3 | ratio |")
    print("|---|---|---|---|")
    print(
        f"| CartPole time to solve, median of {len(seeds)} seeds | {_s(ours_median)} | {_s(bare_median)} (Zoo) "
        f"| {_r(result['solve_ratio'])} |"
    )
    ours_fps = statistics.median(r["ours_fps"] for r in throughput)
    bare_fps = statistics.median(r["bare_fps"] for r in throughput)
    print(
        f"| steps/s with page attached and frames on | {ours_fps:,.0f} | {bare_fps:,.0f} "
        f"| {_r(result['overhead_ratio_median'])} |"
    )
    print(
        f"| start to first training step | {_s(result['start_to_first_step_s_median'])} "
        f"(max {_s(result['start_to_first_step_s_max'])}) | – | – |"
    )
    print(json.dumps(result))


def _s(value: float | None) -> str:
    return "not solved" if value is None else f"{value:.2f} s"


def _r(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    main()
