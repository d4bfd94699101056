"""A sweep in progress: its trials fed to the run manager a few at a time, and their results as they come.

Every trial's seed is an ordinary run, started with the function the sweep is given (the app's and the CLI's:
:meth:`RunManager.start <agents.runs.manager.RunManager.start>`), so it trains in the manager's workers and shows
on Runs and Compare like any other. The sweep keeps at most ``parallel`` of its runs training or queued at once
(the manager's slots, ``RL_PLAYGROUND_MAX_RUNS``), so a sweep of 48 runs never fills the server's queue ahead
of other people's runs, and waits when the manager refuses one (an owner's share of the queue is full).

A trial's metric is the mean, over its seeds, of the mean true return of the last 20 training episodes (the
project's solved window, :data:`~agents.runs.live.SOLVE_WINDOW`): the env's own reward, whatever the shaping.
"""

from __future__ import annotations

import atexit
import hmac
import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agents.config.run_config import RunConfig
from agents.config.schema import Value
from agents.runs.live import SOLVE_WINDOW
from agents.runs.manager import RunActionError
from agents.runs.run import Run, RunStatus
from agents.storage.folder import hash_owner
from agents.sweeps.definition import SweepDefinition, SweepError, Trial

log = logging.getLogger(__name__)
POLL_S = 0.25
THREAD_PREFIX = "sweep-"
METRIC = f"mean true return of the last {SOLVE_WINDOW} episodes, averaged over seeds"
TUNE = "Ray Tune"
TUNE_ASHA = "Ray Tune, with ASHA stopping trailing trials early"
DRIVERS = ("", TUNE, TUNE_ASHA)
"""What may choose and schedule a sweep's trials (:attr:`SweepRun.driver`): this module (""), or Ray Tune."""

StartRun = Callable[[RunConfig], Run]


@dataclass(frozen=True)
class TrialResult:
    """One row of a sweep's table."""

    index: int
    params: dict[str, Value]
    status: str
    """``waiting``, ``training``, ``finished``, ``failed``, ``stopped``."""
    metric: float | None
    """Mean over the seeds that have a metric (None: no episode ended yet)."""
    seed_metrics: tuple[float | None, ...]
    run_ids: tuple[str, ...]
    config: RunConfig
    """Seed 0's configuration: what "Open on Train" and the Zoo export give."""

    @property
    def complete(self) -> bool:
        return self.status == "finished"


