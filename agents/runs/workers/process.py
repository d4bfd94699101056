"""The process executor: every run trains in a child process of its own, watched by a pump thread in the server
(this file; the child's side is :mod:`agents.runs.workers.child`).

Why: threads of one interpreter share the GIL (two runs made 1.19x the steps/s of one), and a run that
segfaults or exhausts memory would take the server and every other run with it.

* **Start fast.** Workers fork from a ``multiprocessing`` forkserver that imported torch, stable-baselines3,
  gymnasium and the playground, and built one tiny model, once (:func:`warm`); a run's first step then
  comes within a second of Start instead of after seconds of imports.
* **Events up, commands down.** The body reports through a :class:`PipeSink` that sends batches (at most
  every 50 ms, at once for status events) over a pipe; a pump thread per run in the server hands them to
  the run handle. Pause, resume and stop, and a person's answers to pairs of clips, go down the same pipe to
  a command thread in the worker, which checks each (an unknown command or a malformed answer is refused).
* **Isolation.** The pump also watches the process: a crash (SIGSEGV, SIGABRT, the OOM killer's SIGKILL),
  resident memory above the per-run cap, or silence past ``hang_s`` ends the run as failed with a sentence
  (:func:`~agents.runs.workers.base.describe_exit`); a stop is followed by a kill after ``stop_grace_s``.
* **No orphans.** A worker dies with the server: its parent (the forkserver) exits when the server does, and
  the worker asked the kernel to SIGKILL it then (``PR_SET_PDEATHSIG``); its command thread also ends it on
  EOF of the pipe.

Settings (environment): ``RUNS_MEMORY_CAP_MB`` (default 2048) and ``RUNS_HANG_S`` (default 60).
"""

from __future__ import annotations

import contextlib
import io
import logging
import multiprocessing
import os
import threading
import time
import weakref
from dataclasses import replace
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import wait
from multiprocessing.context import ForkServerProcess, set_spawning_popen
from typing import Any

from agents.runs.events import Command, Heartbeat, WorkerCommand
from agents.runs.training import TrainJob
from agents.runs.workers.base import Deliver, OnExit, describe_exit
from agents.runs.workers.child import STOP_GRACE_S, worker_main

log = logging.getLogger(__name__)

DEFAULT_MEMORY_CAP_MB = 2048
"""Resident memory a run's worker may use (a CartPole PPO worker uses ~300 MB, most of it shared)."""
DEFAULT_HANG_S = 60.0
"""Seconds without a training step (while not paused), or without any message, after which a worker is ended."""
PRELOAD = ("agents.runs.workers.preload",)
"""What the forkserver imports once: torch, stable-baselines3, gymnasium, the playground, one tiny model."""


def limits_from_env() -> tuple[int, float]:
    """``RUNS_MEMORY_CAP_MB`` and ``RUNS_HANG_S`` (the server's per-run memory cap and silence limit)."""
    return (
        _positive_env("RUNS_MEMORY_CAP_MB", DEFAULT_MEMORY_CAP_MB, int),
        _positive_env("RUNS_HANG_S", DEFAULT_HANG_S, float),
    )


def _positive_env(name: str, default: Any, kind: type) -> Any:
    try:
        value = kind(os.environ.get(name, default))
    except ValueError:
        log.warning("%s is not a number; using %s", name, default)
        return default
    return value if value > 0 else default


# --- the server side ----------------------------------------------------------------------------------------

_workers: weakref.WeakSet[ProcessWorker] = weakref.WeakSet()


def live_worker_pids() -> list[int]:
    """Process ids of this server's workers that are still running (the test suite's leak guard reads it)."""
    return [w.pid for w in list(_workers) if w.pid is not None and w.process_alive]


_MAIN_KEYS = ("init_main_from_name", "init_main_from_path")


