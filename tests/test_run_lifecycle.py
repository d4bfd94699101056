"""A run's life in a worker process: pause really pauses, stop ends it at once, failures end it readably, caps and
'solved' end it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from agents.config.run_config import ConfigError, RunConfig, build_config
from agents.runs.manager import RUN_ID_PATTERN
from agents.runs.run import Run, RunStatus, describe_failure, new_run_id
from agents.runs.workers.process import ProcessExecutor, live_worker_pids
from envs.shaping import RewardStepError, ShapingError
from tests.conftest import run_threads, wait_until
from tests.worker_envs import WORKER_IMPORTS, registered

LONG = 1_000_000
"""A budget no test reaches: these runs end by pause/stop/cap/failure, never by finishing."""


@pytest.fixture(autouse=True)
def _misbehaving_envs() -> Iterator[None]:
    """The tests' misbehaving envs, registered for each test of this module only."""
    with registered():
        yield


def long_config(env_id: str = "CartPole-v1", algo: str = "ppo", **kwargs: Any) -> RunConfig:
    overrides: dict[str, object] = {"net_arch": "32"}
    if algo == "ppo":
        overrides |= {"n_steps": 64, "batch_size": 64, "n_epochs": 2}
    else:
        overrides |= {"buffer_size": 1000, "learning_starts": 50, "batch_size": 32}
    overrides |= kwargs.pop("overrides", {})
    kwargs.setdefault("timesteps", LONG)
    return build_config(env_id, algo, preset="defaults", overrides=overrides, **kwargs)


EXECUTOR = ProcessExecutor(imports=WORKER_IMPORTS)
"""Runs train in worker processes, as in the server."""


def start(config: RunConfig) -> Run:
    run = Run(config, record_episodes=False)
    run.start(EXECUTOR)
    return run


def start_training(config: RunConfig, min_steps: int = 1) -> Run:
    """Start a run and wait until it has taken ``min_steps`` steps."""
    run = start(config)
    assert wait_until(lambda: run.snapshot().timesteps >= min_steps, timeout=30), (run.status, run.error)
    return run


def stop_and_wait(run: Run, within_s: float = 2.0) -> float:
    """Stop the run; return how long its thread took to end (fails the test past ``within_s``)."""
    began = time.perf_counter()
    run.stop()
    ended = run.join(within_s)
    took = time.perf_counter() - began
    assert ended, f"the run was still training {within_s} s after stop()"
    return took


def test_new_run_is_queued_until_started_and_ids_are_well_formed() -> None:
    run = Run(long_config())
    assert run.status == RunStatus.QUEUED and run.status.active
    assert not run.alive
    assert RUN_ID_PATTERN.match(run.id)
    assert len({new_run_id() for _ in range(50)}) == 50


@pytest.mark.parametrize(("env_id", "algo"), [("CartPole-v1", "ppo"), ("Pendulum-v1", "sac")])
def test_pause_really_pauses_and_resume_continues(env_id: str, algo: str) -> None:
    run = start_training(long_config(env_id, algo), min_steps=100)
    run.pause()
    assert run.status == RunStatus.PAUSED
    time.sleep(0.3)  # let the thread reach its next checkpoint (one env step or optimizer step)
    steps, clock = run.snapshot().timesteps, run.snapshot().elapsed_s
    time.sleep(1.0)
    assert run.snapshot().timesteps == steps, "timesteps advanced while paused"
    assert run.snapshot().elapsed_s == pytest.approx(clock, abs=1e-6), "the training clock ran while paused"
    assert run.alive
    run.resume()
    assert run.status == RunStatus.RUNNING
    assert wait_until(lambda: run.snapshot().timesteps > steps, timeout=5), "no progress after resume"
    stop_and_wait(run)
    assert run.status == RunStatus.STOPPED


def test_stop_ends_the_worker_promptly_and_leaves_no_process_or_thread() -> None:
    run = start_training(long_config(), min_steps=200)
    pid = run.worker.pid  # type: ignore[union-attr]
    assert pid in live_worker_pids()
    took = stop_and_wait(run, within_s=2.0)
    assert took < 2.0
    assert run.status == RunStatus.STOPPED and not run.status.active
    assert run.end_reason == "stopped by the user"
    assert run.error == ""
    assert pid not in live_worker_pids()
    assert not run_threads()


def test_stop_during_a_long_update_phase_is_prompt() -> None:
    """50 epochs over a 2048-step rollout take seconds; stop is checked before every optimizer step."""
    config = long_config(overrides={"n_steps": 2048, "batch_size": 32, "n_epochs": 50})
    run = start_training(config, min_steps=2048)  # the first rollout is collected: now it is updating
    time.sleep(0.2)
    stop_and_wait(run, within_s=1.5)
    assert run.status == RunStatus.STOPPED


def test_stop_while_paused_ends_the_run() -> None:
    run = start_training(long_config(), min_steps=50)
    run.pause()
    time.sleep(0.2)
    stop_and_wait(run)
    assert run.status == RunStatus.STOPPED


def test_stop_before_start_never_trains() -> None:
    run = Run(long_config())
    run.stop()
    run.start(EXECUTOR)
    assert run.join(5)
    assert run.status == RunStatus.STOPPED
    assert run.end_reason == "stopped while queued"
    assert run.worker is None and run.snapshot().timesteps == 0