class SweepRun:
    """A started sweep: which of its runs are started, and their results."""

    def __init__(
        self, definition: SweepDefinition, trials: list[Trial], start: StartRun, parallel: int, *, owner: str = ""
    ) -> None:
        """``owner``: the control token of the browser that started it (only it may stop the sweep)."""
        self.id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        self.definition = definition
        self.trials = trials
        self.parallel = max(1, parallel)
        self.created_at = time.time()
        self.owner_hash = hash_owner(owner) if owner else ""
        self.note = ""
        """Why the next trial waits (the manager refused it), for the page; "" otherwise."""
        self.error = ""
        """Why the sweep ended before its trials did (Ray Tune failed), for the page; "" otherwise."""
        self.driver = ""
        """What chooses and schedules the trials when not this class, for the page (``Ray Tune``)."""
        self.folder: Path | None = None
        """The sweep's folder (its record; on Ray, Tune's experiment in ``tune/``), None: none kept."""
        self._start = start
        self._runs: list[list[Run | None]] = [[None] * len(trial.configs) for trial in trials]
        self._pending = deque((t, s) for t, trial in enumerate(trials) for s in range(len(trial.configs)))
        self._stopped = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def is_owner(self, token: str) -> bool:
        """Whether ``token`` is the control token of the browser that started this sweep."""
        return bool(token) and bool(self.owner_hash) and hmac.compare_digest(hash_owner(token), self.owner_hash)

    # --- feeding the manager -------------------------------------------------------------------------------

    def advance(self) -> bool:
        """Start waiting runs while fewer than ``parallel`` of this sweep's runs are active; True once every run
        has been started and has ended (or the sweep was stopped)."""
        with self._lock:
            while self._pending and not self._stopped and self._active_count() < self.parallel:
                trial, seed = self._pending[0]
                try:
                    run = self._start(self.trials[trial].configs[seed])
                except RunActionError as error:
                    self.note = str(error)
                    break
                self.note = ""
                self._pending.popleft()
                self._runs[trial][seed] = run
            return self.done

    @property
    def done(self) -> bool:
        return (self._stopped or not self._pending) and self._active_count() == 0

    def _active_count(self) -> int:
        return sum(1 for runs in self._runs for run in runs if run is not None and run.status.active)

    def start_feeding(self, on_poll: Callable[[], None] | None = None) -> None:
        """Feed the manager from a daemon thread until the sweep is done (the app: no page needs to stay open);
        ``on_poll`` is called every poll and once when done (the app saves the sweep's record with it)."""
        self.advance()
        self._thread = threading.Thread(
            target=self._feed, args=(on_poll,), name=f"{THREAD_PREFIX}{self.id}", daemon=True
        )
        self._thread.start()

    def _feed(self, on_poll: Callable[[], None] | None) -> None:
        try:
            while not self.advance():
                if on_poll is not None:
                    on_poll()
                time.sleep(POLL_S)
            if on_poll is not None:
                on_poll()
        except Exception:  # the page shows the trials as they are; the server keeps going
            log.exception("sweep %s stopped feeding its trials", self.id)

    def wait(self, timeout: float | None = None, on_poll: Callable[[], None] | None = None) -> bool:
        """Feed the manager from this thread until done (the CLI); False if ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.advance():
            if deadline is not None and time.monotonic() > deadline:
                return False
            if on_poll is not None:
                on_poll()
            time.sleep(POLL_S)
        return True

    def stop(self, *, runs: bool = True) -> None:
        """Start nothing more and (with ``runs``) stop the sweep's active runs."""
        with self._lock:
            self._stopped = True
            self._pending.clear()
            started = [run for trial_runs in self._runs for run in trial_runs if run is not None]
        for run in started if runs else []:
            if run.status.active:
                run.stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    @property
    def stopped(self) -> bool:
        return self._stopped

    # --- results -------------------------------------------------------------------------------------------

    def run_ids(self) -> list[str]:
        with self._lock:
            return [run.id for runs in self._runs for run in runs if run is not None]

    def results(self) -> list[TrialResult]:
        """One row per trial, in the definition's order."""
        with self._lock:  # on Ray Tune, trials are added as Tune starts them
            trials = list(self.trials)
            runs = [list(trial_runs) for trial_runs in self._runs]
        return [self._result(trial, trial_runs) for trial, trial_runs in zip(trials, runs, strict=True)]

    def _result(self, trial: Trial, runs: list[Run | None]) -> TrialResult:
        metrics = tuple(run_metric(run) if run is not None else None for run in runs)
        known = [m for m in metrics if m is not None]
        return TrialResult(
            index=trial.index,
            params=trial.params,
            status=_trial_status(runs, self._stopped),
            metric=sum(known) / len(known) if known else None,
            seed_metrics=metrics,
            run_ids=tuple(run.id for run in runs if run is not None),
            config=trial.configs[0],
        )

    def best(self) -> TrialResult | None:
        """The finished trial with the highest metric; before any finishes, the best so far (None: no metric yet)."""
        rows = [row for row in self.results() if row.metric is not None]
        finished = [row for row in rows if row.complete]
        pool = finished or rows
        return max(pool, key=lambda row: row.metric or -math.inf) if pool else None


