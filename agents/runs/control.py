"""The controls a run's worker obeys: pause, resume and stop, a person's answers, settings changed while it
trains, and a training clock.

Commands come down from the server (:mod:`agents.runs.workers`) into a :class:`RunControl` that the worker body
(:mod:`agents.runs.training`) and its callbacks read between steps and updates.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from agents.feedback.person import PairAnswer
from agents.runs.events import ChangeSetting, Command, WorkerCommand
from agents.runs.live import StopTraining


class RunControl:
    """Pause, resume and stop requests from pages, a person's answers (the feedback lab), and a clock of training
    time that excludes pauses and the time spent waiting for a person's labels."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.final_clip = True
        """Whether a stopped run plays one last evaluation episode, as a finished one does."""
        self._running = threading.Event()
        self._running.set()
        self._started_at: float | None = None
        self._holds: set[str] = set()
        """Why the training clock stands still now: "pause", "labels" (waiting for a person)."""
        self._held_since: float | None = None
        self._held_total = 0.0
        self._clock_lock = threading.Lock()
        """Pause and resume come from the command thread, waits for labels from the training thread."""
        self._answers: list[PairAnswer] = []
        self._answered = threading.Condition()
        self.answers_delivered = 0
        """A person's answers received so far (can't tell too), whether or not training has taken them yet."""
        self.oracle_took_over = False
        """The feedback lab: the oracle labels in the person's place from now on."""
        self.on_answer: Callable[[], None] | None = None
        """Called after each answer arrives (the clip renderer renders the next pair)."""
        self._changes: list[ChangeSetting] = []
        self._changes_lock = threading.Lock()

    def obey(self, command: WorkerCommand) -> None:
        """Apply one command from the server (both executors' command paths end here)."""
        if isinstance(command, PairAnswer):
            self.deliver(command)
        elif isinstance(command, ChangeSetting):
            self.request_change(command)
        elif command == Command.PAUSE:
            self.pause()
        elif command == Command.RESUME:
            self.resume()
        elif command == Command.STOP:
            self.stop()
        elif command == Command.STOP_NOW:
            self.stop(final_clip=False)
        elif command == Command.ORACLE_TAKES_OVER:
            self.oracle_takes_over()

    # --- settings changed while training ------------------------------------------------------------------

    def request_change(self, change: ChangeSetting) -> None:
        """A setting's new value arrived; the training loop takes it at its next step (:meth:`take_changes`)."""
        with self._changes_lock:
            self._changes.append(change)

    def take_changes(self) -> list[ChangeSetting]:
        """The changes requested since the last call, oldest first (cheap when there are none)."""
        if not self._changes:
            return []
        with self._changes_lock:
            changes, self._changes = self._changes, []
            return changes

    def start_clock(self, offset_s: float = 0.0) -> None:
        """Start counting training time, from ``offset_s`` when a resumed run continues its clock."""
        self._started_at = time.perf_counter() - offset_s

    def elapsed(self) -> float:
        if self._started_at is None:
            return 0.0
        with self._clock_lock:
            now = self._held_since if self._held_since is not None else time.perf_counter()
            return now - self._started_at - self._held_total

    def _hold(self, reason: str) -> None:
        with self._clock_lock:
            if not self._holds:
                self._held_since = time.perf_counter()
            self._holds.add(reason)

    def _release(self, reason: str) -> None:
        with self._clock_lock:
            self._holds.discard(reason)
            if not self._holds and self._held_since is not None:
                self._held_total += time.perf_counter() - self._held_since
                self._held_since = None

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        if not self.paused:
            self._hold("pause")
            self._running.clear()

    def resume(self) -> None:
        if self.paused:
            self._release("pause")
            self._running.set()

    def stop(self, final_clip: bool = True) -> None:
        """End the run; ``final_clip`` False skips the last evaluation episode (the server is shutting down)."""
        if not self.stop_event.is_set():
            self.final_clip = final_clip
        self.stop_event.set()
        self._running.set()  # wake a paused thread so it can end
        with self._answered:
            self._answered.notify_all()  # and one waiting for labels

    @property
    def stop_requested(self) -> bool:
        return self.stop_event.is_set()

    def checkpoint(self) -> None:
        """Block while paused; raise :class:`StopTraining` once a stop was requested."""
        if not self._running.is_set():
            self._running.wait()
        if self.stop_event.is_set():
            raise StopTraining

    # --- a person's labels (the feedback lab) -------------------------------------------------------------

    def deliver(self, answer: PairAnswer) -> None:
        """A person's answer arrived (from the command channel); :meth:`take_answers` hands it to training."""
        with self._answered:
            self._answers.append(answer)
            self.answers_delivered += 1
            self._answered.notify_all()
        if self.on_answer is not None:
            self.on_answer()

    def take_answers(self, wait_s: float = 0.0) -> list[PairAnswer]:
        """The answers delivered since the last call, oldest first; with ``wait_s``, wait up to that long for
        one (sleeping, not polling; a stop wakes the wait)."""
        with self._answered:
            if not self._answers and wait_s > 0 and not self.stop_event.is_set():
                self._answered.wait(wait_s)
            answers, self._answers = self._answers, []
            return answers

    def oracle_takes_over(self) -> None:
        """From now on the oracle labels in the person's place (wakes a wait for the person's labels)."""
        with self._answered:
            self.oracle_took_over = True
            self._answered.notify_all()

    @property
    def waiting_for_labels(self) -> bool:
        """Training stands still until a person labels (its clock too, as in a pause)."""
        return "labels" in self._holds

    @contextmanager
    def labels_awaited(self) -> Iterator[None]:
        """Mark the time inside as waiting for a person's labels: not training time, not a hang."""
        self._hold("labels")
        try:
            yield
        finally:
            self._release("labels")
