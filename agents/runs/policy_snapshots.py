"""The worker's side of policy snapshots: one after each evaluation episode, written to the run's folder and
announced with a :class:`~agents.runs.events.PolicySnapshotsKept` event (the bound and the thinning:
:mod:`agents.storage.snapshots`)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from agents.algos.registry import AlgoInfo
from agents.runs.events import EventSink, PolicySnapshotsKept
from agents.storage.snapshots import SnapshotStore

log = logging.getLogger(__name__)


class PolicySnapshots:
    """Keeps a snapshot of the model as it is now (called right after an evaluation episode, so the clip's weights)."""

    def __init__(self, run_path: Path, algo: AlgoInfo, sink: EventSink, start_step: int = 0) -> None:
        """``start_step``: a resumed run's checkpoint step; snapshots after it are deleted (those steps train again)."""
        self.algo = algo
        self.sink = sink
        self.store = SnapshotStore(run_path, Path(algo.checkpoint_file).suffix)
        self.store.cut_back(start_step)
        self.last_step: int | None = None

    def take(self, model: Any) -> None:
        """Write the snapshot of the model's current step (once per step) and report the steps kept; a full disk is
        logged, not fatal."""
        step = int(model.num_timesteps)
        if step == self.last_step:
            return
        started = time.thread_time()
        try:
            steps = self.store.add(step, lambda path: self.algo.save(model, path))
        except OSError:
            log.warning("could not write a policy snapshot at step %d", step, exc_info=True)
            return
        self.last_step = step
        self.sink.emit(PolicySnapshotsKept(tuple(steps), time.thread_time() - started))
