"""The live seam's own rules: when evaluation episodes play, and what they cost a run."""

from __future__ import annotations

import itertools
import time

import pytest

from agents.config.run_config import build_config
from agents.runs.callbacks import EvaluationEpisodes
from agents.runs.live import EvalSchedule
from agents.runs.run import Run


def test_first_evaluation_comes_early_so_a_learner_sees_the_agent_within_a_second() -> None:
    schedule = EvalSchedule(first_after_s=0.5)
    assert not schedule.due(0.4) and schedule.due(0.5)


@pytest.mark.parametrize("length", [10, 200, 1000])
def test_the_next_evaluation_is_priced_at_the_expected_episode_length(length: int) -> None:
    schedule = EvalSchedule(budget=0.03, min_interval_s=2.0, max_frames=40)
    # measured on a 20-step episode: 1 ms a step (20 ms) and 3 ms per frame of its 21 frames (63 ms)
    schedule.done(finished_at_s=0.5, cost_s=0.05, length=10, steps_s=0.01, frames=11)  # the first: not counted
    schedule.done(finished_at_s=1.0, cost_s=0.083, length=20, steps_s=0.020, frames=21)
    expected = 0.001 * length + 0.003 * min(length + 1, 41)
    assert schedule.spent_s == pytest.approx(0.083)
    assert schedule.expected_cost(length) == pytest.approx(expected)
    due_at = max(1.0 + 2.0, (0.083 + expected) / 0.03)
    assert not schedule.due(due_at - 0.01, expected_length=length)
    assert schedule.due(due_at + 0.01, expected_length=length)


def test_evaluations_follow_a_run_whose_episodes_grow_and_stay_within_the_budget() -> None:
    """CartPole's episodes grow from 20 steps to 500 in a few seconds: clips keep coming, the share holds."""
    budget, step_s, frame_s = 0.03, 0.0003, 0.003  # costs measured on this machine's kind, unloaded
    schedule = EvalSchedule(budget=budget, min_interval_s=2.0, max_frames=32)
    clock, spent, first_cost, played_at = 0.0, 0.0, 0.0, []
    while clock < 60.0:
        length = min(500, 20 + 60 * clock)  # the training episodes' recent mean length
        if schedule.due(clock, expected_length=length):
            cost = step_s * length + frame_s * min(length + 1, 33)
            clock += cost
            spent += cost
            first_cost = first_cost or cost
            schedule.done(clock, cost, int(length), steps_s=step_s * length, frames=int(min(length + 1, 33)))
            played_at.append(clock)
            if len(played_at) > 1:  # the first clip, at 0.5 s, is outside the account
                assert (spent - first_cost) / clock <= budget + 1e-9
        clock += 0.01
    gaps = [b - a for a, b in itertools.pairwise(played_at)]
    assert len(played_at) >= 8
    assert max(gaps) <= 10.0, "a clip at least every ten seconds of training"


def test_evaluation_stays_within_its_share_of_a_real_run(monkeypatch: pytest.MonkeyPatch) -> None:
    spent: list[float] = []
    steps: list[int] = []
    original = EvaluationEpisodes.play

    def timed(self: EvaluationEpisodes, model: object, **kwargs: bool) -> object:
        started = time.perf_counter()
        result = original(self, model, **kwargs)
        spent.append(time.perf_counter() - started)
        steps.append(result.step)
        return result

    monkeypatch.setattr(EvaluationEpisodes, "play", timed)
    run = Run(build_config("CartPole-v1", "ppo", seed=0, timesteps=40_000))
    run.start()
    assert run.join(120)
    snap = run.snapshot()
    in_training = spent[:-1]  # the last one plays after learn() returns, to show the final policy
    assert in_training, "at least one evaluation episode played while training"
    assert sum(in_training) / snap.elapsed_s <= 0.06
    assert steps == sorted(steps) and steps[-1] == snap.timesteps, "each clip is newer; the last is the final policy"
    assert snap.evaluation is not None and snap.evaluation.gif.startswith(b"GIF8")


def test_the_account_is_kept_in_cpu_seconds_of_training_when_given() -> None:
    """A loaded machine (or a page holding the GIL) stretches wall time: the share is of the work done."""
    schedule = EvalSchedule(budget=0.03, min_interval_s=2.0)
    schedule.done(finished_at_s=0.5, cost_s=0.02, length=20, steps_s=0.002, frames=11)  # the first, outside
    schedule.done(finished_at_s=3.0, cost_s=0.06, length=20, steps_s=0.006, frames=11)
    expected = schedule.expected_cost(20)
    enough_cpu = (0.06 + expected) / 0.03
    assert not schedule.due(100.0, expected_length=20, cpu_s=enough_cpu - 0.1), "wall time alone buys nothing"
    assert schedule.due(100.0, expected_length=20, cpu_s=enough_cpu + 0.1)
    assert not schedule.due(4.0, expected_length=20, cpu_s=1_000.0), "clips stay min_interval_s apart on the wall"