def test_pause_and_resume_of_an_ended_run_change_nothing() -> None:
    run = start(long_config(timesteps=200))
    assert run.join(30)
    assert run.status == RunStatus.FINISHED
    run.pause()
    assert run.status == RunStatus.FINISHED
    run.resume()
    run.stop()
    assert run.status == RunStatus.FINISHED


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("reward/(x-x)", ("division by zero", "step 1 of episode 1")),
        ("log(x-x)", ("log(0.0) is not defined",)),
        ("1/(t-3)", ("division by zero", "step 3 of episode 1")),
        ("exp(1000*(t>5))", ("too large", "step 6")),
    ],
)
def test_a_reward_expression_that_goes_non_finite_fails_the_run_readably(
    expression: str, words: tuple[str, ...]
) -> None:
    """These pass the compile-time checks (they depend on the state) and fail at the step where they blow up."""
    config = long_config(shaping={"reward_expr": expression})
    run = start(config)
    assert run.join(30)
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("The shaped reward failed: reward expression")
    assert "\n" not in run.error and "Traceback" not in run.error
    for word in words:
        assert word in run.error
    assert not run.alive


@pytest.mark.parametrize("expression", ["log(0)", "1/0", "9**9**9", "sqrt(-1)"])
def test_constant_expressions_that_cannot_be_finite_are_refused_before_any_run(expression: str) -> None:
    with pytest.raises(ConfigError, match="reward expression"):
        build_config("CartPole-v1", "ppo", shaping={"reward_expr": expression})


def test_an_env_that_raises_fails_the_run_and_the_next_run_trains() -> None:
    run = start(long_config("RaisingCartPole-v0"))
    assert run.join(30)
    assert run.status == RunStatus.FAILED
    assert run.error == "RuntimeError: the simulator crashed"
    assert run.snapshot().timesteps >= 100, "the stats it gathered before failing are kept"
    after = start(long_config(timesteps=300))
    assert after.join(30)
    assert after.status == RunStatus.FINISHED, after.error


def test_a_failure_while_building_fails_the_run() -> None:
    run = start(long_config("NoMemoryCartPole-v0"))
    assert run.join(30)
    assert run.status == RunStatus.FAILED
    assert "out of memory" in run.error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ShapingError("potential gave nan"), "The shaped reward failed: potential gave nan"),
        (RewardStepError("reward expression gave inf at step 3"), "The shaped reward failed: reward expression gave"),
        (FloatingPointError("an episode's return became nan at step 40"), "Training diverged: values became NaN"),
        (ValueError("Expected parameter loc to satisfy ... found invalid values:\ntensor([nan])"), "Training diverged"),
        (RuntimeError("the loss is NaN at update 3"), "Training diverged"),
        (RuntimeError("server maintenance"), "RuntimeError: server maintenance"),
        (KeyError("tenant"), "KeyError: 'tenant'"),
        (MemoryError(), "The run ran out of memory; try a smaller buffer_size"),
        (RuntimeError("boom\nline two\nline three"), "RuntimeError: boom"),
        (KeyError("obs"), "KeyError: 'obs'"),
        (RuntimeError(""), "RuntimeError"),
    ],
)
def test_describe_failure_gives_one_readable_line(error: BaseException, expected: str) -> None:
    text = describe_failure(error)
    assert text.startswith(expected)
    assert "\n" not in text
    assert "line two" not in text


def test_describe_failure_cuts_long_messages() -> None:
    text = describe_failure(RuntimeError("x" * 10_000))
    assert text.startswith("RuntimeError: xxx")
    assert len(text) <= 350


def test_wall_clock_cap_ends_the_run() -> None:
    run = start(long_config(max_wall_s=1.0))
    assert run.join(15), "the wall-clock cap did not end the run"
    snap = run.snapshot()
    assert run.status == RunStatus.FINISHED, run.error
    assert run.end_reason == "reached the wall-clock cap of 1 s"
    assert 1.0 <= snap.elapsed_s < 5.0
    assert 0 < snap.timesteps < LONG


@pytest.mark.slow
def test_stop_when_solved_ends_cartpole_early() -> None:
    """The CartPole demo preset with seed 1 solves well before the end of its budget (deterministic, ~5 s)."""
    config = build_config("CartPole-v1", "ppo", seed=1, stop_when_solved=True)
    assert config.preset == "demo"
    run = start(config)
    assert run.join(120)
    snap = run.snapshot()
    assert run.status == RunStatus.FINISHED, run.error
    assert run.end_reason == "solved"
    assert snap.solved_at_step is not None and snap.solved_at_s is not None
    assert snap.solved_at_step <= snap.timesteps < config.total_timesteps
    assert snap.timesteps == snap.solved_at_step, "the run ends on the step it is solved"
    returns, steps = snap.episode_true_returns, snap.episode_steps

    def solved_after(index: int) -> bool:
        return index >= 19 and float(np.mean(returns[index - 19 : index + 1])) >= 475.0

    assert any(solved_after(i) for i, step in enumerate(steps) if step == snap.solved_at_step)
    assert not any(solved_after(i) for i, step in enumerate(steps) if step < snap.solved_at_step), "solved earlier"
    assert 0 < snap.solved_at_s <= snap.elapsed_s
