"""The app-wide run manager: every run of the server, found by id, trained a bounded number at a time.

Runs belong here rather than to a page or a browser session, so a reload, a second tab or a shared link
finds a run again. At most ``max_concurrent`` runs train at once (training threads share the GIL: more at
once only slows each); the rest wait in a first-come queue and can see their place in it.
"""

from __future__ import annotations

import os
import re
import threading

from agents.config import RunConfig
from agents.run import Run, RunStatus

RUN_ID_PATTERN = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
"""What a run id looks like; anything else from a URL is refused before any lookup."""


class RunManager:
    """Starts, tracks and bounds the server's runs."""

    def __init__(self, max_concurrent: int | None = None, max_kept: int = 200) -> None:
        self.max_concurrent = max(1, max_concurrent or os.cpu_count() or 1)
        self.max_kept = max_kept
        self._runs: dict[str, Run] = {}
        self._queue: list[Run] = []
        self._active: set[str] = set()
        self._cond = threading.Condition()

    def start(self, config: RunConfig, *, owner: str = "") -> Run:
        """Queue a new run and start its thread; it trains as soon as a slot is free."""
        run = Run(config, owner=owner)
        with self._cond:
            self._runs[run.id] = run
            self._queue.append(run)
            self._prune()
        run.start(self._acquire, self._release)
        return run

    def get(self, run_id: str) -> Run | None:
        """The run with this id, or None (also for ids that are not well formed)."""
        if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id):
            return None
        with self._cond:
            return self._runs.get(run_id)

    def runs(self) -> list[Run]:
        """All runs, newest first."""
        with self._cond:
            return sorted(self._runs.values(), key=lambda r: r.created_at, reverse=True)

    def queue_position(self, run: Run) -> int | None:
        """1 for the next run to start; None when the run is not waiting."""
        with self._cond:
            return self._queue.index(run) + 1 if run in self._queue else None

    def active_count(self) -> int:
        with self._cond:
            return len(self._active)

    def stop_all(self, timeout: float = 10.0) -> None:
        """Stop every run and wait for their threads (server shutdown, tests)."""
        runs = self.runs()
        for run in runs:
            run.stop()
        with self._cond:
            self._cond.notify_all()
        for run in runs:
            run.join(timeout)

    # --- called from run threads --------------------------------------------------------------------------

    def _acquire(self, run: Run) -> bool:
        with self._cond:
            while not run.control.stop_requested:
                if self._queue and self._queue[0] is run and len(self._active) < self.max_concurrent:
                    self._queue.pop(0)
                    self._active.add(run.id)
                    self._cond.notify_all()
                    return True
                self._cond.wait(timeout=0.2)
            if run in self._queue:
                self._queue.remove(run)
                self._cond.notify_all()
            return False

    def _release(self, run: Run) -> None:
        with self._cond:
            self._active.discard(run.id)
            self._cond.notify_all()

    def _prune(self) -> None:
        """Forget the oldest ended runs past ``max_kept`` (never an active one)."""
        ended = sorted((r for r in self._runs.values() if not r.status.active), key=lambda r: r.created_at)
        for run in ended[: max(0, len(self._runs) - self.max_kept)]:
            del self._runs[run.id]


_manager: RunManager | None = None
_manager_lock = threading.Lock()


def get_manager() -> RunManager:
    """The process-wide manager (a module global: every page and session of the server shares it)."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = RunManager(max_concurrent=int(os.environ.get("RL_PLAYGROUND_MAX_RUNS", "0")) or None)
        return _manager


__all__ = ["RUN_ID_PATTERN", "RunManager", "RunStatus", "get_manager"]
