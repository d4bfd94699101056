"""The Ray executor: every run trains in a Ray actor of its own, on whichever node of the cluster has a free CPU.

Imported only when runs go to Ray (``RAY_ADDRESS`` set for the server, ``--executor ray`` for the CLI):
without it nothing of Ray is imported or started.

* **One worker body.** The actor (:class:`RunActor`) runs :func:`~agents.runs.training.train` with the same sink
  and control as a worker process (:mod:`agents.runs.workers.child`): events are batched by a
  :class:`~agents.runs.workers.child.PipeSink` into the actor's outbox, and a pump thread in the server
  (:class:`RayWorker`) fetches them with an actor call and hands them to the run handle; pause, resume,
  stop and a person's answers go down as actor calls, checked as in a worker process.
* **The run folder is written through.** The actor shares no disk with the server: it trains into a scratch copy
  of the run's folder, and what the body writes there (checkpoints, Monitor CSVs, ``progress.csv``, the
  evaluation GIF, the reward model) travels back as :class:`~agents.runs.workers.folder_sync.FileWrite` messages
  ahead of the events that refer to them; the server writes them into its ``RUNS_DIR``.
* **A dead worker ends the run, not the server.** An actor killed (``ray.kill``, its process, its node) ends its run
  as failed with a sentence; a stop is followed by ``ray.kill`` after the grace; silence past ``hang_s`` too.

Connecting: ``RAY_ADDRESS`` names the cluster (``ray start --head`` prints it); the playground's packages
travel with each job (``runtime_env`` ``py_modules``), so the cluster's nodes need its requirements only.
Without ``RAY_ADDRESS`` (``--executor ray`` on a laptop) a local cluster is started.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError

import agents
import envs
from agents.runs.events import Command, Episode, Event, Heartbeat, Metrics, Progress, WorkerCommand
from agents.runs.training import TrainJob, describe_failure, train
from agents.runs.warmup import prepare_worker
from agents.runs.workers.base import Deliver, OnExit
from agents.runs.workers.child import STOP_GRACE_S, PipeSink, WatchedControl, apply_command, beat
from agents.runs.workers.folder_sync import FileWrite, FolderWatch, apply_writes, folder_files, seed
from agents.runs.workers.process import limits_from_env
from agents.storage.cost import Cost

log = logging.getLogger(__name__)

POLL_S = 0.25
"""Seconds an actor's ``poll`` waits for events before it answers with none."""
SYNC_EVERY_S = 1.0
"""Seconds between write-throughs of the run folder while only episodes and progress are reported."""
IDLE_S = 60.0
"""Seconds a warm actor waits for the next run before it is ended (an idle actor holds a CPU of the cluster)."""
MAX_RUNS_PER_ACTOR = 20
"""Runs one actor trains before it is ended rather than reused."""
_ROUTINE = (Episode, Progress, Metrics, Cost, Heartbeat)


def connect() -> None:
    """Join the cluster at ``RAY_ADDRESS`` (with the playground's code for its workers), or start a local one."""
    if ray.is_initialized():
        return
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if os.environ.get("RAY_ADDRESS"):
        options["runtime_env"] = {"py_modules": [agents, envs]}
    ray.init(**options)


class _Outbox:
    """What the actor's sink sends batches through: a queue the server polls, with the folder's changes first."""

    def __init__(self, watch: FolderWatch | None) -> None:
        self.queue: queue.Queue[list[Any]] = queue.Queue()
        self._watch = watch
        self._synced_at = time.monotonic()
        self._lock = threading.Lock()

    def send(self, batch: list[Event], *, sync: bool = False) -> None:
        """Queue a batch; the folder's changes go first when ``sync``, when a batch holds more than routine events, or
        every :data:`SYNC_EVERY_S`."""
        with self._lock:  # batches, and the folder's changes, in order
            self._send(batch, sync)

    def _send(self, batch: list[Event], sync: bool) -> None:
        if self._watch is not None and (
            sync
            or time.monotonic() - self._synced_at >= SYNC_EVERY_S
            or not all(isinstance(e, _ROUTINE) for e in batch)
        ):
            self._synced_at = time.monotonic()
            self.queue.put([*self._watch.changes(), *batch])  # a checkpoint's files before its Checkpointed
        else:
            self.queue.put(batch)


