"""The child's side of a worker process: the pipe sink, the watched control, the command thread and the heartbeat.

:func:`worker_main` is what the forkserver runs in a new worker (:class:`~agents.runs.workers.process.ProcessWorker`
starts it): it asks to die with its parent, serves commands from the server's pipe in a thread, sends a heartbeat
every second, and runs the worker body (:func:`agents.runs.training.train`) with a :class:`PipeSink`.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any, Protocol

from agents.feedback.person import PairAnswer
from agents.runs.control import RunControl
from agents.runs.events import ChangeSetting, Command, Episode, Event, Heartbeat, Metrics, Progress
from agents.runs.training import TrainJob, train
from agents.storage.cost import Cost

log = logging.getLogger(__name__)

STOP_GRACE_S = 3.0
"""Seconds a worker has after Stop before it is killed. It stops within one env or optimizer step, saves its
checkpoint, then plays the final policy's clip (which a kill would only cut short)."""
HEARTBEAT_S = 1.0
SEND_EVERY_S = 0.05
_PR_SET_PDEATHSIG = 1


class Sender(Protocol):
    """Where a :class:`PipeSink` sends its batches: a pipe's end, or the Ray actor's outbox."""

    def send(self, obj: Any, /) -> None: ...


class PipeSink:
    """The body's sink in a worker process: batches events and sends them over the pipe (or any :class:`Sender`).

    Episodes, progress and logged values are held for at most :data:`SEND_EVERY_S`; any other event (a
    clip, a checkpoint, the end) is sent at once with whatever was held. Thread-safe: the heartbeat
    thread sends too. Once the server is gone, sending does nothing.
    """

    _BATCHED = (Episode, Progress, Metrics, Cost)

    def __init__(self, conn: Sender, every_s: float = SEND_EVERY_S) -> None:
        self._conn = conn
        self._every_s = every_s
        self._lock = threading.Lock()
        self._held: list[Event] = []
        self._sent_at = 0.0
        self.broken = False

    def emit(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, Progress | Cost) and self._held and type(self._held[-1]) is type(event):
                self._held[-1] = event  # only the latest progress (or cost) matters
            else:
                self._held.append(event)
            if not isinstance(event, self._BATCHED) or time.monotonic() - self._sent_at >= self._every_s:
                self._send()

    def flush(self) -> None:
        with self._lock:
            self._send()

    def _send(self) -> None:
        held, self._held = self._held, []
        self._sent_at = time.monotonic()
        if held and not self.broken:
            try:
                self._conn.send(held)
            except (OSError, ValueError):  # the server is gone; the command thread ends this process
                self.broken = True


class WatchedControl(RunControl):
    """A :class:`~agents.runs.control.RunControl` that notes when the training loop last moved, and sends
    what the sink holds before it blocks for a pause (so the server sees the step the run paused at)."""

    def __init__(self, sink: PipeSink) -> None:
        super().__init__()
        self.sink = sink
        self.last_active = time.monotonic()

    def checkpoint(self) -> None:
        self.last_active = time.monotonic()
        if self.paused:
            self.sink.flush()
        super().checkpoint()

    def idle_s(self) -> float:
        """Seconds since the loop last passed a step or an optimizer step; 0 while paused or waiting for labels."""
        if self.paused or self.waiting_for_labels:
            return 0.0
        return time.monotonic() - self.last_active

    @contextlib.contextmanager
    def labels_awaited(self) -> Iterator[None]:
        """As the base class; the wait's end counts as activity (the loop was waiting, not hanging)."""
        self.sink.flush()
        try:
            with super().labels_awaited():
                yield
        finally:
            self.last_active = time.monotonic()


def worker_main(job: TrainJob, conn: Connection) -> None:
    """Entry point of a worker process: serve commands, beat, train, report; then exit."""
    _die_with_parent()
    # Evaluation renders off-screen; without a display SDL would probe for one and print an error per worker.
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    sink = PipeSink(conn)
    control = WatchedControl(sink)
    threading.Thread(target=_serve_commands, args=(conn, control), name="commands", daemon=True).start()
    threading.Thread(target=beat, args=(sink, control), name="heartbeat", daemon=True).start()
    train(replace(job, own_process=True), control, sink)  # its CPU seconds are this whole process's


def _die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent (the forkserver, which ends with the server) dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        log.debug("PR_SET_PDEATHSIG is not available", exc_info=True)
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def _serve_commands(conn: Connection, control: RunControl) -> None:
    """Apply commands from the server; when the pipe closes (the server died), stop and exit soon after."""
    while True:
        try:
            command = conn.recv()
        except (EOFError, OSError):
            break
        apply_command(control, command)
    control.stop()
    time.sleep(STOP_GRACE_S)  # time to save a checkpoint, no more: nobody is listening
    os._exit(1)


def apply_command(control: RunControl, command: Any) -> None:
    """Apply one command from the server to the body's control; an unknown command, a malformed answer or change
    of setting is refused (logged), since it crossed a process boundary."""
    if isinstance(command, PairAnswer):
        try:
            command.validate()  # unpickling skipped __post_init__: check again before it reaches training
        except ValueError as error:
            log.warning("a malformed answer was refused: %s", error)
            return
    elif isinstance(command, ChangeSetting):  # its bounds are checked where it applies (ApplySchedule)
        value = command.value
        if not (isinstance(command.name, str) and isinstance(value, float) and math.isfinite(value)):
            log.warning("a malformed change of setting was refused")
            return
    elif not isinstance(command, Command):
        log.warning("an unknown command was refused: %r", type(command).__name__)
        return
    control.obey(command)


def beat(sink: PipeSink, control: WatchedControl) -> None:
    """Emit a :class:`~agents.runs.events.Heartbeat` every :data:`HEARTBEAT_S` until the sink breaks."""
    while not sink.broken:
        time.sleep(HEARTBEAT_S)
        sink.emit(Heartbeat(control.idle_s()))
