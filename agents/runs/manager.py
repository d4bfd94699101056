"""The app-wide run manager: every run of the server, found by id, trained a bounded number at a time.

Runs belong here rather than to a page or a browser session, so a reload, a second tab or a shared link
finds a run again. Each run trains in a worker of the manager's executor (a process of its own in the
server, :mod:`agents.runs.workers.process`); at most ``max_concurrent`` at once, by default one per core;
the rest wait in a first-come queue and can see their place in it. Waiting runs have no worker and no thread.

With a :class:`~agents.storage.store.RunStore` every run is kept on disk: at start the manager lists the stored
runs as they ended (a run that was training when the server died shows as interrupted and can be resumed
from its last checkpoint with :meth:`RunManager.resume`), and the oldest ended runs are pruned past a count
or a size.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

from agents.config.run_config import RunConfig
from agents.runs.names import next_run_name
from agents.runs.run import DEFAULT_CHECKPOINT_EVERY_S, Run, RunStatus
from agents.runs.server_memory import fix_malloc_thresholds
from agents.runs.workers import server_executor
from agents.runs.workers.base import Executor
from agents.storage.store import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_RUNS,
    RUN_ID_PATTERN,
    RunStore,
    StorageError,
    default_root,
    limits_from_env,
)

log = logging.getLogger(__name__)


class RunActionError(ValueError):
    """A resume or delete that cannot be done; the message says why, for the person who asked."""


MAX_WAITING = 60
MAX_PER_OWNER = 10


class RunManager:
    """Starts, tracks and bounds the server's runs."""

    def __init__(
        self,
        max_concurrent: int | None = None,
        max_kept: int = DEFAULT_MAX_RUNS,
        *,
        store: RunStore | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        checkpoint_every_s: float = DEFAULT_CHECKPOINT_EVERY_S,
        executor: Executor | None = None,
    ) -> None:
        """``executor``: where runs train (default: a Ray actor each when ``RAY_ADDRESS`` is set, else a worker process
        each; see :func:`~agents.runs.workers.server_executor`)."""
        self.executor = executor or server_executor()
        slots = getattr(self.executor, "slots", None)  # a cluster's CPUs (the Ray executor), else this machine's
        self.max_concurrent = max(1, max_concurrent or slots or os.cpu_count() or 1)
        self.max_waiting = MAX_WAITING
        """Runs training or queued at once, for the whole server."""
        self.max_per_owner = MAX_PER_OWNER
        """Runs training or queued at once for one browser tab (enough for "run 10 seeds")."""
        self.max_kept = max_kept
        """Runs kept (in memory, and on disk with a store); the oldest ended ones go first."""
        self.max_bytes = max_bytes
        """Disk space the stored runs may take (with a store)."""
        self.store = store
        self.checkpoint_every_s = checkpoint_every_s
        self._runs: dict[str, Run] = {}
        self._queue: list[Run] = []
        self._active: set[str] = set()
        self._cond = threading.Condition()
        if store is not None:
            self._load_stored(store)

    def _load_stored(self, store: RunStore) -> None:
        for run_id in store.run_ids():
            try:
                run = Run.restore(store.open(run_id), checkpoint_every_s=self.checkpoint_every_s)
            except (StorageError, OSError) as error:
                log.warning("not listing stored run %s: %s", run_id, error)
                continue
            self._runs[run.id] = run

    def start(self, config: RunConfig, *, owner: str = "") -> Run:
        """Queue a new run; it trains as soon as a slot is free.

        RunActionError when the queue is full, or when this owner already has its share of waiting and
        training runs: one browser tab must not fill a classroom's server.
        """
        with self._cond:
            waiting = len(self._queue) + len(self._active)
            if waiting >= self.max_waiting:
                raise RunActionError(
                    f"the server already has {waiting} runs training or waiting; try again when some have finished"
                )
            mine = sum(1 for r in self._runs.values() if r.status.active and owner and r.is_owner(owner))
            if owner and mine >= self.max_per_owner:
                raise RunActionError(
                    f"you already have {mine} runs training or waiting (at most {self.max_per_owner}); "
                    "stop one or wait for it to finish"
                )
            run = self._new_run(config, owner)
            run.claim()
            self._runs[run.id] = run
            self._enqueue(run)
            self._prune()
        self._dispatch()
        return run

    def _new_run(self, config: RunConfig, owner: str) -> Run:
        """Called under the lock, so the new run's name is unique among the server's runs."""
        name = next_run_name(config, (run.name for run in self._runs.values()))
        if self.store is not None:
            try:
                return Run(config, owner=owner, store=self.store, checkpoint_every_s=self.checkpoint_every_s, name=name)
            except (StorageError, OSError) as error:  # a full or read-only disk must not stop the demo
                log.warning("run not stored (%s); it is kept in memory only", error)
        return Run(config, owner=owner, name=name)

    def resume(self, run_id: str, owner: str) -> Run:
        """Continue an interrupted or stopped run from its last checkpoint, queued like a new run.

        Only the owner of the run (the tab that started it) may resume it; RunActionError says why not.
        The returned Run replaces the old one under the same id.
        """
        with self._cond:
            old = self.get(run_id)
            if old is None:
                raise RunActionError("there is no such run")
            if not old.is_owner(owner):
                raise RunActionError("only the tab that started this run can resume it")
            try:
                run = old.resumed(owner)
                run.claim()
            except (StorageError, OSError) as error:
                raise RunActionError(str(error)) from None
            self._runs[run.id] = run
            self._enqueue(run)
        self._dispatch()
        return run

    def delete(self, run_id: str) -> bool:
        """Forget a run and remove its folder; False if there is no such run. Never an active run."""
        with self._cond:
            run = self.get(run_id)
            if run is None:
                return False
            if run.status.active or run.alive:
                raise RunActionError("stop the run before deleting it")
            if self.store is not None and run.folder is not None:
                try:
                    self.store.delete(run.id)
                except StorageError as error:
                    raise RunActionError(str(error)) from None
            del self._runs[run.id]
            return True

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

    def stop_all(self, timeout: float = 10.0, reason: str = "stopped by the user") -> None:
        """Stop every run and wait up to ``timeout`` seconds in all for their workers (server shutdown, tests)."""
        runs = self.runs()
        with self._cond:
            queued = list(self._queue)
        for run in queued:  # the queue first, so no waiting run takes a freed slot
            run.stop(reason)
        for run in runs:
            run.stop(reason)
        deadline = time.monotonic() + timeout
        for run in runs:
            run.join(max(0.0, deadline - time.monotonic()))

    # --- the queue ----------------------------------------------------------------------------------------

    def _enqueue(self, run: Run) -> None:
        run.on_end = self._ended
        self._queue.append(run)

    def _dispatch(self) -> None:
        """Launch waiting runs, first come first served, while slots are free."""
        while True:
            with self._cond:
                if not self._queue or len(self._active) >= self.max_concurrent:
                    return
                run = self._queue.pop(0)
                self._active.add(run.id)
            run.launch(self.executor)  # outside the lock: starting a worker takes a few milliseconds

    def _ended(self, run: Run) -> None:
        """A run ended (or was stopped while waiting): free its place and launch the next."""
        with self._cond:
            if run in self._queue:
                self._queue.remove(run)
            self._active.discard(run.id)
        self._dispatch()

    def _prune(self) -> None:
        """Forget the oldest ended runs past ``max_kept`` (and, with a store, ``max_bytes``); never an active one."""
        if self.store is not None:
            protect = {run.id for run in self._runs.values() if run.status.active or run.alive}
            try:
                removed = self.store.prune(self.max_kept, self.max_bytes, protect)
            except OSError:
                log.warning("pruning the runs folder failed", exc_info=True)
                removed = []
            for run_id in removed:
                self._runs.pop(run_id, None)
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
            fix_malloc_thresholds()  # the server: many tabs' redraws would otherwise fragment its heap
            max_runs, max_bytes = limits_from_env()
            _manager = RunManager(
                max_concurrent=int(os.environ.get("RL_PLAYGROUND_MAX_RUNS", "0")) or None,
                max_kept=max_runs,
                store=RunStore(default_root()),
                max_bytes=max_bytes,
                checkpoint_every_s=_checkpoint_every_s(),
            )
            atexit.register(_stop_at_exit, _manager)
        return _manager


SERVER_STOPPED = "the server stopped"
"""The end reason of runs stopped because the server shut down."""
SHUTDOWN_TIMEOUT_S = 15.0


def _stop_at_exit(manager: RunManager) -> None:
    """Stop the server's runs before the interpreter exits.

    A training thread still inside torch while Python finalizes aborts the process ("terminate called
    without an active exception") and leaves its run half-written. Stopped here, each run saves its
    checkpoint and status and ends as *stopped*, resumable, with the reason its page shows.
    """
    manager.stop_all(timeout=SHUTDOWN_TIMEOUT_S, reason=SERVER_STOPPED)


def _checkpoint_every_s() -> float:
    """``RUNS_CHECKPOINT_EVERY_S``, default 30 s."""
    try:
        return max(0.1, float(os.environ.get("RUNS_CHECKPOINT_EVERY_S", DEFAULT_CHECKPOINT_EVERY_S)))
    except ValueError:
        return DEFAULT_CHECKPOINT_EVERY_S


__all__ = ["RUN_ID_PATTERN", "RunActionError", "RunManager", "RunStatus", "get_manager"]
