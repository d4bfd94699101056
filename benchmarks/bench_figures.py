"""What a live run's view costs the server per rebuild, side by side with the design it replaced.

    python -m benchmarks.bench_figures                 # a long CartPole PPO run: 20,000 episodes, ten logged values
    python -m benchmarks.bench_figures --episodes 5000

For each of a run's figures (episode return, episode length, the logged values, the value and action maps) it
times, in this process's CPU time (median of ``--repeats``):

- the builder as it is (``ui/charts.py``, ``ui/value_map.py``: traces and layout given to ``go.Figure`` at once);
- the replaced design: the same traces in ``go.Figure``, then the same layout through ``fig.update_layout``
  (plotly validates each property again along the figure's path tree), and checks both give the same JSON;
- serialising it once for every tab (``ui.present.serialised``) and what each tab's ``st.plotly_chart`` then does
  with it (``plotly.io.to_json`` of the shared spec);

and a copy of the run's history (``RunStats.snapshot``), which each watching tab's redraw took before the tabs
shared one (``Run.snapshot(max_age_s=...)``). Prints a Markdown table and one JSON object (last line).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

LOGGED = ("approx_kl", "clip_fraction", "clip_range", "entropy_loss", "explained_variance", "learning_rate", "loss",
          "policy_gradient_loss", "value_loss", "n_updates")  # fmt: skip
"""What SB3's PPO logs under ``train/`` (``n_updates`` is a counter: the chart leaves it out)."""


def cpu_ms(work: Callable[[], object], repeats: int) -> float:
    """Median CPU milliseconds of ``work()`` over ``repeats`` calls (after one to warm up)."""
    work()
    times = []
    for _ in range(repeats):
        started = time.process_time()
        work()
        times.append((time.process_time() - started) * 1000)
    return round(statistics.median(times), 2)


def long_run(episodes: int) -> tuple[Any, Any]:
    """A :class:`~agents.runs.live.RunStats` of a long CartPole PPO run (CartPole-like lengths and returns, ten
    logged values every 2,048 steps) and its snapshot."""
    from agents.runs.live import RunStats

    rng = np.random.default_rng(0)
    stats = RunStats(10**7, 475.0)
    lengths = np.minimum(500, 10 + np.arange(episodes) // 20 + rng.integers(0, 40, episodes))
    steps = np.cumsum(lengths)
    for step, length in zip(steps.tolist(), lengths.tolist(), strict=True):
        stats.add_episode(step, float(length), float(length), length, step / 7_000)
    for update in range(int(steps[-1]) // 2_048):
        stats.add_metrics(update * 2_048, {f"train/{name}": float(rng.normal()) for name in LOGGED})
    stats.timesteps = int(steps[-1])
    return stats, stats.snapshot()


def value_map_of(step: int) -> Any:
    """A CartPole-sized map (41 x 41 grid, a 500-step path) as a worker sends it."""
    from agents.runs.value_map import ValueMap

    rng = np.random.default_rng(1)
    grid = np.linspace(-1.0, 1.0, 41)
    return ValueMap(
        step=step, index=1, xs=grid, ys=grid, values=rng.normal(size=(41, 41)).astype(np.float32),
        actions=rng.integers(0, 2, (41, 41)).astype(np.int16), discrete=True, value_name="V(s)",
        path=rng.normal(size=(500, 2)).astype(np.float32),
    )  # fmt: skip


def replaced_design(figure: go.Figure) -> Callable[[], go.Figure]:
    """The way the figure was built before: its traces first, its layout through ``update_layout``."""
    data = [trace.to_plotly_json() for trace in figure.data]
    layout = figure.layout.to_plotly_json()
    layout.pop("template", None)  # the figure takes the default template itself, as the builder's did

    def build() -> go.Figure:
        fig = go.Figure(data)
        fig.update_layout(**layout)
        return fig

    return build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20_000, help="episodes in the run's history (default 20,000)")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    from envs.registry import ENVS
    from ui.charts import lengths_figure, losses_figure, returns_figure
    from ui.present import _serialised, serialised
    from ui.value_map import action_figure, value_figure

    stats, snap = long_run(args.episodes)
    env = ENVS["CartPole-v1"]
    value_map = value_map_of(snap.timesteps)
    builders: dict[str, Callable[[], go.Figure]] = {
        "episode return": lambda: returns_figure(snap, threshold=475.0, show_shaped=False),
        "episode length": lambda: lengths_figure(snap),
        "logged values (10 small charts)": lambda: losses_figure(snap, "ppo"),
        "value map (41 x 41)": lambda: value_figure(value_map, env.state_slice),
        "action map (41 x 41)": lambda: action_figure(value_map, env, env.state_slice),
    }
    rows: list[dict[str, Any]] = []
    for name, build in builders.items():
        figure = build()
        before = replaced_design(figure)
        same = json.loads(pio.to_json(before(), validate=False)) == json.loads(pio.to_json(figure, validate=False))

        def serialise(figure: go.Figure = figure) -> object:
            _serialised.clear()
            return serialised(figure, projector=False, height=None)

        shared = serialise()
        rows.append(
            {
                "figure": name,
                "build_ms": cpu_ms(build, args.repeats),
                "replaced_ms": cpu_ms(before, args.repeats),
                "same_json": same,
                "serialise_once_ms": cpu_ms(serialise, args.repeats),
                "per_tab_ms": cpu_ms(lambda shared=shared: pio.to_json(shared, validate=False), args.repeats),
                "kb": round(len(pio.to_json(shared, validate=False)) / 1000, 1),
            }
        )
    copy_ms = cpu_ms(stats.snapshot, args.repeats)

    print(f"{args.episodes:,} episodes, {snap.timesteps:,} steps; load {os.getloadavg()[0]:.1f}")
    print()
    print("| figure | build, CPU ms | with update_layout (replaced) | same JSON | serialise once | per tab | kB |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['figure']} | {row['build_ms']} | {row['replaced_ms']} | {'yes' if row['same_json'] else 'NO'} "
            f"| {row['serialise_once_ms']} | {row['per_tab_ms']} | {row['kb']} |"
        )
    total, replaced = sum(r["build_ms"] for r in rows), sum(r["replaced_ms"] for r in rows)
    print(f"| all five | {total:.1f} | {replaced:.1f} | | | | |")
    print()
    print(f"a copy of the run's history (RunStats.snapshot), which each watching tab's redraw took: {copy_ms} ms")
    print(json.dumps({"episodes": args.episodes, "figures": rows, "snapshot_copy_ms": copy_ms}))


if __name__ == "__main__":
    main()
