"""A run's storage side, the base of :class:`agents.runs.run.Run`: ``status.json`` written from the run's state,
its charts read back from its folder, and a run found on disk restored, or resumed from its last checkpoint.

Split from :mod:`agents.runs.run` along that seam; the attributes below are the run's own, set by ``Run.__init__``.
"""

from __future__ import annotations

import logging
import threading
from typing import Self

from agents.config.run_config import RunConfig
from agents.runs.live import RunStats
from agents.runs.persistence import RunPersistence
from agents.runs.status import RunStatus
from agents.runs.training import DEFAULT_CHECKPOINT_EVERY_S
from agents.storage.cost import Cost
from agents.storage.folder import RunFolder, RunRecord, StorageError

log = logging.getLogger(__name__)


class StoredRun:
    """What :class:`~agents.runs.run.Run` does with its folder (a run kept in memory only has none)."""

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
    checkpoint_every_s: float
    checkpoint_timesteps: int | None
    folder: RunFolder | None
    _checkpoint_train_s: float
    _evaluation_meta: dict[str, float] | None
    _record: RunRecord | None
    _resume: bool
    _persistence: RunPersistence | None
    _done: threading.Event

    @property
    def stats(self) -> RunStats:
        raise NotImplementedError

    @property
    def alive(self) -> bool:
        raise NotImplementedError

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
