"""A person labels: pairs of clips wait for an answer, and answers refer to the pair they answer by its id.

The automated labelers answer a batch of pairs in one call (:mod:`agents.feedback.labelers`); a person answers
one pair at a time, seconds apart, in another process (the browser, through the server). So the pairs a person
is asked are *queries* with ids, kept until answered, as in the ``imitation`` library's ``PrefCollectGatherer``
(``pending_queries`` keyed by a query id) and rl-teacher: :class:`PendingPairs` holds them on the worker's side,
and a :class:`PairAnswer` is what travels back. An answer to an id that is not pending (never offered, already
answered, or from another run) is refused: :class:`UnknownPair`.

Answers are Christiano et al.'s (2017, section 2.2.3): left, right, the same (label 0.5), or can't tell (the
pair is dropped).
"""

from __future__ import annotations

import math
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from agents.feedback.labelers import ANSWERS, Label, Pair

PERSON_SOURCE = "human"
"""The labeller source of a person's labels (``Labeler.source``; the cost meter counts it as a person's)."""
PAIR_ID = re.compile(r"[0-9a-f]{12}")
"""A pair id: 12 hex digits, drawn at random by the worker that offered the pair."""
MAX_ANSWER_S = 3600.0
"""The most seconds one answer may report (a person's time on a pair; more is a clock gone wrong)."""


class UnknownPair(KeyError):
    """An answer to a pair that is not waiting for one (never offered, already answered, or the run ended)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown pair"


def new_pair_id() -> str:
    """A fresh random pair id (48 bits: unguessable by another browser, unique within a run)."""
    return secrets.token_hex(6)


@dataclass(frozen=True, slots=True)
class PairAnswer:
    """A person's answer to one pair: the command that carries a label down to the run's worker.

    Attributes:
        pair_id: the id the worker gave the pair when it offered it (:data:`PAIR_ID`).
        answer: ``"left"``, ``"right"``, ``"same"`` or ``"cant_tell"`` (:data:`~agents.feedback.labelers.ANSWERS`).
        seconds: the person's time on the pair, from its first showing to the click (labels per second).

    Raises:
        ValueError: a malformed id, an unknown answer or a negative, non-finite or huge time.
    """

    pair_id: str
    answer: str
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field (called on construction; again by the worker, since unpickling skips it)."""
        if not isinstance(self.pair_id, str) or not PAIR_ID.fullmatch(self.pair_id):
            raise ValueError(f"not a pair id: {str(self.pair_id)[:40]!r}")
        if self.answer not in ANSWERS:
            raise ValueError(f"unknown answer {str(self.answer)[:20]!r}; one of {', '.join(ANSWERS)}")
        seconds = self.seconds
        if not isinstance(seconds, int | float) or not math.isfinite(seconds) or not 0 <= seconds <= MAX_ANSWER_S:
            raise ValueError(f"an answer's time must be between 0 and {MAX_ANSWER_S:g} s")

    @property
    def label(self) -> Label:
        """P(left preferred): 1 left, 0 right, 0.5 the same, None can't tell (dropped)."""
        return ANSWERS[self.answer]


class PendingPairs:
    """Pairs offered to a person and not yet answered, by id (the worker's side; thread-safe).

    The thread that renders clips offers pairs (:meth:`offer`); the training loop turns answers into labelled
    pairs (:meth:`resolve`). An id is answered at most once.
    """

    def __init__(self) -> None:
        self._pairs: dict[str, Pair] = {}
        self._lock = threading.Lock()

    def offer(self, pair: Pair) -> str:
        """Keep ``pair`` until answered; returns its new id."""
        with self._lock:
            pair_id = new_pair_id()
            while pair_id in self._pairs:
                pair_id = new_pair_id()
            self._pairs[pair_id] = pair
            return pair_id

    def resolve(self, answer: PairAnswer) -> tuple[Pair, Label]:
        """The pair ``answer`` refers to, and its label; the pair stops being pending.

        Raises:
            UnknownPair: no pending pair has this id.
            ValueError: the answer is malformed.
        """
        answer.validate()
        with self._lock:
            pair = self._pairs.pop(answer.pair_id, None)
        if pair is None:
            raise UnknownPair(f"no pair {answer.pair_id} is waiting for an answer")
        return pair, answer.label

    def withdraw(self) -> int:
        """Forget every pending pair (no more labels are asked); returns how many there were."""
        with self._lock:
            count = len(self._pairs)
            self._pairs.clear()
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._pairs)


class PersonLabels:
    """The labeller of a preference loop a person answers: ``source`` only, since a person's labels arrive one by
    one as answers (:class:`PairAnswer`, resolved by :class:`PendingPairs`), never from a call."""

    source = PERSON_SOURCE

    def label(self, pairs: Sequence[Pair]) -> list[Label]:
        raise RuntimeError("a person's labels arrive as answers to offered pairs, not from a call")
