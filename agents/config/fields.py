"""The run-level fields of a configuration (seed, budget, stop when solved, wall-clock cap) as one table.

They are declared as :class:`~agents.config.schema.HyperParam` like the algorithms' hyperparameters, so the
same declaration bounds :func:`~agents.config.run_config.build_config`, the Train page's widgets, share
links and the CLI, and each refuses a bad value with the same message (in the spirit of CleanRL's ``Args``).
"""

from __future__ import annotations

from agents.config.limits import DEFAULT_WALL_S, MAX_WALL_S
from agents.config.schema import HyperParam, Schema

MAX_TIMESTEPS = 5_000_000
"""No run may ask for more steps than this: a cap for the whole server, whatever a link says."""
MAX_SEED = 2**31 - 1

SEED = HyperParam(
    "seed",
    "int",
    0,
    "Same seed, same configuration: the same run (on the same machine).",
    low=0,
    high=MAX_SEED,
)
TIMESTEPS = HyperParam(
    "timesteps",
    "int",
    50_000,
    "Training budget in environment steps.",
    low=1,
    high=MAX_TIMESTEPS,
)
STOP_WHEN_SOLVED = HyperParam(
    "stop_when_solved",
    "bool",
    False,
    "End the run as soon as the mean return of the last 20 episodes reaches the env's threshold.",
)
MAX_WALL = HyperParam(
    "max_wall_s",
    "float",
    DEFAULT_WALL_S,
    "Wall-clock cap in seconds: the run stops after this long whatever its budget.",
    low=1.0,
    high=MAX_WALL_S,
)
RUN_FIELDS = Schema((SEED, TIMESTEPS, STOP_WHEN_SOLVED, MAX_WALL))
"""Every run-level field, in the order forms show them."""
SEED_COUNT = HyperParam(
    "seeds",
    "int",
    3,
    "How many copies of this configuration to queue, with seeds 0, 1, ...",
    low=2,
    high=10,
)
"""The Train page's "Run N seeds": enough for a confidence band, few enough for one tab's share of the queue."""
