"""Evaluation clips: how fresh they are and what they cost, the code before the change and now, side by side.

    python -m benchmarks.bench_eval                 # CartPole and LunarLander (PPO, demo presets), 2 seeds
    python -m benchmarks.bench_eval --quick         # CartPole only, 1 seed, shorter runs
    python -m benchmarks.bench_eval --clips         # only the cost of one clip (robust to machine load)
    python -m benchmarks.bench_eval --before REV    # compare against another commit

"Before" is the code of a git commit (by default the parent of the commit that gave evaluation episodes their
own random streams), extracted with ``git archive`` into a temporary folder; "after" is this working tree. Each
run trains in a child process of its own, before and after interleaved so both see the same machine load.
A child times every ``LiveCallback.run_evaluation`` call (the method both versions have) and reports:

* clips during training, and the longest gap (training seconds) the page showed the same clip, counting from
  the start and up to the end of training;
* evaluation's share of training time (the clips played while training; the final one plays after), on the
  wall and in CPU seconds of the training thread;
* steps per second;
* for a run stopped by its owner: which step the clip beside it was played at, against the run's last step.

Prints a Markdown table and one JSON object (last line). Figures on a shared machine are noisy: compare the
two sides of one run, and note the load average printed with them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLIP_CASES = [("Acrobot-v1", "ppo"), ("MountainCar-v0", "dqn"), ("Pendulum-v1", "sac")]
"""Envs whose untrained episodes always last their time limit (500, 200, 200 steps): equal work for both sides."""


def child(env_id: str, seed: int, max_wall_s: float, stop_after_s: float | None) -> dict[str, Any]:
    """One run with evaluation on, in this process, with whichever ``agents`` package is on the path."""
    import agents.runs.live as live
    from agents.config.run_config import build_config
    from agents.runs.run import Run

    clips: list[dict[str, Any]] = []
    original, original_step = live.LiveCallback.run_evaluation, live.LiveCallback._on_step
    in_step = [False]

    def on_step(self: Any) -> bool:
        in_step[0] = True
        try:
            return original_step(self)
        finally:
            in_step[0] = False

    def timed(self: Any, *args: Any, **kwargs: Any) -> None:
        began_at = self.control.elapsed()
        started, cpu_started = time.perf_counter(), time.thread_time()
        original(self, *args, **kwargs)
        evaluation = self.stats.evaluation
        clips.append(
            {
                "at_s": began_at,
                "cost_s": time.perf_counter() - started,
                "cpu_s": time.thread_time() - cpu_started,
                "step": evaluation.step if evaluation else -1,
                "in_training": in_step[0],  # the final clip plays after learn() returned
            }
        )

    live.LiveCallback._on_step = on_step  # type: ignore[method-assign]
    live.LiveCallback.run_evaluation = timed  # type: ignore[method-assign]
    run = Run(build_config(env_id, "ppo", seed=seed, max_wall_s=max_wall_s), record_episodes=True)
    run.start()
    if stop_after_s is not None:
        while run.alive and run.snapshot().elapsed_s < stop_after_s:
            time.sleep(0.05)
        run.stop()
    run.join()
    snap = run.snapshot()
    train_s = snap.elapsed_s
    in_training = [c for c in clips if c["in_training"]]
    shown_from = [0.0] + [c["at_s"] + c["cost_s"] for c in in_training] + [train_s]
    gaps = [b - a for a, b in itertools.pairwise(shown_from)]
    final = snap.evaluation
    return {
        "status": str(run.status),
        "train_s": train_s,
        "steps": snap.timesteps,
        "fps": snap.timesteps / train_s if train_s else 0.0,
        "clips_in_training": len(in_training),
        "eval_share": sum(c["cost_s"] for c in in_training) / train_s if train_s else 0.0,
        "eval_cpu_share": sum(c["cpu_s"] for c in in_training) / snap.cpu_s if snap.cpu_s else None,
        "max_gap_s": max(gaps),
        "median_gap_s": statistics.median(gaps),
        "mean_clip_cost_s": statistics.fmean(c["cost_s"] for c in in_training) if in_training else None,
        "final_clip_step": final.step if final else None,
    }


def clip_costs(env_id: str, algo: str, repeats: int) -> dict[str, Any]:
    """The cost of one clip, played by this side's evaluator on an untrained model (in this process).

    Acrobot (500 steps) and MountainCar and Pendulum (200) play the same length whatever the policy, so the
    two sides play equally long episodes. CPU seconds of this thread do not move with machine load.
    """
    import inspect

    from agents.config.run_config import build_config
    from agents.runs.run import Run

    run = Run(build_config(env_id, algo, seed=0), record_episodes=True)
    config = run.config
    model = config.algo_info.build(lambda: config.env_info.make(), config.hyperparams, 0)
    env = config.env_info.make(render_mode="rgb_array")
    evaluate = run._evaluator(env)
    takes_length = len(inspect.signature(evaluate).parameters) == 3
    walls, cpus, lengths, frames = [], [], [], []
    for index in range(repeats + 1):
        started, cpu_started = time.perf_counter(), time.thread_time()
        result = evaluate(model, index + 1, *([500.0] if takes_length else []))
        if index:  # the first warms the renderer up
            walls.append(time.perf_counter() - started)
            cpus.append(time.thread_time() - cpu_started)
            lengths.append(result.length)
            frames.append(getattr(result, "frames", 0) or len(_gif_frames(result.gif)))
    return {
        "length": statistics.median(lengths),
        "frames": statistics.median(frames),
        "wall_s": statistics.median(walls),
        "cpu_s": statistics.median(cpus),
    }


def _gif_frames(gif: bytes) -> list[Any]:
    from PIL import Image, ImageSequence

    with Image.open(BytesIO(gif)) as image:
        return [0 for _ in ImageSequence.Iterator(image)]


def extract(rev: str) -> Path:
    """The ``agents`` and ``envs`` packages of commit ``rev``, in a temporary folder."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "agents", "envs"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="bench-eval-before-"))
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def default_before() -> str:
    """The parent of the commit that added ``agents/runs/eval_streams.py``: the code before this work."""
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", "agents/runs/eval_streams.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not added:
        raise SystemExit("cannot find the commit that added agents/runs/eval_streams.py; pass --before REV")
    return f"{added[-1]}^"