class _Current:
    """One run on an actor: its scratch folder, outbox, sink and control."""

    def __init__(self, job: TrainJob, files: dict[str, bytes], launch: str) -> None:
        self.launch = launch
        self.scratch: Path | None = None
        watch = None
        if job.folder is not None:
            self.scratch = Path(tempfile.mkdtemp(prefix="rl-playground-"))
            folder = self.scratch / job.run_id
            folder.mkdir()
            seed(folder, files)
            watch = FolderWatch(folder)
            watch.mark()
            job = replace(job, folder=folder)
        self.job = replace(job, own_process=True)  # the actor's process trains this run only
        self.outbox = _Outbox(watch)
        self.sink = PipeSink(self.outbox)
        self.control = WatchedControl(self.sink)
        self.done = False


class RunActor:
    """A worker process on a Ray node: made warm (libraries imported, one tiny model trained, as the forkserver is),
    it trains one run at a time through the worker body (threaded: ``train`` blocks while ``poll`` and ``send``
    are served). One run after another in one process learn what they would in fresh ones (every run seeds the
    generators it draws from, as the inline executor's runs do).
    """

    def __init__(self) -> None:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # evaluation renders off-screen
        prepare_worker()
        self.node = ray.util.get_node_ip_address()
        self._lock = threading.Lock()
        self._run: _Current | None = None
        self._early: dict[str, list[WorkerCommand]] = {}
        """Commands for a run whose ``train`` call has not begun yet (calls to a threaded actor may overtake)."""

    def address(self) -> str:
        return self.node

    def train(self, job: TrainJob, files: dict[str, bytes], launch: str) -> None:
        """Train ``job`` to its end. ``files``: the run folder's contents the body needs
        (:func:`~agents.runs.workers.folder_sync.folder_files`), e.g. a resumed run's checkpoint; ``launch``: this
        launch's id (a resumed run keeps its run id), which ``poll`` and ``send`` name."""
        run = _Current(job, files, launch)
        with self._lock:
            self._run = run
            early = self._early.pop(launch, [])
        for command in early:
            apply_command(run.control, command)
        beating = threading.Thread(target=beat, args=(run.sink, run.control), name="heartbeat", daemon=True)
        beating.start()
        try:
            train(run.job, run.control, run.sink)
        finally:
            run.sink.flush()
            run.outbox.send([], sync=True)  # the last write-through: anything written after the Ended batch
            run.sink.broken = True  # ends the heartbeat
            run.done = True
            if run.scratch is not None:
                shutil.rmtree(run.scratch, ignore_errors=True)

    def poll(self, launch: str, timeout_s: float) -> tuple[str, list[Any], bool]:
        """(this node's address, what the launch sent since the last poll, whether it has ended and all is sent)."""
        run = self._run
        if run is None or run.launch != launch:  # its train call has not begun
            time.sleep(min(timeout_s, 0.05))
            return self.node, [], False
        done = run.done  # read first: once ended, everything it sent is already queued
        items: list[Any] = []
        try:
            items.extend(run.outbox.queue.get(timeout=0 if done else timeout_s))
            while True:
                items.extend(run.outbox.queue.get_nowait())
        except queue.Empty:
            pass
        return self.node, items, done

    def send(self, launch: str, command: WorkerCommand) -> None:
        with self._lock:
            run = self._run
            if run is None or run.launch != launch:
                self._early.setdefault(launch, []).append(command)
                return
        apply_command(run.control, command)


_RemoteRunActor = ray.remote(num_cpus=1, max_concurrency=4)(RunActor)


