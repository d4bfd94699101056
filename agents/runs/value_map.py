"""Value and policy maps: what the agent believes of every state of a 2-D slice, computed in the worker.

At each evaluation episode the worker reads the model on a grid over the env's
:class:`~envs.state_slice.StateSlice` (one batched forward pass through the algorithm's
:meth:`~agents.algos.registry.AlgoInfo.state_values` hook: the critic's V(s), DQN's max Q, SAC's Q(s, μ(s)), and the
greedy action), projects the episode's observations onto the slice, and sends the result up as a :class:`ValueMap`
event with the step of the weights that made it. The clip and the map beside it are of the same policy; the server
holds no model and only draws what arrives.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from agents.algos.registry import AlgoInfo
from envs.state_slice import StateSlice

log = logging.getLogger(__name__)

MAP_POINTS = 41
"""Grid points per axis: 41 x 41 = 1,681 states in one forward pass (about 1-10 ms for a 64x64 network)."""
MAX_PATH_POINTS = 300
"""Points of the evaluation episode's path sent with a map (a 1,000-step episode keeps every fourth)."""


@dataclass(frozen=True, slots=True)
class ValueMap:
    """The agent's values and greedy actions over a ``P`` x ``P`` grid of a state slice, and an episode's path on it.

    Grid point (row i, column j) is the state at (``xs[j]``, ``ys[i]``), as a heatmap's ``z[i][j]``.
    """

    step: int
    """The training step of the weights that made the map (the evaluation episode's step)."""
    index: int
    """The evaluation episode whose path is drawn (:attr:`agents.runs.live.EvalResult.index`)."""
    xs: np.ndarray
    """Shape (P,), float64: the slice's x values, in its x axis's unit."""
    ys: np.ndarray
    """Shape (P,), float64."""
    values: np.ndarray | None
    """Shape (P, P), float32, in units of the return the agent learns from; None: the algorithm has no critic."""
    actions: np.ndarray
    """Shape (P, P): the greedy action's index (int16) for discrete actions, or its first component in the env's
    units (float32) for continuous ones."""
    discrete: bool
    value_name: str
    """``"V(s)"``, ``"max_a Q(s, a)"``, ``"Q(s, μ(s))"`` or "" (no values)."""
    path: np.ndarray
    """Shape (T, 2), float32: the episode's states projected on the slice, at most :data:`MAX_PATH_POINTS` (plus
    NaN rows where an angle wraps from π to -π, so a line drawn through them breaks there)."""
    action_range: tuple[float, float] | None = None
    """The bounds of a continuous action (its first component), in the env's units, for a colour scale that means
    the same at every step; None for discrete actions."""
    cost_s: float = 0.0
    """CPU seconds (of the worker's thread) spent making it."""


def map_policy(
    algo: AlgoInfo,
    model: Any,
    state_slice: StateSlice,
    observations: Sequence[np.ndarray] | np.ndarray,
    *,
    step: int,
    index: int,
    points: int = MAP_POINTS,
) -> ValueMap | None:
    """The map of ``model`` on ``state_slice``, with the path of ``observations`` (shape (T, obs_size)).

    None when the algorithm cannot read states (a tabular agent) or the map fails: a map that cannot be drawn must
    not fail the run (the reason goes to the log).
    """
    started = time.thread_time()
    try:
        xs, ys, grid = state_slice.grid_observations(points)
        reading = algo.state_values(model, grid)
        if reading is None:
            return None
        discrete = reading.actions.ndim == 1
        actions = reading.actions if discrete else reading.actions[:, 0]
        return ValueMap(
            step=step,
            index=index,
            xs=xs,
            ys=ys,
            values=None if reading.values is None else reading.values.reshape(points, points).astype(np.float32),
            actions=actions.reshape(points, points).astype(np.int16 if discrete else np.float32),
            discrete=discrete,
            value_name=reading.value_name,
            path=path_on_slice(state_slice, observations),
            action_range=None if discrete else _action_range(model),
            cost_s=time.thread_time() - started,
        )
    except Exception:
        log.warning("the value map at step %s could not be made", step, exc_info=True)
        return None


def _action_range(model: Any) -> tuple[float, float] | None:
    space = getattr(model, "action_space", None) or getattr(getattr(model, "policy", None), "action_space", None)
    if not isinstance(space, gym.spaces.Box):
        return None
    return float(space.low.reshape(-1)[0]), float(space.high.reshape(-1)[0])


def path_on_slice(
    state_slice: StateSlice, observations: Sequence[np.ndarray] | np.ndarray, max_points: int = MAX_PATH_POINTS
) -> np.ndarray:
    """``observations`` (T of them) projected on the slice: shape (<= max_points + breaks, 2), float32.

    Every k-th observation is kept (and the last one), so a long episode's path keeps its shape. Where an angle
    axis jumps by more than π between two kept points it wrapped around (π to -π): a NaN row breaks the line there.
    """
    if len(observations) == 0:
        return np.zeros((0, 2), dtype=np.float32)
    stacked = np.asarray(observations, dtype=np.float64).reshape(len(observations), -1)
    stride = max(1, math.ceil(len(stacked) / max_points))
    kept = stacked[::stride]
    if (len(stacked) - 1) % stride:
        kept = np.concatenate([kept[: max_points - 1], stacked[-1:]])
    points = state_slice.project(kept)
    angles = [axis.angle_of is not None for axis in (state_slice.x, state_slice.y)]
    wraps = np.zeros(len(points) - 1, dtype=bool)
    for column, is_angle in enumerate(angles):
        if is_angle:
            wraps |= np.abs(np.diff(points[:, column])) > math.pi
    if wraps.any():
        points = np.insert(points, np.flatnonzero(wraps) + 1, np.nan, axis=0)
    return points.astype(np.float32)
