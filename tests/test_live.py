"""The live seam's own rules: when evaluation episodes play, and what they cost a run."""

from __future__ import annotations

import time

import pytest

import agents.runs.live as live
from agents.config.run_config import build_config
from agents.runs.live import EvalSchedule
from agents.runs.run import Run


def test_first_evaluation_comes_early_so_a_learner_sees_the_agent_within_a_second() -> None:
    schedule = EvalSchedule(first_after_s=0.5)
    assert not schedule.due(0.4) and schedule.due(0.5)


@pytest.mark.parametrize("length", [10, 200, 1000])
def test_the_wait_is_priced_at_the_expected_episode_length(length: int) -> None:
    schedule = EvalSchedule(budget=0.03, min_interval_s=3.0)
    schedule.done(finished_at_s=1.0, cost_s=0.02, length=20)  # 1 ms a step, measured on a short episode
    wait = max(3.0, 0.001 * length / 0.03)
    assert not schedule.due(1.0 + wait - 0.01, expected_length=length)
    assert schedule.due(1.0 + wait + 0.01, expected_length=length)


def test_evaluation_stays_within_its_share_of_a_real_run(monkeypatch: pytest.MonkeyPatch) -> None:
    spent: list[float] = []
    original = live.LiveCallback.run_evaluation

    def timed(self: live.LiveCallback) -> None:
        started = time.perf_counter()
        original(self)
        spent.append(time.perf_counter() - started)

    monkeypatch.setattr(live.LiveCallback, "run_evaluation", timed)
    run = Run(build_config("CartPole-v1", "ppo", seed=0, timesteps=40_000))
    run.start()
    assert run.join(120)
    snap = run.snapshot()
    in_training = spent[:-1]  # the last one plays after learn() returns, to show the final policy
    assert in_training, "at least one evaluation episode played while training"
    assert sum(in_training) / snap.elapsed_s <= 0.06
    assert snap.evaluation is not None and snap.evaluation.gif.startswith(b"GIF8")