class _WorkerPopen(popen_forkserver.Popen):
    """The stdlib's forkserver launch, minus the main-module fix-up.

    A worker needs the job only. The stdlib would make each child re-run the caller's main script (for
    ``streamlit run`` that imports Streamlit's CLI: time on every Start; for a script without a
    ``__main__`` guard, the script itself).
    """

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        for key in _MAIN_KEYS:
            prep_data.pop(key, None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)  # the child watches this end to learn that its parent is gone
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _WorkerProcess(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> _WorkerPopen:
        return _WorkerPopen(process_obj)


def warm() -> None:
    """Start the forkserver and wait until it has imported torch, SB3 and gymnasium (seconds; once per server).

    Call it when the server starts (in a background thread), so the first Start does not wait for it.
    """
    multiprocessing.set_forkserver_preload(list(PRELOAD))
    probe = _WorkerProcess(target=_nothing, name="warm-up")
    probe.start()  # the forkserver answers once its preload is done
    probe.join()


def _nothing() -> None:
    """A worker that does nothing (the warm-up's probe)."""


class ProcessWorker:
    """One worker process and the pump thread that relays its events and watches it."""

    def __init__(
        self,
        job: TrainJob,
        deliver: Deliver,
        on_exit: OnExit,
        *,
        memory_cap_mb: int,
        hang_s: float,
        stop_grace_s: float,
    ) -> None:
        self.run_id = job.run_id
        self.where = "in a worker process"
        self._deliver, self._on_exit = deliver, on_exit
        self._memory_cap = memory_cap_mb * 1024 * 1024
        self._memory_cap_mb = memory_cap_mb
        self._hang_s, self._stop_grace_s = hang_s, stop_grace_s
        self._stop_at: float | None = None
        self._paused = False
        self._send_lock = threading.Lock()
        multiprocessing.set_forkserver_preload(list(PRELOAD))
        self._conn, child_conn = multiprocessing.Pipe(duplex=True)
        self._process = _WorkerProcess(target=worker_main, args=(job, child_conn), name=f"run-{job.run_id}")
        self._process.daemon = True
        self._process.start()
        child_conn.close()  # only the worker holds its end: the worker sees EOF when the server dies
        self.pid = self._process.pid
        _workers.add(self)
        self._pump = threading.Thread(target=self._pump_loop, name=f"pump-{job.run_id}", daemon=True)
        self._pump.start()

    def send(self, command: WorkerCommand) -> None:
        if command in (Command.STOP, Command.STOP_NOW) and self._stop_at is None:
            self._stop_at = time.monotonic()
        elif command in (Command.PAUSE, Command.RESUME):
            self._paused = command == Command.PAUSE
        with self._send_lock, contextlib.suppress(OSError, ValueError):  # a worker gone: the pump reports how
            self._conn.send(command)

    def join(self, timeout: float | None = None) -> bool:
        self._pump.join(timeout)
        return not self._pump.is_alive()

    @property
    def alive(self) -> bool:
        return self._pump.is_alive()

    @property
    def process_alive(self) -> bool:
        return self._process.is_alive()

    def rss_bytes(self) -> int | None:
        """Resident memory of the worker process (Linux /proc), None when it cannot be read."""
        try:
            with open(f"/proc/{self.pid}/statm") as handle:
                return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return None

    # --- the pump thread --------------------------------------------------------------------------------

    def _pump_loop(self) -> None:
        reason: str | None = None
        try:
            reason = self._relay()
        except Exception:  # never leave a run without its ending
            log.exception("the pump of run %s failed", self.run_id)
            self._process.kill()
            reason = "The server lost track of the run's worker process."
        finally:
            self._process.join()
            self._conn.close()
            self._on_exit(reason or describe_exit(self._process.exitcode))

    def _relay(self) -> str | None:
        """Deliver events until the worker exits; the sentence for ending it from here, if it was."""
        reason: str | None = None
        conn_open = True
        heard_at = time.monotonic()
        while True:
            waiting: list[Any] = [self._process.sentinel]
            if conn_open:
                waiting.append(self._conn)
            ready = wait(waiting, timeout=0.25)
            if self._conn in ready:
                conn_open = self._receive()
                heard_at = time.monotonic()
                continue  # drain messages before anything else
            if self._process.sentinel in ready:
                while conn_open and self._conn.poll():
                    conn_open = self._receive()
                return reason
            if reason is None:
                reason = self._watch(heard_at)
                if reason is not None:
                    self._process.kill()

    def _receive(self) -> bool:
        try:
            batch = self._conn.recv()
        except (EOFError, OSError):
            return False
        events = []
        for event in batch:
            if isinstance(event, Heartbeat):
                self._idle_s = event.idle_s
            else:
                events.append(event)
        if events:
            self._deliver(events)
        return True

    _idle_s = 0.0

    def _watch(self, heard_at: float) -> str | None:
        """Why the worker must be ended now, or None."""
        now = time.monotonic()
        if self._stop_at is not None:
            if now - self._stop_at > self._stop_grace_s:
                return f"it did not end within {self._stop_grace_s:g} s of Stop and was killed"
            return None
        rss = self.rss_bytes()
        if rss is not None and rss > self._memory_cap:
            return (
                f"The run used {rss / 2**20:,.0f} MB of memory, more than the server's per-run cap of "
                f"{self._memory_cap_mb:,} MB (RUNS_MEMORY_CAP_MB), and was ended. "
                "Try a smaller buffer_size, batch_size or network."
            )
        silent = now - heard_at
        if silent > self._hang_s or (not self._paused and self._idle_s > self._hang_s):
            return f"The run stopped answering (no training step for {self._hang_s:g} s) and was ended."
        return None


class ProcessExecutor:
    """Runs each body in a worker process forked from the warm forkserver."""

    def __init__(
        self,
        *,
        memory_cap_mb: int | None = None,
        hang_s: float | None = None,
        stop_grace_s: float = STOP_GRACE_S,
        imports: tuple[str, ...] = (),
    ) -> None:
        """Limits default to the server settings (:func:`limits_from_env`). ``imports``: modules every worker
        imports before training (e.g. one that registers extra environments)."""
        env_cap, env_hang = limits_from_env()
        self.memory_cap_mb = memory_cap_mb or env_cap
        self.hang_s = hang_s or env_hang
        self.stop_grace_s = stop_grace_s
        self.imports = imports

    def launch(self, job: TrainJob, deliver: Deliver, on_exit: OnExit) -> ProcessWorker:
        return ProcessWorker(
            replace(job, imports=job.imports + self.imports),
            deliver,
            on_exit,
            memory_cap_mb=self.memory_cap_mb,
            hang_s=self.hang_s,
            stop_grace_s=self.stop_grace_s,
        )
