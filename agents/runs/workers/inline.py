"""The inline executor: the worker body in a thread of the calling process (the headless trainer).

Events go straight to the run handle's reducer, in the training thread; commands set the body's
:class:`~agents.runs.control.RunControl` directly. Nothing is isolated: a crash of the body's native code
ends the calling process, which for a command-line trainer is what its user expects. Nor are the random
streams: Stable-Baselines3 draws from process-wide generators (``np.random`` for replay sampling and
ε-greedy, torch's default generator for sampling actions), so two bodies training at once in one process
change each other's runs. One at a time, a run here learns exactly what it learns in a worker process.
"""

from __future__ import annotations

import threading

from agents.runs.control import RunControl
from agents.runs.events import CallbackSink, WorkerCommand
from agents.runs.training import TrainJob, train
from agents.runs.workers.base import Deliver, OnExit

THREAD_PREFIX = "run-"
"""Inline workers are threads named ``run-<run id>`` (the test suite's leak guard looks for them)."""


class InlineWorker:
    """One body running in a daemon thread."""

    def __init__(self, job: TrainJob, deliver: Deliver, on_exit: OnExit) -> None:
        self.control = RunControl()
        self.where = "in a thread of this process"
        self._sink = CallbackSink(deliver)
        self._on_exit = on_exit
        self._job = job
        self._thread = threading.Thread(target=self._main, name=f"{THREAD_PREFIX}{job.run_id}", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            train(self._job, self.control, self._sink)
        finally:
            self._on_exit(None)

    def send(self, command: WorkerCommand) -> None:
        self.control.obey(command)

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


class InlineExecutor:
    """Runs each body in a thread of this process."""

    def launch(self, job: TrainJob, deliver: Deliver, on_exit: OnExit) -> InlineWorker:
        return InlineWorker(job, deliver, on_exit)
