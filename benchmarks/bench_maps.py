"""Value and policy maps: what one map costs, and training speed with maps on and off, side by side.

    python -m benchmarks.bench_maps               # map costs for every (env, algorithm) case, then training runs
    python -m benchmarks.bench_maps --quick       # fewer repeats, shorter runs
    python -m benchmarks.bench_maps --maps-only   # only the cost of one map (robust to machine load)

**One map**: the worker's :func:`agents.runs.value_map.map_policy` (a 41 x 41 grid in one forward pass, the path
projected) on a model built with the run's default preset, timed in CPU seconds of the calling thread (the median of
``repeats``), beside one evaluation clip of the same model (the clip's own ``cost_s``), and the server's side: building
the two figures once per map and serialising them (``to_json``, what ``st.plotly_chart`` does on each rerun).

**Training with maps on and off**: the same config and seed trained by the worker body
(:func:`agents.runs.training.train`, evaluation clips on, the default :class:`~agents.runs.live.EvalSchedule`) in a
child process of its own, once with ``value_maps`` and once without, interleaved so both sides see the same machine
load. Reported: steps per second, clips played, and the evaluation's share of the training thread's CPU (clips, and
maps with them).

Prints a Markdown table and one JSON object (last line), with the load average. Figures on a shared machine are noisy:
compare the two sides of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from benchmarks.child import in_child, split_on_off

MAP_CASES = [
    ("MountainCar-v0", "ppo"),
    ("MountainCar-v0", "dqn"),
    ("CartPole-v1", "ppo"),
    ("Acrobot-v1", "ppo"),
    ("LunarLander-v3", "ppo"),
    ("Pendulum-v1", "sac"),
    ("Pendulum-v1", "td3"),
    ("Pendulum-v1", "grpo"),
]
TRAIN_CASES = [("CartPole-v1", "ppo", 60_000), ("MountainCar-v0", "ppo", 60_000), ("Pendulum-v1", "sac", 3_000)]
"""(env, algorithm, steps): PPO demo runs of ~10-30 s, and SAC's slower steps with a larger network."""
MAP_HEADER = (
    "| env, algorithm | parameters | one map, CPU ms | one clip, CPU ms (steps) | figures built, ms "
    "| to_json, ms (kB) |\n|---|---|---|---|---|---|"
)
RUN_HEADER = (
    "| env, algorithm | steps/s, maps on | steps/s, maps off | on/off | steps per CPU s, on / off | clips (on, off) "
    "| evaluation CPU share, on | of it maps |\n|---|---|---|---|---|---|---|---|"
)


def map_cost(env_id: str, algo: str, repeats: int) -> dict[str, Any]:
    """CPU seconds of one map and one clip of an untrained model with the default preset, in this process."""
    import torch

    from agents.config.run_config import build_config
    from agents.runs.control import RunControl
    from agents.runs.events import CollectingSink
    from agents.runs.training import TrainJob, _Trainer
    from agents.runs.value_map import map_policy
    from ui.value_map import map_figures

    torch.set_num_threads(1)
    config = build_config(env_id, algo, seed=0)
    trainer = _Trainer(TrainJob("bench", config, value_maps=False), RunControl(), CollectingSink())
    model = config.algo_info.build(config.env_info.make, config.hyperparams, 0)
    evaluate = trainer._evaluator(config.env_info.make(render_mode="rgb_array"))
    clip = evaluate(model, 1, 1000.0)
    state_slice = config.env_info.state_slice
    assert state_slice is not None
    maps, builds, serials = [], [], []
    value_map = None
    for index in range(repeats + 1):
        started = time.thread_time()
        value_map = map_policy(config.algo_info, model, state_slice, [], step=index, index=index)
        if index:  # the first warms torch up
            maps.append(time.thread_time() - started)
        assert value_map is not None
        started = time.thread_time()
        _, figures = map_figures(f"bench-{env_id}-{algo}-{index}", value_map, config.env_info, state_slice)
        built = time.thread_time()
        size = sum(len(figure.to_json()) for figure in figures.values())
        if index:
            builds.append(built - started)
            serials.append(time.thread_time() - built)
    params = sum(config.algo_info.parameters(model).values())
    return {
        "env": env_id,
        "algo": algo,
        "params": params,
        "map_cpu_ms": 1000 * statistics.median(maps),
        "clip_cpu_ms": 1000 * clip.cost_s,
        "clip_steps": clip.length,
        "figures_ms": 1000 * statistics.median(builds),
        "to_json_ms": 1000 * statistics.median(serials),
        "json_kb": size / 1024,
    }