def run_child(tree: Path, env_id: str, seed: int, max_wall_s: float, stop_after_s: float | None) -> dict[str, Any]:
    args = ["--child", env_id, str(seed), str(max_wall_s)]
    if stop_after_s is not None:
        args.append(str(stop_after_s))
    return _child(tree, args)


def _child(tree: Path, args: list[str]) -> dict[str, Any]:
    args = [sys.executable, str(Path(__file__).resolve()), *args]
    env = {**os.environ, "PYTHONPATH": str(tree), "SDL_VIDEODRIVER": "dummy"}
    done = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True, check=False, timeout=600)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise SystemExit(f"the child failed ({tree}):\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="git revision of the code to compare against")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clips", action="store_true", help="only the cost of one clip, before and after")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--clip-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.clip_child:
        print(json.dumps(clip_costs(args.clip_child[0], args.clip_child[1], repeats=5)))
        return
    if args.child:
        env_id, seed, max_wall_s, *stop = args.child
        result = child(env_id, int(seed), float(max_wall_s), float(stop[0]) if stop else None)
        print(json.dumps(result))
        return

    before_rev = args.before or default_before()
    trees = {"before": extract(before_rev), "after": ROOT}
    print(f"load average at start: {os.getloadavg()[0]:.1f}; before = {before_rev}", file=sys.stderr)
    costs = {}
    for env_id, algo in CLIP_CASES:
        for side, tree in trees.items():
            costs[f"{env_id}|{side}"] = _child(tree, ["--clip-child", env_id, algo])
            print(f"clip {env_id} {side}: {json.dumps(costs[f'{env_id}|{side}'])}", file=sys.stderr)
    print("\n| one clip (untrained policy) | side | steps | frames | wall s | CPU s | CPU ratio |")
    print("|---|---|---|---|---|---|---|")
    for env_id, _ in CLIP_CASES:
        before = costs[f"{env_id}|before"]["cpu_s"]
        for side in trees:
            cost = costs[f"{env_id}|{side}"]
            print(
                f"| {env_id} | {side} | {cost['length']:.0f} | {cost['frames']:.0f} | {cost['wall_s']:.3f} | "
                f"{cost['cpu_s']:.3f} | {cost['cpu_s'] / before:.2f} |"
            )
    if args.clips:
        print(json.dumps({"load_end": os.getloadavg()[0], "before": before_rev, "clips": costs}))
        return
    envs = ["CartPole-v1"] if args.quick else ["CartPole-v1", "LunarLander-v3"]
    seeds = [0] if args.quick else [0, 1]
    wall = 20.0 if args.quick else 45.0
    results: dict[str, list[dict[str, Any]]] = {}
    for env_id in envs:
        for seed in seeds:
            for side, tree in trees.items():
                result = run_child(tree, env_id, seed, wall, None)
                results.setdefault(f"{env_id}|{side}", []).append(result)
                print(f"{env_id} seed {seed} {side}: {json.dumps(result)}", file=sys.stderr)
    for seed in seeds:
        for side, tree in trees.items():
            result = run_child(tree, "CartPole-v1", seed, 120.0, 8.0)
            results.setdefault(f"stop|{side}", []).append(result)
            print(f"stop seed {seed} {side}: {json.dumps(result)}", file=sys.stderr)
    load = os.getloadavg()[0]

    def med(key: str, name: str) -> float:
        return statistics.median(r[name] for r in results[key])

    print(f"\nLoad average at the end: {load:.1f}. Medians of {len(seeds)} seed(s); training capped at {wall:.0f} s.\n")
    print(
        "| run | side | clips while training | longest same clip (s) | median gap (s) | eval share (wall) | "
        "eval share (CPU) | steps/s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for env_id in envs:
        for side in trees:
            key = f"{env_id}|{side}"
            print(
                f"| {env_id} | {side} | {med(key, 'clips_in_training'):.0f} | {med(key, 'max_gap_s'):.1f} | "
                f"{med(key, 'median_gap_s'):.1f} | {100 * med(key, 'eval_share'):.2f}% | "
                f"{100 * med(key, 'eval_cpu_share'):.2f}% | {med(key, 'fps'):,.0f} |"
            )
    print("\n| stopped after 8 s | side | clip's step | run's last step |")
    print("|---|---|---|---|")
    for side in trees:
        for result in results[f"stop|{side}"]:
            print(f"| CartPole-v1 | {side} | {result['final_clip_step']:,} | {result['steps']:,} |")
    print(json.dumps({"load_end": load, "before": before_rev, "results": results}))


if __name__ == "__main__":
    main()
