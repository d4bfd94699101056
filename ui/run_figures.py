"""A run's live figures, built once per new snapshot and shared by every tab that watches the run.

Thirty tabs watching one run would otherwise build the same figures thirty times a redraw, taking CPU from the
training workers (``benchmarks/bench_classroom.py``). One tab rebuilds a run's figures at a time while the others
draw the ones they had; a figure up to :data:`MAX_FIGURE_AGE_S` old counts as current; a run's logged values are
converted to arrays as they grow (:class:`LossArrays`). The builders themselves are in :mod:`ui.charts`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from agents.config.reference_curves import ReferenceCurve
from agents.config.schedule import Change
from agents.runs.live import RunSnapshot
from ui.charts import lengths_figure, losses_figure, mark_changes, returns_figure, step_value_array


class LossArrays:
    """A run's logged values as arrays, converted as they grow: each rebuild of the live chart converts only the
    points logged since the last one (a run's series only grow; one that shrank, a run resumed from an earlier
    checkpoint, is converted afresh). Ten series of 17,000 points otherwise cost 60 ms of every rebuild."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def update(self, losses: dict[str, list[tuple[int, float]]]) -> dict[str, np.ndarray]:
        """``losses`` (a snapshot's) as ``{key: array of shape (n, 2)}``."""
        arrays: dict[str, np.ndarray] = {}
        for key, points in losses.items():
            known = self._arrays.get(key)
            if (
                known is not None
                and len(points) >= len(known)
                and (not len(known) or tuple(known[-1]) == tuple(map(float, points[len(known) - 1])))
            ):
                arrays[key] = np.concatenate([known, step_value_array(points[len(known) :])])
            else:
                arrays[key] = step_value_array(points)
        self._arrays = arrays
        return arrays


_cache: OrderedDict[str, tuple[tuple[object, ...], float, dict[str, go.Figure]]] = OrderedDict()
_cache_lock = threading.Lock()
_loss_cache: OrderedDict[str, LossArrays] = OrderedDict()
_building: set[str] = set()
"""Runs whose figures a viewer is building now (guarded by ``_cache_lock``)."""
CACHED_RUNS = 32
MAX_FIGURE_AGE_S = 0.9


def _loss_arrays(run_id: str) -> LossArrays:
    with _cache_lock:
        arrays = _loss_cache.get(run_id)
        if arrays is None:
            arrays = _loss_cache[run_id] = LossArrays()
        _loss_cache.move_to_end(run_id)
        while len(_loss_cache) > CACHED_RUNS:
            _loss_cache.popitem(last=False)
        return arrays


def run_figures(
    run_id: str,
    snap: RunSnapshot,
    *,
    threshold: float | None,
    show_shaped: bool,
    algo: str = "",
    learned: bool = False,
    changes: Sequence[Change] = (),
    reference: ReferenceCurve | None = None,
) -> dict[str, go.Figure]:
    """The run's figures, built once per new snapshot and shared by every viewer; each marks the ``changes``
    of settings made while training (:func:`mark_changes`).

    Thirty students watching one run would otherwise build the same figures thirty times a second,
    taking CPU time from the training thread.
    """
    losses = sum(len(v) for v in snap.losses.values())
    version = (snap.timesteps, len(snap.episode_steps), losses, len(changes), show_shaped)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(run_id)
        usable = hit is not None and hit[0][-2:] == version[-2:]  # the same changes marked, the same traces
        # A training run changes between any two viewers' reruns, so "same data" alone would rebuild for
        # every viewer; a figure up to MAX_FIGURE_AGE_S old is as live as a once-a-second page can show.
        if usable and (hit[0] == version or now - hit[1] < MAX_FIGURE_AGE_S):
            return hit[2]
        if usable and run_id in _building:
            # Another viewer is rebuilding them: these are at most one rebuild older. Thirty tabs whose reruns
            # fell due together otherwise all rebuilt the same figures at once (py-spy, benchmarks/bench_classroom.py:
            # 60% of the server's CPU went to run_figures).
            return hit[2]
        _building.add(run_id)
    try:
        figures = {
            "returns": returns_figure(
                snap, threshold=threshold, show_shaped=show_shaped, learned=learned, reference=reference
            ),
            "lengths": lengths_figure(snap),
            "losses": losses_figure(snap, algo, _loss_arrays(run_id).update(snap.losses)),
        }
        for figure in figures.values():
            mark_changes(figure, changes)
        with _cache_lock:
            _cache[run_id] = (version, now, figures)
            _cache.move_to_end(run_id)
            while len(_cache) > CACHED_RUNS:
                _cache.popitem(last=False)
    finally:
        with _cache_lock:
            _building.discard(run_id)
    return figures
