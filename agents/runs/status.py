"""The statuses a run goes through, from the queue to its end; shared by the run's thread and its stored record.

Kept on its own so the life cycle (:mod:`agents.runs.run`) and the persistence (:mod:`agents.runs.persistence`) both use
the one enum without importing each other.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    """Found on disk after a restart with an active status: the server died while it trained."""

    @property
    def active(self) -> bool:
        return self in (RunStatus.QUEUED, RunStatus.STARTING, RunStatus.RUNNING, RunStatus.PAUSED)
