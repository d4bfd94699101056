"""A run's live figures, built once per new snapshot and shared by every tab that watches the run.

Thirty tabs watching one run would otherwise build the same figures thirty times a redraw, taking CPU from the
training workers (``benchmarks/bench_classroom.py``). One tab rebuilds a run's figures at a time while the others
draw the ones they had; a figure up to ``max_age_s`` old counts as current (:func:`ui.viewers.figure_age_s`: 0.9 s
for the tab that controls the run, half its interval for a watching one). The return chart, which a person watches,
is rebuilt then; the episode lengths and the logged values at most every
:data:`~ui.viewers.SECONDARY_FIGURE_AGE_S`, so the browser mounts them afresh a third as often. The builders themselves
are in :mod:`ui.charts`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

import plotly.graph_objects as go

from agents.config.reference_curves import ReferenceCurve
from agents.config.schedule import Change
from agents.runs.live import RunSnapshot
from ui.charts import lengths_figure, losses_figure, mark_changes, returns_figure
from ui.viewers import FIGURE_AGE_S, SECONDARY_FIGURE_AGE_S

_cache: OrderedDict[str, tuple[tuple[object, ...], dict[str, float], dict[str, go.Figure]]] = OrderedDict()
"""Per run: the snapshot's version, when each figure was built (``time.monotonic()``), the figures."""
_cache_lock = threading.Lock()
_building: set[str] = set()
"""Runs whose figures a viewer is building now (guarded by ``_cache_lock``)."""
CACHED_RUNS = 32


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
    max_age_s: float = FIGURE_AGE_S,
) -> dict[str, go.Figure]:
    """The run's figures (``"returns"``, ``"lengths"``, ``"losses"``), built once per new snapshot and shared by
    every viewer; each marks the ``changes`` of settings made while training (:func:`mark_changes`). Figures built up
    to ``max_age_s`` seconds ago from an older snapshot are returned as they are; when the return chart is rebuilt,
    the other two are kept if built within ``max(SECONDARY_FIGURE_AGE_S, max_age_s)`` seconds. ``max_age_s=0``
    (an ended run's last draw) rebuilds all three from ``snap``.

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
        # every viewer; a figure up to max_age_s old is as live as the asking tab's redraws can show.
        if usable and (hit[0] == version or now - hit[1]["returns"] < max_age_s):
            return hit[2]
        if usable and run_id in _building:
            # Another viewer is rebuilding them: these are at most one rebuild older. Thirty tabs whose reruns
            # fell due together otherwise all rebuilt the same figures at once (py-spy, benchmarks/bench_classroom.py:
            # 60% of the server's CPU went to run_figures).
            return hit[2]
        _building.add(run_id)
    secondary_age_s = max(SECONDARY_FIGURE_AGE_S, max_age_s) if max_age_s > 0 else 0.0
    builders = {
        "returns": lambda: returns_figure(
            snap, threshold=threshold, show_shaped=show_shaped, learned=learned, reference=reference
        ),
        "lengths": lambda: lengths_figure(snap),
        "losses": lambda: losses_figure(snap, algo),
    }
    try:
        figures: dict[str, go.Figure] = {}
        built: dict[str, float] = {}
        for name, build in builders.items():
            if name != "returns" and usable and now - hit[1][name] < secondary_age_s:
                figures[name], built[name] = hit[2][name], hit[1][name]  # type: ignore[index]
                continue
            figures[name], built[name] = build(), now
            mark_changes(figures[name], changes)
        with _cache_lock:
            _cache[run_id] = (version, built, figures)
            _cache.move_to_end(run_id)
            while len(_cache) > CACHED_RUNS:
                _cache.popitem(last=False)
    finally:
        with _cache_lock:
            _building.discard(run_id)
    return figures
