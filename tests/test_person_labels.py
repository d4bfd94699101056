"""A person's labels as data: answers and their checks, pairs waiting by id on both sides, the command to the worker."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from agents.config.run_config import build_config
from agents.feedback.fragments import Fragment
from agents.feedback.person import PairAnswer, PendingPairs, UnknownPair
from agents.runs.control import RunControl
from agents.runs.events import LabelsState, PairOffered
from agents.runs.labelling import PairQueue
from agents.runs.run import Run, RunStatus
from tests.test_worker_body import FakeExecutor


def clip(value: float) -> Fragment:
    return Fragment(np.full((3, 1), value, np.float32), np.zeros(3, np.int64), np.full(3, value), 0, 0)


def offered(pair_id: str, step: int = 0) -> PairOffered:
    return PairOffered(pair_id, b"GIF89a-left" + pair_id.encode(), b"GIF89a-right", step, 25, 1.0)


def state(asking: bool = True, waiting: bool = False) -> LabelsState:
    return LabelsState({"human": 3}, {"human": 9.0}, 20, 50, waiting=waiting, asking=asking)


# --- answers -----------------------------------------------------------------------------------------------


def test_the_four_answers_and_their_labels() -> None:
    labels = {answer: PairAnswer("0123456789ab", answer).label for answer in ("left", "right", "same", "cant_tell")}
    assert labels == {"left": 1.0, "right": 0.0, "same": 0.5, "cant_tell": None}  # Christiano et al.: same = 0.5


@pytest.mark.parametrize(
    ("pair_id", "answer", "seconds"),
    [
        ("0123456789ab", "up", 1.0),
        ("0123456789AB", "left", 1.0),
        ("../../etc/passwd", "left", 1.0),
        ("0123456789ab0", "left", 1.0),
        ("0123456789ab", "left", -1.0),
        ("0123456789ab", "left", float("nan")),
        ("0123456789ab", "left", 1e9),
    ],
)
def test_a_malformed_answer_is_refused_at_once(pair_id: str, answer: str, seconds: float) -> None:
    with pytest.raises(ValueError):
        PairAnswer(pair_id, answer, seconds)


# --- the worker's pending pairs ----------------------------------------------------------------------------


def test_a_pending_pair_is_answered_once_and_unknown_ids_are_refused() -> None:
    pending = PendingPairs()
    first, second = pending.offer((clip(1), clip(0))), pending.offer((clip(2), clip(3)))
    assert first != second and len(pending) == 2
    (left, right), label = pending.resolve(PairAnswer(second, "right"))
    assert (left.true_return, right.true_return, label) == (6.0, 9.0, 0.0)
    with pytest.raises(UnknownPair):
        pending.resolve(PairAnswer(second, "left"))  # answered already
    with pytest.raises(UnknownPair):
        pending.resolve(PairAnswer("0123456789ab", "left"))  # never offered
    forged = object.__new__(PairAnswer)  # what unpickling makes: __post_init__ never ran
    object.__setattr__(forged, "pair_id", first)
    object.__setattr__(forged, "answer", "best")
    object.__setattr__(forged, "seconds", 1.0)
    with pytest.raises(ValueError):
        pending.resolve(forged)
    assert len(pending) == 1  # the refused answers took nothing
    assert pending.withdraw() == 1 and len(pending) == 0


# --- the server's queue ------------------------------------------------------------------------------------


def test_the_queue_shows_the_oldest_pair_and_an_answer_takes_it_off_at_once() -> None:
    queue = PairQueue()
    for pair_id in ("aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"):
        queue.offer(offered(pair_id))
    view = queue.view()
    assert view.pair is not None and view.pair.pair_id == "aaaaaaaaaaaa" and view.queued == 3
    queue.shown("aaaaaaaaaaaa")
    time.sleep(0.05)
    command = queue.answer("aaaaaaaaaaaa", "same")
    assert command == PairAnswer("aaaaaaaaaaaa", "same", command.seconds) and 0.05 <= command.seconds < 5
    after = queue.view()
    assert after.pair is not None and after.pair.pair_id == "bbbbbbbbbbbb" and after.queued == 2
    assert after.answers == {"same": 1} and after.person_labels == 1
    assert after.person_labels_per_s is not None and after.person_labels_per_s > 0
    queue.answer("cccccccccccc", "cant_tell")  # any queued pair, not only the one shown
    assert queue.view().person_labels == 1  # can't tell is not a label


def test_the_queue_refuses_what_it_did_not_offer_and_bad_answers() -> None:
    queue = PairQueue()
    queue.offer(offered("aaaaaaaaaaaa"))
    queue.answer("aaaaaaaaaaaa", "left")
    with pytest.raises(UnknownPair):
        queue.answer("aaaaaaaaaaaa", "left")  # a double click
    with pytest.raises(UnknownPair):
        queue.answer("dddddddddddd", "left")
    queue.offer(offered("bbbbbbbbbbbb"))
    with pytest.raises(ValueError):
        queue.answer("bbbbbbbbbbbb", "both")
    assert queue.view().queued == 1 and queue.view().answers == {"left": 1}


def test_the_queue_empties_when_no_more_labels_are_asked_and_when_the_run_ends() -> None:
    queue = PairQueue()
    queue.offer(offered("aaaaaaaaaaaa"))
    queue.update(state(asking=False))
    assert queue.view().pair is None and queue.view().closed
    queue.offer(offered("bbbbbbbbbbbb"))  # rendered before the worker stopped asking: not shown
    assert queue.view().queued == 0
    ended = PairQueue()
    ended.offer(offered("cccccccccccc"))
    ended.close()
    with pytest.raises(UnknownPair):
        ended.answer("cccccccccccc", "left")


def test_the_queue_keeps_a_bounded_number_of_pairs() -> None:
    queue = PairQueue(max_queued=3)
    for index in range(5):
        queue.offer(offered(f"{index:012x}"))
    assert queue.view().queued == 3 and queue.view().pair.pair_id == f"{2:012x}"


# --- the run handle: an answer goes down as a command, an unknown one never does ---------------------------


def test_the_run_sends_a_queued_pairs_answer_down_and_refuses_any_other() -> None:
    config = build_config("Pendulum-v1", "ppo", timesteps=1000, feedback={"feedback": "human", "labels": 30})
    run = Run(config)
    executor = FakeExecutor()
    assert run.launch(executor)
    worker = executor.workers[0]
    run.apply([offered("aaaaaaaaaaaa"), offered("bbbbbbbbbbbb")])
    run.answer("aaaaaaaaaaaa", "left")
    with pytest.raises(UnknownPair):
        run.answer("aaaaaaaaaaaa", "right")
    with pytest.raises(UnknownPair):
        run.answer("eeeeeeeeeeee", "right")
    with pytest.raises(ValueError):
        run.answer("bbbbbbbbbbbb", "maybe")
    assert [(c.pair_id, c.answer) for c in worker.commands] == [("aaaaaaaaaaaa", "left")]
    run.apply([state(waiting=True)])
    assert run.labelling.view().state == state(waiting=True)
    worker.exit("killed")  # the worker is gone: the run ends and takes no more answers
    assert run.status == RunStatus.FAILED
    with pytest.raises(UnknownPair):
        run.answer("bbbbbbbbbbbb", "left")


# --- the control: answers arrive, waits sleep, Stop wakes them ---------------------------------------------


def test_answers_wake_a_wait_and_stop_ends_it_at_once() -> None:
    control = RunControl()
    woken: list[int] = []
    control.on_answer = lambda: woken.append(1)
    assert control.take_answers() == []
    control.deliver(PairAnswer("aaaaaaaaaaaa", "left"))
    started = time.monotonic()
    assert [a.pair_id for a in control.take_answers(wait_s=5)] == ["aaaaaaaaaaaa"]
    assert time.monotonic() - started < 0.5 and woken == [1] and control.answers_delivered == 1
    threading.Timer(0.2, control.stop).start()
    started = time.monotonic()
    assert control.take_answers(wait_s=5) == []
    assert time.monotonic() - started < 1.0  # Stop woke the wait


def test_waiting_for_labels_stops_the_training_clock() -> None:
    control = RunControl()
    control.start_clock()
    with control.labels_awaited():
        assert control.waiting_for_labels
        before = control.elapsed()
        time.sleep(0.2)
        assert control.elapsed() == pytest.approx(before, abs=0.01)
        control.pause()  # a pause inside the wait: the clock stays stopped, counted once
        control.resume()
    assert not control.waiting_for_labels
    assert control.elapsed() < 0.1


def test_handing_over_to_the_oracle_empties_the_queue_and_refuses_later_answers() -> None:
    queue = PairQueue()
    queue.offer(offered("aaaaaaaaaaaa"))
    queue.hand_over()
    view = queue.view()
    assert view.handed_over and view.closed and view.pair is None
    with pytest.raises(UnknownPair):
        queue.answer("aaaaaaaaaaaa", "left")
    queue.offer(offered("bbbbbbbbbbbb"))  # rendered before the worker heard: never shown
    assert queue.view().queued == 0
