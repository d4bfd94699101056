"""The persistence half of a :class:`~agents.runs.run.Run`: restore, resume, checkpoints, status.json, history from disk.

A stored run writes its folder (see :mod:`agents.storage.folder` and :mod:`agents.storage.records`) from its training thread,
and a restarted server reads it back. That bookkeeping is kept here, apart from the thread and its life cycle
in :mod:`agents.runs.run`; :class:`RunPersistence` is mixed into ``Run`` and works on the run's own attributes. A full
disk is logged, never fatal: training goes on in memory.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Self

from agents.config.run_config import ConfigError, RunConfig
from agents.runs.live import RunControl, RunStats
from agents.storage.checkpoint import save_checkpoint
from agents.storage.records import fill_stats, read_episodes
from agents.storage.folder import RunFolder, RunRecord, StorageError, checkpoint_timesteps
from agents.runs.status import RunStatus

DEFAULT_CHECKPOINT_EVERY_S = 30.0
"""Seconds between checkpoints of a stored run (saving a small SB3 model takes milliseconds)."""

log = logging.getLogger("agents.runs.run")  # the run's own logger: its messages and log settings stay as they were


class RunPersistence:
    """Mixed into :class:`~agents.runs.run.Run`: everything a stored run reads from and writes to its folder.

    A run kept in memory only (``folder`` None) passes through every method here without touching the disk.
    """

    # Set by Run.__init__; listed here so a reader sees what this half relies on.
    id: str
    name: str
    config: RunConfig
    status: RunStatus
    end_reason: str
    error: str
    resume_note: str
    created_at: float
    owner_hash: str
    record_episodes: bool
    control: RunControl
    model: Any
    folder: RunFolder | None
    checkpoint_every_s: float
    checkpoint_timesteps: int | None
    checkpoint_save_s: float
    _checkpoint_train_s: float
    _record: RunRecord | None
    _evaluation_meta: dict[str, float] | None
    _resume: bool
    _persist_lock: threading.Lock

    # Provided by Run.
    alive: bool
    stats: RunStats

    def _new_stats(self) -> RunStats:
        raise NotImplementedError

    # --- restore and resume -------------------------------------------------------------------------------

    @classmethod
    def restore(
        cls, folder: RunFolder, *, record_episodes: bool = True, checkpoint_every_s: float = DEFAULT_CHECKPOINT_EVERY_S
    ) -> Self:
        """A run found on disk, as it ended; one whose status says it was training comes back INTERRUPTED.

        Its charts are read from the folder the first time someone looks (:attr:`stats`), so listing
        hundreds of stored runs at start-up stays quick. StorageError if the folder cannot be used.
        """
        record = folder.read_status()
        try:
            config = RunConfig.from_dict(folder.read_config())
        except (ConfigError, KeyError, TypeError, ValueError) as error:
            raise StorageError(f"config.json of run {folder.run_id} is no longer valid: {error}") from None
        run = cls(
            config,
            record_episodes=record_episodes,
            checkpoint_every_s=checkpoint_every_s,
            stored=(folder, record),
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
        record = self._status_record()
        run = type(self)(
            self.config,
            owner=owner,
            record_episodes=self.record_episodes if record_episodes is None else record_episodes,
            checkpoint_every_s=self.checkpoint_every_s,
            stored=(RunFolder(self.folder.path, self.id), record),
            resume=True,
        )
        return run

    # --- checkpoints, status.json and history (a stored run only) ---------------------------------------

    def _checkpoint_path(self) -> Path:
        assert self.folder is not None
        return self.folder.checkpoint_path(self.config.algo_info.checkpoint_file)

    def _resume_point(self) -> tuple[int, float]:
        """(steps, training seconds) of the checkpoint to continue from; (0, 0) when there is none."""
        if self.folder is None or not self._checkpoint_path().is_file():
            return 0, 0.0
        steps = checkpoint_timesteps(self._checkpoint_path())
        if steps == self.checkpoint_timesteps:
            return steps, self._checkpoint_train_s
        # killed between writing model.zip and status.json: the last episode recorded by then tells the time
        episodes = read_episodes(self.folder.monitor_files(), until_step=steps)
        return steps, episodes[-1].train_s if episodes else 0.0

    def _load_stats(self) -> RunStats:
        """Redraw a stored run's charts from its Monitor CSVs and progress.csv (up to its checkpoint if resumable)."""
        stats = self._new_stats()
        if self.folder is None:
            return stats
        if self._resume or self.status == RunStatus.INTERRUPTED:
            until, train_s = self._resume_point()
            fill_stats(stats, self.folder, until, train_s, self._evaluation_meta, until_step=until)
        else:
            record = self._record
            timesteps, train_s = (record.timesteps, record.train_s) if record else (0, 0.0)
            fill_stats(stats, self.folder, timesteps, train_s, self._evaluation_meta)
        if self._record is not None:
            stats.cpu_s = self._record.cpu_s
        return stats

    def _save_checkpoint(self) -> None:
        """Save the checkpoint (model, replay buffer, generators; see :mod:`agents.storage.checkpoint`) and record
        its step count; a full disk is logged, not fatal."""
        if self.folder is None or self.model is None:
            return
        started = time.perf_counter()
        boundary = getattr(self, "_boundary", None)  # on-policy: the generators as they were at the boundary
        try:
            save_checkpoint(
                self.folder, self.config.algo_info, self.model, generators=getattr(boundary, "random_state", None)
            )
        except OSError:
            log.warning("could not write a checkpoint of run %s", self.id, exc_info=True)
            return
        self.checkpoint_timesteps = int(self.model.num_timesteps)
        self._checkpoint_train_s = self.control.elapsed()
        self._persist()
        self.checkpoint_save_s += time.perf_counter() - started

    def _status_record(self) -> RunRecord:
        stats = self.stats
        with stats.lock:
            timesteps, train_s = stats.timesteps, stats.elapsed_s
            solved_at_step, solved_at_s = stats.solved_at_step, stats.solved_at_s
            cpu_s = stats.cpu_s
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
        )

    def _persist(self) -> None:
        """Write status.json (at start, at each checkpoint, at the end); a full disk is logged, not fatal."""
        if self.folder is None:
            return
        with self._persist_lock:
            try:
                self.folder.write_status(self._status_record())
            except OSError:
                log.warning("could not write the status of run %s", self.id, exc_info=True)
