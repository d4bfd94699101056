"""The run handle: a run as the server sees it. Its id, owner, configuration, status and live statistics.

A :class:`Run` holds no model and no training loop. :meth:`Run.launch` hands a
:class:`~agents.runs.training.TrainJob` to an executor (a worker process in the server, a thread in the
headless trainer); the worker's events come back through :meth:`Run.apply`, which reduces them into the
run's :class:`~agents.runs.live.RunStats` and status; pause, resume and stop go down to the worker as
commands. Every status change happens under one lock and an ended run stays ended, so a Pause pressed as a
run finishes cannot leave it "paused" for ever.

A stored run (one with a folder, see :mod:`agents.storage.folder`) writes ``status.json`` from here, at
start, at each checkpoint and at the end, through its :class:`~agents.runs.persistence.RunPersistence`:
a worker that crashes still leaves a readable status. After a restart :meth:`Run.restore` brings a run
back with its charts, and one that was training resumes from its last checkpoint with :meth:`Run.resumed`.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Self

from agents.config.run_config import RunConfig
from agents.config.schema import HyperParamError
from agents.feedback.person import UnknownPair
from agents.runs.events import (
    ChangeSetting,
    Checkpointed,
    Command,
    Ended,
    Evaluated,
    Event,
    LabelsState,
    PairOffered,
    SettingChanged,
    Started,
)
from agents.runs.labelling import PairQueue
from agents.runs.live import EvalSchedule, RunSnapshot, RunStats
from agents.runs.names import fallback_name, handed_over_name
from agents.runs.persistence import RunPersistence
from agents.runs.stats import reduce_event
from agents.runs.status import RunStatus
from agents.runs.training import DEFAULT_CHECKPOINT_EVERY_S, TrainJob, describe_failure, make_training_env
from agents.runs.workers.base import Executor, Worker
from agents.storage.checkpoint import max_replay_buffer_bytes
from agents.storage.cost import Cost
from agents.storage.folder import RunFolder, RunRecord, StorageError, hash_owner
from agents.storage.store import RunStore

__all__ = [
    "DEFAULT_CHECKPOINT_EVERY_S",
    "Run",
    "RunStatus",
    "describe_failure",
    "make_training_env",
    "new_run_id",
]

log = logging.getLogger(__name__)

NO_REPORT = "The run's worker ended without reporting how the run ended."
USER_STOP = "stopped by the user"
"""The end reason of a run its owner stopped; it gets a final evaluation episode, as a finished run does."""


def new_run_id() -> str:
    """Sortable and unguessable: ``20261126-013000-a1b2c3``."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class Run:
    """A training run: queued, then trained by a worker until it finishes, stops or fails."""

    def __init__(
        self,
        config: RunConfig,
        *,
        owner: str = "",
        run_id: str | None = None,
        record_episodes: bool = True,
        store: RunStore | None = None,
        checkpoint_every_s: float = DEFAULT_CHECKPOINT_EVERY_S,
        stored: tuple[RunFolder, RunRecord] | None = None,
        resume: bool = False,
        name: str = "",
    ) -> None:
        """``store``: persist a new run there. ``stored``: a run found on disk (see :meth:`restore`);
        ``resume`` then continues it from its checkpoint when launched."""
        folder, record = stored if stored else (None, None)
        self.id = record.run_id if record else (run_id or new_run_id())
        self.name = (record.name if record else name) or fallback_name(config, self.id)
        """What a person reads: "CartPole · PPO · seed 0 · #3" (:mod:`agents.runs.names`); the id stays the id."""
        self.record_episodes = record_episodes
        """Play and render evaluation episodes (the headless trainer turns this off: nobody watches)."""
        self.config = config
        self.owner = owner
        self.owner_hash = hash_owner(owner) if owner else (record.owner_sha256 if record else "")
        """SHA-256 of the owner's token: all a stored run keeps of it, and enough for :meth:`is_owner`."""
        self.created_at = record.created_at if record else time.time()
        self.status = RunStatus.QUEUED
        self.error = ""
        self.end_reason = ""
        self.start_latency_s: float | None = None
        """Seconds from the worker receiving the run to its first training step."""
        self.resumed_from_step: int | None = None
        """The checkpoint's step count a resumed run continued from."""
        self.resume_note = record.resume_note if record else ""
        """What the resumed run does differently from one never stopped (refilling its replay buffer); "" if nothing."""
        self.checkpoint_every_s = checkpoint_every_s
        self.checkpoint_timesteps: int | None = record.checkpoint_timesteps if record else None
        """Steps of the last checkpoint on disk (None: none yet, or the run is not stored)."""
        self.checkpoint_save_s = 0.0
        """Seconds the worker spent writing checkpoints."""
        self.eval_schedule: EvalSchedule | None = None
        """When evaluation episodes play (None: :class:`~agents.runs.live.EvalSchedule`'s defaults); set it before
        the run is launched."""
        self.on_end: Callable[[Run], None] | None = None
        """Called once when the run has ended and its worker is gone (the manager frees its slot)."""
        self._checkpoint_train_s = record.checkpoint_train_s if record else 0.0
        self._record = record
        self._evaluation_meta: dict[str, float] | None = record.evaluation if record else None
        self._resume = resume
        self._lock = threading.RLock()
        """Guards every status change and the worker."""
        self._stats_lock = threading.Lock()
        self._stats: RunStats | None = None if folder else self._new_stats()
        self._shared_snapshot: tuple[float, RunSnapshot] | None = None
        """The last snapshot taken with a ``max_age_s``, and when (``time.monotonic``)."""
        self._worker: Worker | None = None
        self._stop_requested = False
        self._stop_reason = USER_STOP
        self._ended: Ended | None = None
        self._done = threading.Event()
        self.folder: RunFolder | None = folder
        """Where the run is stored; None for a run kept in memory only."""
        if store is not None and folder is None:
            self.folder = store.create(self.id, config.to_dict(), self._status_record())
        self._persistence = RunPersistence(self.folder, config) if self.folder is not None else None
        self.labelling = PairQueue()
        """The feedback lab's pairs of clips waiting for a person's answer, and the labelling counters."""

    def is_owner(self, token: str) -> bool:
        """Whether ``token`` is the control token of the tab that started (or resumed) this run."""
        return bool(token) and bool(self.owner_hash) and hmac.compare_digest(hash_owner(token), self.owner_hash)

    @property
    def stats(self) -> RunStats:
        """What the run has done; a stored run's history is read from its folder on first use."""
        if self._stats is None:
            with self._stats_lock:
                if self._stats is None:
                    self._stats = self._load_stats()
        return self._stats

    def _new_stats(self) -> RunStats:
        stats = RunStats(self.config.total_timesteps, self.config.env_info.solved_threshold)
        stats.schedule = dict(self.config.schedule)
        return stats

    def snapshot(self, max_age_s: float = 0.0) -> RunSnapshot:
        """What the run has done, as a copy the worker's later events do not change.

        ``max_age_s``: a snapshot taken with a ``max_age_s`` up to that many seconds ago is returned instead of a
        new one. The tabs watching a live run share one snapshot so (:func:`ui.viewers.figure_age_s`): copying a
        long run's episode lists for each of thirty tabs' redraws was CPU taken from training, and the shared figures
        then match the numbers beside them."""
        if max_age_s > 0:
            now = time.monotonic()
            shared = self._shared_snapshot  # one read: another thread may replace it
            if shared is not None and now - shared[0] < max_age_s:
                return shared[1]
            snap = self.stats.snapshot()
            self._shared_snapshot = (now, snap)
            return snap
        return self.stats.snapshot()

    # --- life cycle ---------------------------------------------------------------------------------------

    def claim(self) -> None:
        """Claim a stored run's folder for this process; StorageError if another process is training it."""
        if self.folder is not None:
            self.folder.lock()

    def start(self, executor: Executor | None = None) -> None:
        """Claim the folder and launch now, on ``executor`` (default: a thread of this process)."""
        self.claim()
        if executor is None:
            from agents.runs.workers.inline import InlineExecutor

            executor = InlineExecutor()
        self.launch(executor)

    def launch(self, executor: Executor) -> bool:
        """Hand the run to a worker; False if it was stopped while it waited (then nothing is launched)."""
        with self._lock:
            if self.status != RunStatus.QUEUED:
                return False
            self.status = RunStatus.STARTING
            try:
                job = self._job()
                self._worker = executor.launch(job, self.apply, self._exited)
            except Exception as error:
                log.exception("run %s could not be launched", self.id)
                self._ended = Ended(RunStatus.FAILED, error=f"The run could not be started: {describe_failure(error)}")
                self._worker = None
        if self._worker is None:
            self._exited(None)
            return False
        return True

    def _job(self) -> TrainJob:
        stats = self.stats  # a resumed run reads its history before the worker cuts its files back
        start_step, start_train_s = self._resume_point() if self._resume else (0, 0.0)
        if self._resume:
            self.resumed_from_step = start_step
        return TrainJob(
            run_id=self.id,
            config=self.config,
            folder=self.folder.path if self.folder is not None else None,
            start_step=start_step,
            start_train_s=start_train_s,
            cost_before=self._cost_before(stats) if start_step else None,
            record_episodes=self.record_episodes,
            checkpoint_every_s=self.checkpoint_every_s,
            eval_schedule=self.eval_schedule,
            max_replay_buffer_bytes=max_replay_buffer_bytes(),  # the server's setting, read now
        )

    @staticmethod
    def _cost_before(stats: RunStats) -> Cost | None:
        """What a resumed run had cost (its last stored reading; a run stored before the meter: its CPU seconds)."""
        if stats.cost is not None:
            return stats.cost
        return Cost(cpu_s=stats.cpu_s) if stats.cpu_s is not None else None

    def pause(self) -> None:
        with self._lock:
            if self.status in (RunStatus.RUNNING, RunStatus.STARTING) and self._worker is not None:
                self.status = RunStatus.PAUSED
                self._worker.send(Command.PAUSE)

    def resume(self) -> None:
        with self._lock:
            if self.status == RunStatus.PAUSED and self._worker is not None:
                self.status = RunStatus.RUNNING if self.start_latency_s is not None else RunStatus.STARTING
                self._worker.send(Command.RESUME)

    def stop(self, reason: str = USER_STOP) -> None:
        """Ask the run to end: a queued one ends at once; a training one within one env or optimizer step.

        ``reason`` becomes the stopped run's ``end_reason``, the words its page shows."""
        with self._lock:
            if not self._stop_requested:
                self._stop_reason = reason
            self._stop_requested = True
            if self.status == RunStatus.QUEUED:
                self._ended = Ended(RunStatus.STOPPED, "stopped while queued")
                queued = True
            else:
                queued = False
                if self._worker is not None and self._ended is None:
                    # a user's stop shows the final policy's clip; a server shutting down does not wait for one
                    self._worker.send(Command.STOP if self._stop_reason == USER_STOP else Command.STOP_NOW)
        if queued:
            self._exited(None)

    def answer(self, pair_id: str, answer: str) -> None:
        """A person's answer to a queued pair of clips (the feedback lab); it goes down to the worker.

        Raises:
            UnknownPair: the pair is not queued (answered already, never offered) or the run is not training.
            ValueError: not one of the four answers.
        """
        with self._lock:
            if not self.status.active or self._worker is None:
                raise UnknownPair(f"run {self.id} is {self.status}: it takes no answers")
            self._worker.send(self.labelling.answer(pair_id, answer))

    def oracle_takes_over(self) -> None:
        """The feedback lab: the oracle labels in the person's place from now on (nothing if the run has ended)."""
        with self._lock:
            if self.status.active and self._worker is not None:
                self.labelling.hand_over()
                self._worker.send(Command.ORACLE_TAKES_OVER)
                self.name = handed_over_name(self.name, self.config)
        self._persist()  # the name says who labelled, on every page and after a restart

    def change_setting(self, name: str, raw: object) -> float:
        """Change a setting while the run trains (:mod:`agents.config.schedule`): checked against its bounds here,
        sent to the worker, applied at its next step between updates, then recorded in the run's schedule.

        Returns the value sent. Raises HyperParamError (``field``: the setting) for a value out of bounds, a
        setting this run cannot change, or a run that is not training; then nothing is sent.
        """
        params = {param.name: param for param in self.config.live_params()}
        if name not in params:
            raise HyperParamError(f"{name!r:.40} cannot change while this run trains", name)
        value = float(params[name].parse(raw))
        with self._lock:
            if not self.status.active or self._worker is None or self._ended is not None:
                raise HyperParamError(f"run {self.id} is {self.status}: only a training run's settings change", name)
            self._worker.send(ChangeSetting(name, value))
        return value

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the run has ended and its worker is gone; True if it has."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._done.wait(timeout):
            return False
        worker = self._worker
        if worker is not None:
            return worker.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return True

    @property
    def alive(self) -> bool:
        """It has a worker that has not yet ended (a queued run has none yet)."""
        return self._worker is not None and not self._done.is_set()

    @property
    def worker(self) -> Worker | None:
        return self._worker

    @property
    def where(self) -> str:
        """Where the run trains, in words for its page (see :attr:`Worker.where`); "" before it has a worker."""
        worker = self._worker
        return worker.where if worker is not None else ""

    # --- what the worker reports --------------------------------------------------------------------------

    def apply(self, events: list[Event]) -> None:
        """Reduce the worker's events into the run's statistics and status (the pump thread calls this)."""
        for event in events:
            if isinstance(event, Started):
                with self._lock:
                    self.start_latency_s = event.start_latency_s
                    if event.resumed_from_step is not None:
                        self.resumed_from_step = event.resumed_from_step
                        self.resume_note = event.resume_note
                    if self.status == RunStatus.STARTING:
                        self.status = RunStatus.RUNNING
                self._persist()
            elif isinstance(event, Checkpointed):
                self.checkpoint_timesteps, self._checkpoint_train_s = event.timesteps, event.train_s
                self.checkpoint_save_s += event.save_s
                self._persist()
            elif isinstance(event, Ended):
                self._end(event)
            elif isinstance(event, PairOffered):
                self.labelling.offer(event)
            elif isinstance(event, LabelsState):
                self.labelling.update(event)
            elif isinstance(event, SettingChanged):
                self._record_change(event)
            else:
                if isinstance(event, Evaluated):
                    result = event.result
                    self._evaluation_meta = {
                        "index": result.index,
                        "step": result.step,
                        "episode_return": result.episode_return,
                        "length": result.length,
                    }
                reduce_event(self.stats, event)

    def _record_change(self, change: SettingChanged) -> None:
        """A live change applied: it joins the configuration's schedule (config.json too, so a resumed run and
        the run's link replay it) and the charts' markers."""
        with self._lock:
            self.config = self.config.with_change(change.name, change.step, change.value)
            config = self.config
        reduce_event(self.stats, change)
        if self.folder is not None:
            try:
                self.folder.write_config(config.to_dict())
            except OSError:
                log.warning("could not record a change of setting of run %s", self.id, exc_info=True)

    def _end(self, ended: Ended) -> None:
        with self._lock:
            if self._ended is None:
                if ended.status == RunStatus.STOPPED and ended.end_reason == USER_STOP:
                    ended = Ended(RunStatus.STOPPED, self._stop_reason)  # e.g. "the server stopped"
                self._ended = ended
            if self.status.active:
                self.status = self._ended.status
                self.end_reason, self.error = self._ended.end_reason, self._ended.error
        self.labelling.close()

    def _exited(self, death: str | None) -> None:
        """The worker is gone (or never came): settle the final status, write it, free the folder and the slot."""
        with self._lock:
            if self._done.is_set():
                return
            if self._ended is None:
                if self._stop_requested:
                    self._ended = Ended(RunStatus.STOPPED, self._stop_reason)
                else:
                    self._ended = Ended(RunStatus.FAILED, error=death or NO_REPORT)
            self._end(self._ended)
        self._persist()
        if self.folder is not None:
            self.folder.unlock()
        self._done.set()
        if self.on_end is not None:
            self.on_end(self)

    # --- restore and resume -------------------------------------------------------------------------------

    @classmethod
    def restore(
        cls, folder: RunFolder, *, record_episodes: bool = True, checkpoint_every_s: float = DEFAULT_CHECKPOINT_EVERY_S
    ) -> Self:
        """A run found on disk, as it ended; one whose status says it was training comes back INTERRUPTED.

        Its charts are read from the folder the first time someone looks (:attr:`stats`), so listing
        hundreds of stored runs at start-up stays quick. StorageError if the folder cannot be used.
        """
        config, record = RunPersistence.read(folder)
        run = cls(
            config, record_episodes=record_episodes, checkpoint_every_s=checkpoint_every_s, stored=(folder, record)
        )
        run.end_reason, run.error, run.resume_note = record.end_reason, record.error, record.resume_note
        if record.status in {s.value for s in RunStatus} and not RunStatus(record.status).active:
            run.status = RunStatus(record.status)
        else:
            if folder.in_use_elsewhere():
                raise StorageError(f"run {folder.run_id} is being trained by another process")
            run.status, run.end_reason = RunStatus.INTERRUPTED, "the server stopped while it was training"
            if record.status != RunStatus.INTERRUPTED:
                record.status, record.end_reason = RunStatus.INTERRUPTED.value, run.end_reason
                try:
                    folder.write_status(record)
                except OSError:  # a read-only runs folder still lists its runs
                    log.warning("could not mark run %s as interrupted", folder.run_id, exc_info=True)
        run._done.set()
        return run

    @property
    def resumable(self) -> bool:
        """An interrupted or stopped stored run with steps left in its budget."""
        return (
            self.folder is not None
            and self.status in (RunStatus.INTERRUPTED, RunStatus.STOPPED)
            and not self.alive
            and (self.checkpoint_timesteps or 0) < self.config.total_timesteps
        )

    def resumed(self, owner: str = "", *, record_episodes: bool | None = None) -> Self:
        """A new, not yet started Run with this id that continues from the last checkpoint to the budget."""
        if not self.resumable or self.folder is None:
            raise StorageError(f"run {self.id} is {self.status}; only an interrupted or stopped run can be resumed")
        return type(self)(
            self.config,
            owner=owner,
            record_episodes=self.record_episodes if record_episodes is None else record_episodes,
            checkpoint_every_s=self.checkpoint_every_s,
            stored=(RunFolder(self.folder.path, self.id), self._status_record()),
            resume=True,
        )

    # --- status.json and history (a stored run only) ------------------------------------------------------

    def _resume_point(self) -> tuple[int, float]:
        if self._persistence is None:
            return 0, 0.0
        return self._persistence.resume_point(self.checkpoint_timesteps, self._checkpoint_train_s)

    def _load_stats(self) -> RunStats:
        """Redraw a stored run's charts from its folder (up to its checkpoint if it is to resume)."""
        stats = self._new_stats()
        if self._persistence is None:
            return stats
        if self._resume or self.status == RunStatus.INTERRUPTED:
            until, train_s = self._resume_point()
            self._persistence.load_stats(stats, until, train_s, self._evaluation_meta, until_step=until)
        else:
            record = self._record
            timesteps, train_s = (record.timesteps, record.train_s) if record else (0, 0.0)
            self._persistence.load_stats(stats, timesteps, train_s, self._evaluation_meta)
        if self._record is not None:
            stats.cpu_s = self._record.cpu_s
            if self._record.cost is not None:
                stats.cost = Cost.from_json(self._record.cost)
        return stats

    def _status_record(self) -> RunRecord:
        stats = self.stats
        with stats.lock:
            timesteps, train_s = stats.timesteps, stats.elapsed_s
            solved_at_step, solved_at_s = stats.solved_at_step, stats.solved_at_s
            cpu_s, cost = stats.cpu_s, stats.cost
        return RunRecord(
            run_id=self.id,
            name=self.name,
            status=str(self.status),
            created_at=self.created_at,
            total_timesteps=self.config.total_timesteps,
            end_reason=self.end_reason,
            error=self.error,
            resume_note=self.resume_note,
            timesteps=timesteps,
            train_s=train_s,
            solved_at_step=solved_at_step,
            solved_at_s=solved_at_s,
            owner_sha256=self.owner_hash,
            checkpoint_timesteps=self.checkpoint_timesteps,
            checkpoint_train_s=self._checkpoint_train_s,
            evaluation=self._evaluation_meta,
            cpu_s=cpu_s,
            cost=None if cost is None else cost.to_json(),
        )

    def _persist(self) -> None:
        """Write status.json (at start, at each checkpoint, at the end)."""
        if self._persistence is not None:
            self._persistence.write_status(self._status_record())