def new_sweep(
    definition: SweepDefinition,
    trials: list[Trial],
    start: StartRun,
    parallel: int,
    *,
    owner: str = "",
    on_ray: bool = False,
    early_stop: bool = False,
) -> SweepRun:
    """The sweep for where its runs train: on Ray, driven by Ray Tune (:class:`~agents.sweeps.ray_tune.TuneSweepRun`,
    which imports Ray: Tune draws its own trials, ``trials`` only served to check the definition); else ``trials``
    fed here, in order. ``early_stop`` (ASHA) applies on Ray only."""
    if not on_ray:
        return SweepRun(definition, trials, start, parallel, owner=owner)
    from agents.sweeps.ray_tune import TuneSweepRun

    return TuneSweepRun(definition, start, parallel, owner=owner, early_stop=early_stop)


def run_metric(run: Run) -> float | None:
    """A run's mean true return over its last :data:`SOLVE_WINDOW` episodes (None before its first episode)."""
    snap = run.snapshot()
    value = snap.mean_last(snap.episode_true_returns)
    return value if value is not None and math.isfinite(value) else None


def _trial_status(runs: list[Run | None], stopped: bool) -> str:
    statuses = [run.status if run is not None else None for run in runs]
    if any(s is not None and s.active for s in statuses):
        return "training"
    if any(s is None for s in statuses):
        return "stopped" if stopped else "waiting"
    if all(s == RunStatus.FINISHED for s in statuses):
        return "finished"
    if any(s == RunStatus.FAILED for s in statuses):
        return "failed"
    return "stopped"


MAX_ACTIVE_PER_OWNER = 2
MAX_ACTIVE = 10


class SweepRegistry:
    """The server's sweeps, found by id from any page or tab; the oldest ended ones are forgotten past ``max_kept``."""

    def __init__(self, max_kept: int = 20) -> None:
        self.max_kept = max_kept
        self._sweeps: dict[str, SweepRun] = {}
        self._lock = threading.Lock()
        self._halt_registered = False

    def add(self, sweep: SweepRun, owner: str = "") -> None:
        """Keep ``sweep``; SweepError (nothing kept) when ``owner`` already has :data:`MAX_ACTIVE_PER_OWNER` sweeps
        running, or the server :data:`MAX_ACTIVE` (each running sweep holds a thread and a share of the queue)."""
        with self._lock:
            active = [s for s in self._sweeps.values() if not s.done]
            if owner and sum(1 for s in active if s.is_owner(owner)) >= MAX_ACTIVE_PER_OWNER:
                raise SweepError(
                    f"you already have {MAX_ACTIVE_PER_OWNER} sweeps running: stop one or wait for it to finish"
                )
            if len(active) >= MAX_ACTIVE:
                raise SweepError(f"the server already runs {MAX_ACTIVE} sweeps; try again when one has finished")
            if not self._halt_registered:
                # registered after the run manager's own (the page makes the manager first), so it runs before it:
                # at shutdown no sweep starts a run after the manager has stopped the server's runs
                atexit.register(self.halt)
                self._halt_registered = True
            self._sweeps[sweep.id] = sweep
            ended = [s for s in self._sweeps.values() if s.done]
            for old in sorted(ended, key=lambda s: s.created_at)[: max(0, len(self._sweeps) - self.max_kept)]:
                del self._sweeps[old.id]

    def get(self, sweep_id: object) -> SweepRun | None:
        if not isinstance(sweep_id, str):
            return None
        with self._lock:
            return self._sweeps.get(sweep_id)

    def stop_all(self) -> None:
        """Stop every sweep and its runs (tests)."""
        with self._lock:
            sweeps = list(self._sweeps.values())
        for sweep in sweeps:
            sweep.stop()

    def halt(self) -> None:
        """Stop feeding every sweep, leaving their runs to the manager (server shutdown: they end resumable)."""
        with self._lock:
            sweeps = list(self._sweeps.values())
        for sweep in sweeps:
            sweep.stop(runs=False)


SWEEPS = SweepRegistry()
"""The server's sweeps (a module global, like the run manager)."""
