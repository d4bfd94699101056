"""What every executor offers the run handle, and the sentences for a worker that died.

An executor launches the worker body for a :class:`~agents.runs.training.TrainJob` and returns a
:class:`Worker`. It hands the body's events, in order, to ``deliver`` and, once the worker is gone and
every event is delivered, calls ``on_exit`` exactly once: with ``None`` when the body ended by itself,
or with a sentence a person can read when the worker died or was ended from outside (a crash, the
memory cap, silence).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Protocol

from agents.runs.events import Event, WorkerCommand
from agents.runs.training import TrainJob

Deliver = Callable[[list[Event]], None]
OnExit = Callable[[str | None], None]


class Worker(Protocol):
    """A running worker body, as the run handle sees it."""

    where: str
    """Where it trains, in words for the run's page: "in a worker process", "on Ray node 10.0.0.5"."""

    def send(self, command: WorkerCommand) -> None:
        """Pause, resume or stop (a stop is followed by a kill if the worker has not ended after a grace), or a
        person's answer to a pair of clips the worker offered."""
        ...

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the worker is gone and ``on_exit`` has returned; True if it has."""
        ...

    @property
    def alive(self) -> bool: ...


class Executor(Protocol):
    """Runs worker bodies."""

    def launch(self, job: TrainJob, deliver: Deliver, on_exit: OnExit) -> Worker: ...


def describe_exit(exitcode: int | None) -> str | None:
    """What a worker process's exit code means for a person; None for a clean exit.

    A negative code is the signal that ended the process (:attr:`multiprocessing.Process.exitcode`).
    """
    if exitcode is None or exitcode == 0:
        return None
    if exitcode > 0:
        return f"The run's worker process exited with status {exitcode} before the run ended."
    number = -exitcode
    if number == signal.SIGSEGV:
        return (
            "The run crashed: its worker process died of a segmentation fault (SIGSEGV) in native code. "
            "The server and the other runs go on."
        )
    if number == signal.SIGABRT:
        return (
            "The run crashed: its worker process aborted (SIGABRT) in native code (pygame turns a segmentation "
            "fault into one). The server and the other runs go on."
        )
    if number == signal.SIGKILL:
        return (
            "The run's worker process was killed by the operating system (SIGKILL), most likely because "
            "the machine ran out of memory."
        )
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    return f"The run's worker process was ended by {name}."