def child(env_id: str, algo: str, steps: int, maps: bool) -> dict[str, Any]:
    """One run by the worker body in this process, evaluation on, maps on or off."""
    from agents.config.run_config import build_config
    from agents.runs.control import RunControl
    from agents.runs.events import CollectingSink, Evaluated, Progress
    from agents.runs.training import TrainJob, train
    from agents.runs.value_map import ValueMap

    sink = CollectingSink()
    config = build_config(env_id, algo, seed=0, timesteps=steps)
    started = time.perf_counter()
    train(TrainJob("bench", config, own_process=True, value_maps=maps), RunControl(), sink)
    progress = sink.of_type(Progress)[-1]
    clips = [e.result for e in sink.of_type(Evaluated)][:-1]  # the final clip plays after training
    value_maps = sink.of_type(ValueMap)[: len(clips)]
    cpu_s = progress.cpu_s or 0.0
    return {
        "steps": progress.timesteps,
        "train_s": progress.train_s,
        "wall_s": time.perf_counter() - started,
        "steps_per_s": progress.timesteps / progress.train_s,
        "steps_per_cpu_s": progress.timesteps / cpu_s if cpu_s else None,
        "clips": len(clips),
        "map_count": len(value_maps),
        "eval_cpu_share": sum(c.cost_s for c in clips) / cpu_s if cpu_s else None,
        "map_cpu_share": sum(m.cost_s for m in value_maps) / cpu_s if cpu_s else None,
        "map_cpu_ms": 1000 * statistics.median([m.cost_s for m in value_maps]) if value_maps else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--maps-only", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("ENV", "ALGO", "STEPS", "MAPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        env_id, algo, steps, maps = args.child
        print(json.dumps(child(env_id, algo, int(steps), maps == "on")))
        return
    repeats = 5 if args.quick else 20
    load_before = os.getloadavg()
    costs = [map_cost(env_id, algo, repeats) for env_id, algo in MAP_CASES]
    print(MAP_HEADER)
    for c in costs:
        print(
            f"| {c['env']}, {c['algo']} | {c['params']:,} | {c['map_cpu_ms']:.1f} | {c['clip_cpu_ms']:.0f} "
            f"({c['clip_steps']}) | {c['figures_ms']:.1f} | {c['to_json_ms']:.1f} ({c['json_kb']:.0f}) |"
        )
    runs: list[dict[str, Any]] = []
    if not args.maps_only:
        rounds = 1 if args.quick else 2
        for env_id, algo, steps in TRAIN_CASES:
            steps = steps // 2 if args.quick else steps
            for _ in range(rounds):
                for maps in ("on", "off"):
                    runs.append(
                        {
                            "env": env_id,
                            "algo": algo,
                            "maps": maps,
                            **in_child("benchmarks.bench_maps", env_id, algo, str(steps), maps),
                        }
                    )
        print()
        print(RUN_HEADER)
        for env_id, algo, _ in TRAIN_CASES:
            on, off, m = split_on_off(runs, env_id, algo, "maps")
            fps_on, fps_off, cpu_on, cpu_off = m["fps_on"], m["fps_off"], m["cpu_on"], m["cpu_off"]
            share = statistics.median(r["eval_cpu_share"] or 0.0 for r in on)
            maps_share = statistics.median(r["map_cpu_share"] or 0.0 for r in on)
            print(
                f"| {env_id}, {algo} | {fps_on:,.0f} | {fps_off:,.0f} | {fps_on / fps_off:.2f} | "
                f"{cpu_on:,.0f} / {cpu_off:,.0f} = {cpu_on / cpu_off:.2f} | "
                f"{[r['clips'] for r in on]}, {[r['clips'] for r in off]} | {100 * share:.1f}% | "
                f"{100 * maps_share:.2f}% |"
            )
    print(f"\nload average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} (on {os.cpu_count()} cores)")
    print(json.dumps({"maps": costs, "runs": runs, "load": [load_before[0], os.getloadavg()[0]]}))


if __name__ == "__main__":
    main()
