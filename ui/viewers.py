"""How often a tab that watches a run redraws: every 2 s, and slower as more tabs watch, so that watching stays
within a fixed share of the machine's CPU and the runs keep their cores.

Each redraw of a watching tab costs the server some 10-20 ms of CPU (measured with
``benchmarks/bench_classroom.py``: 30 real Streamlit sessions, 2 CartPole runs training on 2 cores), and on a class
server every core trains, so the cost of thirty tabs redrawing every 2 s came straight out of the runs (they trained
at 0.77x their unwatched speed). Here the server counts the tabs watching any run (a tab counts while it has
redrawn within :data:`SEEN_WITHIN_S`) and spaces their redraws so that all of them together make at most
:data:`REDRAWS_PER_S_PER_CORE` a second per core of the machine (:func:`max_viewer_redraws_per_s`): every core
trains a run, and a redraw costs the same CPU on any machine (about 18 ms), so watching takes at most about 3% of the
machine's CPU. On 2 cores (3 a second) one to six tabs redraw every 2 s and a class of thirty every 10 s; on 4 cores
thirty redraw every 5 s, on 8 every 3 s. The tab that controls a run always redraws every second
(``ui.run_view.REFRESH_S``). Server setting: ``RL_PLAYGROUND_VIEWER_REDRAWS_PER_S`` (redraws a second in all).

A watching tab also takes the run's shared figures (:mod:`ui.run_figures`, :mod:`ui.value_map`) up to half its
interval old (:func:`figure_age_s`), and one snapshot of its history (``Run.snapshot(max_age_s=...)``): thirty tabs
redrawing every 10 s then rebuild a run's figures every 5 s, not every second, while what each tab draws is at most
half an interval older than its redraw.

The interval comes in steps (:data:`INTERVALS_S`), so a class that grows by one tab does not make every tab
redraw its whole page to pick up a new timer: a tab reloads its timer only when the step changes.
"""

from __future__ import annotations

import logging
import os
import threading
import time

log = logging.getLogger(__name__)

VIEWER_REFRESH_S = 2.0
"""Seconds between redraws of a watching tab while few tabs watch."""
INTERVALS_S = (VIEWER_REFRESH_S, 3.0, 5.0, 8.0, 10.0, 13.0, 20.0)
"""The steps a watching tab's interval takes as the class grows."""
REDRAWS_PER_S_PER_CORE = 1.5
"""Redraws a second of all watching tabs together, per core (the default budget). Measured with
``benchmarks/bench_classroom.py`` on 2 cores, one sitting: 6 a second (thirty tabs every 5 s) cost the server 0.11 of
a core and left the two runs at 0.93x their unwatched speed; 3 a second (every 10 s) cost 0.06 and left them at
0.96x."""
REDRAWS_ENV = "RL_PLAYGROUND_VIEWER_REDRAWS_PER_S"
FIGURE_AGE_S = 0.9
"""How old a run's shared figures may be for the tab that controls it (it redraws every second)."""
SECONDARY_FIGURE_AGE_S = 2.9
"""How old a live run's episode-length chart and its logged values may be, for any tab (at least its
:func:`figure_age_s`): they redraw every third second while the return chart redraws every second. A live chart is
mounted afresh in the browser at each redraw (:mod:`ui.chart_hold`), and these two took 40% of the time Chromium spent
mounting a run's charts: the tab that controls a run kept half a core busy (``benchmarks/bench_browser.py``)."""
SEEN_WITHIN_S = 30.0
"""A tab counts as watching while it has redrawn within this many seconds (longer than the longest interval)."""


def cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container may limit), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_redraws_per_s() -> float:
    """:data:`REDRAWS_PER_S_PER_CORE` times the machine's :func:`cores`."""
    return REDRAWS_PER_S_PER_CORE * cores()


def max_viewer_redraws_per_s() -> float:
    """The server's budget: redraws a second of all watching tabs together (``RL_PLAYGROUND_VIEWER_REDRAWS_PER_S``,
    a number from 1 to 1,000; else :func:`default_redraws_per_s`)."""
    raw = os.environ.get(REDRAWS_ENV, "").strip()
    if not raw:
        return default_redraws_per_s()
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 1.0 <= value <= 1000.0:  # NaN fails this too
        default = default_redraws_per_s()
        log.warning("%s=%r is not a number from 1 to 1000; using %g", REDRAWS_ENV, raw, default)
        return default
    return value


def interval_for(viewers: int, budget: float | None = None) -> float:
    """Seconds between one watching tab's redraws when ``viewers`` tabs watch: the first step of
    :data:`INTERVALS_S` at which they stay within ``budget`` redraws a second (the last step if none does)."""
    budget = max_viewer_redraws_per_s() if budget is None else budget
    for interval in INTERVALS_S:
        if viewers / interval <= budget:
            return interval
    return INTERVALS_S[-1]


def figure_age_s(interval_s: float) -> float:
    """Seconds a run's shared figures may have been built before a redraw of a tab that redraws every ``interval_s``
    seconds: half its interval, and never less than :data:`FIGURE_AGE_S`."""
    return max(FIGURE_AGE_S, interval_s / 2)


class ViewerRegistry:
    """The tabs of this server that watch a run, by Streamlit session id, with when each last redrew."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def seen(self, session_id: str, now: float | None = None) -> None:
        with self._lock:
            self._seen[session_id] = time.monotonic() if now is None else now

    def forget(self, session_id: str) -> None:
        """A tab that stopped watching (it now controls the run, or the run ended)."""
        with self._lock:
            self._seen.pop(session_id, None)

    def count(self, now: float | None = None) -> int:
        """Tabs that redrew within :data:`SEEN_WITHIN_S`; older entries are dropped."""
        now = time.monotonic() if now is None else now
        with self._lock:
            stale = [key for key, at in self._seen.items() if now - at > SEEN_WITHIN_S]
            for key in stale:
                del self._seen[key]
            return len(self._seen)


viewers = ViewerRegistry()
"""This server's watching tabs (one Streamlit server process serves every tab)."""
