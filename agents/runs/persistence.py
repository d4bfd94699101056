"""A stored run's folder as its handle uses it: status.json, the point to resume from, the history to redraw.

The run handle (:class:`~agents.runs.run.Run`) holds one :class:`RunPersistence` per stored run; the worker
body writes the training files itself (Monitor CSVs, progress.csv, checkpoints, the latest GIF; see
:mod:`agents.runs.training`), and the handle alone writes ``status.json``, from the events the body reports,
so a worker that crashes still leaves a status a person can read. A full disk is logged, never fatal:
training goes on in memory.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from agents.config.run_config import ConfigError, RunConfig
from agents.runs.live import RunStats
from agents.storage.folder import RunFolder, RunRecord, StorageError, checkpoint_timesteps
from agents.storage.records import fill_stats, read_episodes
from agents.storage.snapshots import SnapshotStore

log = logging.getLogger("agents.runs.run")  # the run's own logger: its messages and log settings stay as they were


class RunPersistence:
    """One stored run's folder, read and written on behalf of its handle."""

    def __init__(self, folder: RunFolder, config: RunConfig) -> None:
        self.folder = folder
        self.config = config
        self._lock = threading.Lock()

    @staticmethod
    def read(folder: RunFolder) -> tuple[RunConfig, RunRecord]:
        """The configuration and status record of a run found on disk; StorageError if unusable."""
        record = folder.read_status()
        try:
            config = RunConfig.from_dict(folder.read_config())
        except (ConfigError, KeyError, TypeError, ValueError) as error:
            raise StorageError(f"config.json of run {folder.run_id} is no longer valid: {error}") from None
        return config, record

    @property
    def checkpoint_path(self) -> Path:
        return self.folder.checkpoint_path(self.config.algo_info.checkpoint_file)

    def resume_point(self, recorded_steps: int | None, recorded_train_s: float) -> tuple[int, float]:
        """(steps, training seconds) of the checkpoint to continue from; (0, 0) when there is none.

        ``recorded_*`` are what status.json says of the last checkpoint; when the checkpoint on disk is newer
        (the process was killed between writing model.zip and status.json), the last episode recorded by
        then tells its training time.
        """
        if not self.checkpoint_path.is_file():
            return 0, 0.0
        steps = checkpoint_timesteps(self.checkpoint_path)
        if steps == recorded_steps:
            return steps, recorded_train_s
        episodes = read_episodes(self.folder.monitor_files(), until_step=steps)
        return steps, episodes[-1].train_s if episodes else 0.0

    def load_stats(
        self,
        stats: RunStats,
        timesteps: int,
        train_s: float,
        evaluation: dict[str, float] | None,
        *,
        until_step: int | None = None,
    ) -> None:
        """Redraw the run's charts from its Monitor CSVs and progress.csv (up to ``until_step`` if given), and list
        its policy snapshots."""
        fill_stats(stats, self.folder, timesteps, train_s, evaluation, until_step=until_step)
        steps = self.snapshot_store().steps()
        stats.set_policy_snapshots(tuple(s for s in steps if until_step is None or s <= until_step))

    def snapshot_store(self) -> SnapshotStore:
        """The run's policy snapshots (:mod:`agents.storage.snapshots`)."""
        return SnapshotStore(self.folder.path, Path(self.config.algo_info.checkpoint_file).suffix)

    def write_status(self, record: RunRecord) -> None:
        """Write status.json; a full disk is logged, not fatal."""
        with self._lock:
            try:
                self.folder.write_status(record)
            except OSError:
                log.warning("could not write the status of run %s", record.run_id, exc_info=True)
