"""Executors: where a run's worker body (:func:`agents.runs.training.train`) runs.

* :mod:`~agents.runs.workers.inline`: in a thread of the calling process (the headless trainer);
* :mod:`~agents.runs.workers.process`: in a child process of its own (the server), forked from a warm
  forkserver, watched for crashes, memory and silence;
* :mod:`~agents.runs.workers.ray`: in a Ray actor of its own, on any node of a cluster, its run folder written
  through to the server (:func:`server_executor` picks it when ``RAY_ADDRESS`` is set).

All deliver the body's events to the run handle in order, then call its ``on_exit`` exactly once.
"""

from __future__ import annotations

import os

from agents.runs.workers.base import Executor


def server_on_ray() -> bool:
    """Whether the server's runs (and sweeps) go to Ray: ``RAY_ADDRESS`` is set."""
    return bool(os.environ.get("RAY_ADDRESS"))


def server_executor() -> Executor:
    """The server's executor: a Ray actor per run when ``RAY_ADDRESS`` is set, else a worker process per run.

    Ray is imported (and the cluster joined) only in the first case.
    """
    if server_on_ray():
        from agents.runs.workers.ray import RayExecutor

        return RayExecutor()
    from agents.runs.workers.process import ProcessExecutor

    return ProcessExecutor()
