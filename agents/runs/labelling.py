"""The server's side of a person labelling: pairs of clips queued ahead, and answers checked before they go down.

The run's worker renders pairs ahead (:mod:`agents.runs.clip_pairs`) and sends each up as a
:class:`~agents.runs.events.PairOffered`; the run handle keeps them here, in the order they came. The page shows
the oldest; a click answers it (:meth:`PairQueue.answer`), which takes it off the queue at once, so the next pair
is already here when the page redraws: no round trip to the worker on the click's path. The answer goes down to
the worker as a :class:`~agents.feedback.person.PairAnswer`. An id that is not queued (never offered, answered
already, from another run, or the run ended) is refused here, and again by the worker.

The queue also keeps what the person did as it happened (answers by kind, seconds spent), so the counters move
with the click, and the worker's latest :class:`~agents.runs.events.LabelsState` (labels the reward model learnt
from, by source; whether training waits; agreement with the oracle).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from agents.feedback.labelers import ANSWERS
from agents.feedback.person import MAX_ANSWER_S, PairAnswer, UnknownPair
from agents.runs.events import LabelsState, PairOffered

MAX_QUEUED = 12
"""Pairs kept at most; the oldest go first (the worker renders only a few ahead, so this is a safety bound)."""


@dataclass(frozen=True)
class LabellingView:
    """An immutable copy of the queue and the counters, for a page to draw."""

    pair: PairOffered | None
    """The pair to show now (the oldest queued), or None while the next one renders."""
    queued: int
    """Pairs ready, the shown one included."""
    upcoming: PairOffered | None = None
    """The pair after it, which a page may load ahead so that it shows the moment it is needed."""
    answers: dict[str, int] = field(default_factory=dict)
    """The person's answers so far by kind (left, right, same, cant_tell), counted at the click."""
    person_s: float = 0.0
    """Seconds the person spent on them, from each pair's first showing to the click."""
    state: LabelsState | None = None
    """The worker's latest counters (None before the first)."""
    closed: bool = False
    """No more answers are taken (the run ended, no more labels are asked, or the oracle took over)."""
    handed_over: bool = False
    """The person handed the labelling to the oracle (the worker follows at its next rollout's end)."""

    @property
    def person_labels(self) -> int:
        """The person's labels (can't tell is not a label)."""
        return sum(count for answer, count in self.answers.items() if ANSWERS[answer] is not None)

    @property
    def person_labels_per_s(self) -> float | None:
        """The person's labels per second of their time on pairs (None before the first)."""
        labels = self.person_labels
        return labels / self.person_s if labels and self.person_s > 0 else None


class PairQueue:
    """Pairs offered by a run's worker, oldest first, and what the person answered (thread-safe)."""

    def __init__(self, max_queued: int = MAX_QUEUED) -> None:
        self.max_queued = max_queued
        self._pairs: OrderedDict[str, PairOffered] = OrderedDict()
        self._offered_at: dict[str, float] = {}
        """``time.monotonic()`` when each queued pair reached the server."""
        self._shown_at: dict[str, float] = {}
        self._answers: Counter[str] = Counter()
        self._person_s = 0.0
        self._last_answer_at: float | None = None
        self._state: LabelsState | None = None
        self._closed = False
        self._handed_over = False
        self._lock = threading.Lock()

    def offer(self, event: PairOffered) -> None:
        """Queue a pair the worker rendered (the pump thread calls this)."""
        with self._lock:
            if self._closed or self._handed_over or (self._state is not None and not self._state.asking):
                return
            self._pairs[event.pair_id] = event
            self._offered_at[event.pair_id] = time.monotonic()
            while len(self._pairs) > self.max_queued:
                old, _ = self._pairs.popitem(last=False)
                self._shown_at.pop(old, None)
                self._offered_at.pop(old, None)

    def update(self, state: LabelsState) -> None:
        """The worker's counters; once it asks for no more labels, the queued pairs are dropped."""
        with self._lock:
            self._state = state
            if not state.asking:
                self._forget()

    def shown(self, pair_id: str) -> None:
        """The page drew this pair for the person: their time on it counts from now (the first time only)."""
        with self._lock:
            if pair_id in self._pairs:
                self._shown_at.setdefault(pair_id, time.monotonic())

    def answer(self, pair_id: str, answer: str) -> PairAnswer:
        """Take the person's ``answer`` to the queued pair ``pair_id`` off the queue; the command for the worker.

        Raises:
            UnknownPair: no queued pair has this id (answered already, never offered, or the run ended).
            ValueError: ``answer`` is not one of left, right, same, cant_tell.
        """
        if answer not in ANSWERS:
            raise ValueError(f"unknown answer {str(answer)[:20]!r}; one of {', '.join(ANSWERS)}")
        now = time.monotonic()
        with self._lock:
            pair = None if self._closed or self._handed_over else self._pairs.pop(pair_id, None)
            if pair is None:
                raise UnknownPair(f"no pair {str(pair_id)[:40]} is waiting for an answer")
            offered_at = self._offered_at.pop(pair_id)
            since = self._shown_at.pop(pair_id, None)
            if since is None:  # never drawn by a page that said so: from when it could first have been
                since = max(offered_at, self._last_answer_at or offered_at)
            seconds = min(MAX_ANSWER_S, max(0.0, now - since))
            self._answers[answer] += 1
            self._person_s += seconds
            self._last_answer_at = now
        return PairAnswer(pair_id, answer, seconds)

    def hand_over(self) -> None:
        """The oracle takes the person's place: the queued pairs go, and no answer is taken from now on."""
        with self._lock:
            self._handed_over = True
            self._forget()

    def close(self) -> None:
        """The run ended: drop the queue and refuse answers from now on."""
        with self._lock:
            self._closed = True
            self._forget()

    def _forget(self) -> None:
        self._pairs.clear()
        self._offered_at.clear()
        self._shown_at.clear()

    def view(self) -> LabellingView:
        with self._lock:
            first_two = list(itertools.islice(self._pairs.values(), 2))
            asking = self._state is None or self._state.asking
            return LabellingView(
                pair=first_two[0] if first_two else None,
                queued=len(self._pairs),
                upcoming=first_two[1] if len(first_two) > 1 else None,
                answers=dict(self._answers),
                person_s=self._person_s,
                state=self._state,
                closed=self._closed or self._handed_over or not asking,
                handed_over=self._handed_over,
            )