class ActorPool:
    """Warm actors between runs: a run takes one (or a new one is made), and gives it back when it ended cleanly.

    An idle actor holds its CPU, so it is ended after ``idle_s``; one that trained ``max_runs`` runs is ended
    rather than reused (a long-lived process's memory only grows).
    """

    def __init__(self, idle_s: float = IDLE_S, max_runs: int = MAX_RUNS_PER_ACTOR) -> None:
        self.idle_s, self.max_runs = idle_s, max_runs
        self._idle: list[tuple[Any, int]] = []
        self._lock = threading.Lock()

    def take(self) -> tuple[Any, int]:
        """An actor and the number of runs it has trained."""
        while True:
            with self._lock:
                if not self._idle:
                    return _RemoteRunActor.remote(), 0
                actor, runs = self._idle.pop()
            try:
                ray.get(actor.address.remote(), timeout=5)
                return actor, runs
            except (RayActorError, GetTimeoutError):  # died while idle (its node was lost): make another
                _kill(actor)

    def give_back(self, actor: Any, runs: int) -> None:
        if runs >= self.max_runs:
            _kill(actor)
            return
        with self._lock:
            self._idle.append((actor, runs))
        timer = threading.Timer(self.idle_s, self._expire, args=(actor,))
        timer.daemon = True
        timer.start()

    def _expire(self, actor: Any) -> None:
        with self._lock:
            kept = [entry for entry in self._idle if entry[0] is not actor]
            expired = len(kept) < len(self._idle)
            self._idle = kept
        if expired:
            _kill(actor)

    def warm(self, count: int) -> None:
        """Make actors now until ``count`` are idle (each imports torch and SB3 and trains a tiny model: seconds)."""
        with self._lock:
            missing = count - len(self._idle)
        actors = [_RemoteRunActor.remote() for _ in range(max(0, missing))]
        ray.get([actor.address.remote() for actor in actors])
        for actor in actors:
            self.give_back(actor, 0)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for actor, _ in idle:
            _kill(actor)


def _kill(actor: Any) -> None:
    if not ray.is_initialized():  # e.g. an idle actor's timer after ray.shutdown(): ray.kill would start a cluster
        return
    with contextlib.suppress(Exception):  # an actor already gone
        ray.kill(actor)


