"""The worker body with a person labelling: it offers pairs ahead, waits asleep for the first labels, trains once
they are in, refuses answers to pairs it never offered, and a Stop ends the wait at once."""

from __future__ import annotations

import threading
import time
from typing import Any

from agents.config.run_config import build_config
from agents.feedback.person import PairAnswer
from agents.feedback.report import RewardReport
from agents.runs.clip_pairs import PAIRS_AHEAD
from agents.runs.control import RunControl
from agents.runs.events import CollectingSink, Ended, LabelsState, PairOffered, Progress, Started
from agents.runs.status import RunStatus
from agents.runs.training import TrainJob, train
from agents.runs.workers.child import WatchedControl
from tests.conftest import wait_until


def person_config(labels: int = 6, timesteps: int = 100_000) -> Any:
    overrides = {"n_steps": 128, "batch_size": 64, "n_epochs": 1, "net_arch": "32"}
    feedback = {"feedback": "human", "labels": labels, "initial_labels": 4, "fragment_length": 10}
    return build_config(
        "Pendulum-v1", "ppo", preset="defaults", overrides=overrides, timesteps=timesteps, feedback=feedback
    )


def start(control: RunControl, sink: CollectingSink, **kwargs: Any) -> threading.Thread:
    job = TrainJob("20261130-000000-abcdef", person_config(**kwargs), record_episodes=False)
    thread = threading.Thread(target=train, args=(job, control, sink), name="person-body", daemon=True)
    thread.start()
    return thread


def offered_ids(sink: CollectingSink) -> list[str]:
    return [event.pair_id for event in sink.of_type(PairOffered)]


def steps(sink: CollectingSink) -> int:
    progress = sink.of_type(Progress)
    return progress[-1].timesteps if progress else 0


def test_training_waits_asleep_for_the_first_labels_then_trains_on_them() -> None:
    control, sink = RunControl(), CollectingSink()
    thread = start(control, sink)
    try:
        assert wait_until(lambda: len(offered_ids(sink)) >= PAIRS_AHEAD, timeout=60)
        pair = sink.of_type(PairOffered)[0]
        assert pair.left_gif.startswith(b"GIF8") and pair.right_gif.startswith(b"GIF8")
        assert len(pair.left_gif) + len(pair.right_gif) < 60_000  # a few kB each
        assert 1.0 <= pair.clip_s <= 2.0 and pair.clip_steps == 10
        assert sink.of_type(Started) and control.waiting_for_labels
        time.sleep(0.3)  # the renderer has filled its queue; both threads now sleep
        cpu_before, wall_before = time.process_time(), time.monotonic()
        time.sleep(1.0)
        assert time.process_time() - cpu_before < 0.15 * (time.monotonic() - wall_before)  # not burning CPU
        assert steps(sink) == 0 and len(offered_ids(sink)) == PAIRS_AHEAD  # nothing trained, nothing more rendered
        waiting = sink.of_type(LabelsState)[-1]
        assert waiting.waiting and waiting.labels_due == 4 and waiting.labels_used == 0

        ids = offered_ids(sink)
        control.deliver(PairAnswer("0123456789ab", "left", 1.0))  # never offered: refused, not counted
        for pair_id, answer in zip(ids, ("left", "right", "cant_tell", "same", "left"), strict=False):
            control.deliver(PairAnswer(pair_id, answer, 2.0))
        assert wait_until(lambda: steps(sink) > 0, timeout=60)  # four labels in: training started
        assert wait_until(lambda: len(offered_ids(sink)) > PAIRS_AHEAD, timeout=30)  # each answer: a new pair
        state = sink.of_type(LabelsState)[-1]
        assert not state.waiting and state.labels_by_source == {"human": 4}
        assert state.labeling_s_by_source["human"] == 10.0  # the five answers' seconds (can't tell too)
        assert state.oracle_compared == 4  # the oracle answered the same pairs, on the side
        reports = sink.of_type(RewardReport)  # the reward model is reported after each refit on a person's labels
        assert reports and reports[-1].labels_used == 4 and len(reports[-1].learned) > 0
    finally:
        control.stop()
        thread.join(30)
    assert not thread.is_alive()
    assert sink.events[-1].status == RunStatus.STOPPED


def test_stop_ends_a_run_waiting_for_labels_within_a_second() -> None:
    control, sink = RunControl(), CollectingSink()
    thread = start(control, sink)
    assert wait_until(lambda: control.waiting_for_labels, timeout=60)
    stopped_at = time.monotonic()
    control.stop(final_clip=False)
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - stopped_at < 1.0
    assert sink.events[-1] == Ended(RunStatus.STOPPED, "stopped by the user")
    assert steps(sink) == 0


def test_a_wait_for_labels_is_not_a_hang() -> None:
    control = WatchedControl(sink=_NoSink())  # type: ignore[arg-type]
    control.last_active -= 120  # the loop last moved two minutes ago...
    with control.labels_awaited():
        assert control.idle_s() == 0.0  # ...but it waits for a person, so the watchdog leaves it alone
    assert control.idle_s() < 1.0  # and the wait's end counts as activity


class _NoSink:
    def flush(self) -> None:
        """Nothing held."""


def test_the_oracle_takes_a_waiting_persons_place_and_training_starts() -> None:
    control, sink = RunControl(), CollectingSink()
    thread = start(control, sink)
    try:
        assert wait_until(lambda: len(offered_ids(sink)) >= 1 and control.waiting_for_labels, timeout=60)
        control.deliver(PairAnswer(offered_ids(sink)[0], "left", 3.0))  # one label from the person first
        control.oracle_takes_over()
        assert wait_until(lambda: steps(sink) > 0, timeout=60)  # the oracle gave the rest of the first labels
        state = sink.of_type(LabelsState)[-1]
        assert state.labeller == "oracle" and not state.waiting and not state.asking  # the person's pairs expire
        assert state.labels_by_source["human"] == 1 and state.labels_by_source["oracle"] >= 3
        assert state.labeling_s_by_source["human"] == 3.0
        oracle_rate = state.labels_by_source["oracle"] / state.labeling_s_by_source["oracle"]
        assert oracle_rate > 100  # labels per second: the explainer's point, a machine against a person's 1 in 3 s
        assert state.oracle_compared == 1  # agreement counts the person's labels only
    finally:
        control.stop()
        thread.join(30)
    assert not thread.is_alive()