class RayWorker:
    """One run's actor and the pump thread in the server that relays its events, writes its files and watches it."""

    def __init__(
        self, job: TrainJob, deliver: Deliver, on_exit: OnExit, pool: ActorPool, *, hang_s: float, stop_grace_s: float
    ) -> None:
        self.run_id = job.run_id
        self.where = "on Ray (waiting for a node with a free CPU)"
        """Where the run trains, for its page: ``on Ray node <address>`` once the actor answered."""
        self._folder = job.folder
        self._deliver, self._on_exit = deliver, on_exit
        self._hang_s, self._stop_grace_s = hang_s, stop_grace_s
        self._stop_at: float | None = None
        self._paused = False
        self._pool = pool
        files = folder_files(job.folder) if job.folder is not None and job.start_step else {}
        self.actor, self._runs = pool.take()
        self._launch = f"{job.run_id}-{secrets.token_hex(4)}"
        self._training = self.actor.train.remote(job, files, self._launch)
        self._pump = threading.Thread(target=self._pump_loop, name=f"pump-{job.run_id}", daemon=True)
        self._pump.start()

    def send(self, command: WorkerCommand) -> None:
        if command in (Command.STOP, Command.STOP_NOW) and self._stop_at is None:
            self._stop_at = time.monotonic()
        elif command in (Command.PAUSE, Command.RESUME):
            self._paused = command == Command.PAUSE
        with contextlib.suppress(RayActorError):  # a worker gone: the pump reports how
            self.actor.send.remote(self._launch, command)

    def join(self, timeout: float | None = None) -> bool:
        self._pump.join(timeout)
        return not self._pump.is_alive()

    @property
    def alive(self) -> bool:
        return self._pump.is_alive()

    def _pump_loop(self) -> None:
        reason: str | None = "The server lost track of the run's Ray worker."
        try:
            reason = self._relay()
        except Exception:  # never leave a run without its ending
            log.exception("the pump of run %s failed", self.run_id)
        finally:
            if reason is None:
                self._pool.give_back(self.actor, self._runs + 1)  # warm for the next run
            else:
                _kill(self.actor)  # frees its CPU; a no-op for an actor already gone
            self._on_exit(reason)

    def _relay(self) -> str | None:
        """Deliver events until the body ends; the sentence for a worker that died or was ended from here."""
        heard_at = time.monotonic()
        idle_s = 0.0
        while True:
            try:
                node, items, done = ray.get(self.actor.poll.remote(self._launch, POLL_S), timeout=self._hang_s)
            except GetTimeoutError:
                return f"The run's Ray worker stopped answering for {self._hang_s:g} s and was ended."
            except RayActorError:
                return self._died()
            self.where = f"on Ray node {node}"
            if items:
                heard_at = time.monotonic()
            events: list[Event] = []
            writes: list[FileWrite] = []
            for item in items:
                if isinstance(item, FileWrite):
                    writes.append(item)
                elif isinstance(item, Heartbeat):
                    idle_s = item.idle_s
                else:
                    events.append(item)
            if writes and self._folder is not None:
                apply_writes(self._folder, writes)
            if events:
                self._deliver(events)
            if done:
                return None
            reason = self._watch(heard_at, idle_s)
            if reason is None and not items and ray.wait([self._training], timeout=0)[0]:
                reason = self._train_call_failed()  # None: it ended well, and the next poll says so
            if reason is not None:
                return reason

    def _train_call_failed(self) -> str | None:
        """The actor's ``train`` returned without the run having ended (it failed before the body began, e.g. its
        scratch folder could not be made): the sentence for it, or None if it ended after all."""
        try:
            ray.get(self._training)
        except RayActorError:
            return self._died()
        except Exception as error:
            log.warning("run %s could not start on its actor: %s", self.run_id, error)
            cause = getattr(error, "cause", None) or error
            return f"The run could not start on Ray ({self.where.removeprefix('on ')}): {describe_failure(cause)}"
        return None

    def _died(self) -> str:
        where = self.where.removeprefix("on ")
        return (
            f"The run's worker ({where}) died before the run ended: its actor or process was killed, or its node "
            "was lost. The server and the other runs go on."
        )

    def _watch(self, heard_at: float, idle_s: float) -> str | None:
        """Why the worker must be ended now, or None (it is killed in :meth:`_pump_loop`)."""
        now = time.monotonic()
        if self._stop_at is not None:
            if now - self._stop_at > self._stop_grace_s:
                return f"it did not end within {self._stop_grace_s:g} s of Stop and was killed"
            return None
        if now - heard_at > self._hang_s or (not self._paused and idle_s > self._hang_s):
            return f"The run stopped answering (no training step for {self._hang_s:g} s) and was ended."
        return None


class RayExecutor:
    """Runs each body in a Ray actor; connects to (or starts) the cluster when made."""

    def __init__(self, *, hang_s: float | None = None, stop_grace_s: float = STOP_GRACE_S) -> None:
        connect()
        self.hang_s = hang_s or limits_from_env()[1]
        self.stop_grace_s = stop_grace_s
        self.pool = ActorPool()

    @property
    def slots(self) -> int:
        """Runs that can train at once: the cluster's CPUs (one per actor)."""
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def launch(self, job: TrainJob, deliver: Deliver, on_exit: OnExit) -> RayWorker:
        return RayWorker(job, deliver, on_exit, self.pool, hang_s=self.hang_s, stop_grace_s=self.stop_grace_s)

    def warm(self, count: int | None = None) -> None:
        """Make warm actors ahead of the first Start (default: one per CPU of the cluster); seconds."""
        self.pool.warm(self.slots if count is None else count)

    def close(self) -> None:
        """End the idle actors now (the CLI, done with its one run) rather than after :data:`IDLE_S`."""
        self.pool.close()
