"""Finite means finite in the learner: SB3 stores rewards and observations as float32, and a logged value that
diverges ends the run with its name and step instead of vanishing from the chart."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

from agents.config.run_config import ConfigError, build_config
from agents.runs.events import CollectingSink, Metrics
from agents.runs.live import DivergedError, RunStats
from agents.runs.metrics_output import MetricsOutput
from agents.runs.run import Run, RunStatus
from agents.train import EXIT_FAILED, main
from envs.learner_range import FLOAT32_MAX, fits_learner
from envs.shaping import ExpressionReward, RewardStepError, TrueReturnRecorder, preview_shaping
from envs.shaping_config import ShapingConfig
from tests.test_run_lifecycle import long_config
from ui.charts import losses_figure


def test_float32_is_the_learners_range() -> None:
    assert float(np.finfo(np.float32).max) == FLOAT32_MAX
    assert fits_learner(3e38) and fits_learner(-3e38)
    with np.errstate(over="ignore"):
        assert not fits_learner(math.exp(100)) and np.isinf(np.float32(math.exp(100)))
    assert not fits_learner(math.inf) and not fits_learner(math.nan)


def test_a_reward_finite_in_float64_but_not_in_float32_is_refused_at_the_step() -> None:
    env = ExpressionReward(gym.make("CartPole-v1"), "reward*exp(100)", ("x", "x_dot", "theta", "theta_dot"))
    env.reset(seed=0)
    with pytest.raises(RewardStepError, match=r"gave 2.69e\+43 \(the learner stores float32.*at step 1 of episode 1"):
        env.step(0)


class _HugeReward(gym.Wrapper):
    def step(self, action: Any) -> Any:
        obs, _, terminated, truncated, info = self.env.step(action)
        return obs, 1e39, terminated, truncated, info


def test_an_env_reward_beyond_float32_is_refused() -> None:
    env = TrueReturnRecorder(_HugeReward(gym.make("CartPole-v1")))
    env.reset(seed=0)
    with pytest.raises(RewardStepError, match="the environment gave reward 1e\\+39"):
        env.step(0)


@pytest.mark.parametrize("expression", ["exp(100)", "-exp(89)", "1e39"])
def test_an_expression_that_is_always_beyond_float32_is_refused_before_any_run(expression: str) -> None:
    with pytest.raises(ConfigError, match="reward expression"):
        build_config("CartPole-v1", "ppo", shaping={"reward_expr": expression})


def test_the_shaping_preview_refuses_a_reward_the_learner_cannot_store() -> None:
    with pytest.raises(RewardStepError, match="float32"):
        preview_shaping("CartPole-v1", ShapingConfig(reward_expr="reward*exp(100)"))


def test_the_cli_run_of_the_issue_fails_with_one_readable_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--env", "CartPole-v1", "--algo", "dqn", "--timesteps", "3000", "--quiet"]
    argv += ["--reward-expr", "reward*exp(100)", "--runs-dir", str(tmp_path)]
    assert main(argv) == EXIT_FAILED
    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "failed"
    assert summary["error"].startswith("The shaped reward failed: reward expression gave 2.69e+43")
    assert err.strip() == f"error: {summary['error']}" and len(err.strip().splitlines()) == 1
    status = json.loads((Path(summary["run_dir"]) / "status.json").read_text())
    assert (status["status"], status["error"]) == ("failed", summary["error"])


def test_a_logged_value_that_diverges_ends_the_run_and_is_kept() -> None:
    sink = CollectingSink()
    output = MetricsOutput(sink)
    output.write({"train/loss": 0.5, "train/explained_variance": math.nan}, {}, step=100)
    with pytest.raises(DivergedError, match="train/loss became inf at step 1,234"):
        output.write({"train/loss": math.inf, "time/fps": 10}, {}, step=1234)
    assert sink.events == [Metrics(100, {"train/loss": 0.5}), Metrics(1234, {"train/loss": math.inf})], "kept first"
    assert all("train/explained_variance" not in m.values for m in sink.of_type(Metrics)), (
        "SB3's NaN for returns without variance is no divergence"
    )


def test_a_run_whose_loss_overflows_float32_fails_and_says_which_value(tmp_path: Path) -> None:
    """Rewards of 1e20 fit float32, but the value loss squares them: 1e40 is inf in float32."""
    config = long_config(shaping={"reward_expr": "reward*1e20"}, overrides={"n_steps": 32, "batch_size": 32})
    run = Run(config, record_episodes=False)
    run.start()
    assert run.join(60)
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("Training diverged: values became NaN or infinite")
    assert "train/value_loss became inf at step" in run.error


class _NanObservation(gym.Wrapper):
    def step(self, action: Any) -> Any:
        obs, reward, terminated, truncated, info = self.env.step(action)
        return np.full_like(obs, np.nan), reward, terminated, truncated, info


def test_an_observation_the_learner_cannot_store_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import agents.runs.training as run_module  # the worker body, run inline here

    original = run_module.make_training_env

    def with_nan_observations(config, monitor=None, reward=None):  # type: ignore[no-untyped-def]
        return _NanObservation(original(config, monitor, reward))

    monkeypatch.setattr(run_module, "make_training_env", with_nan_observations)
    run = Run(long_config(algo="dqn"), record_episodes=False)
    run.start()
    assert run.join(60)
    assert run.status == RunStatus.FAILED
    assert run.error.startswith(
        "The learner was given a value it cannot store: an observation the learner stores became nan"
    )


def test_the_loss_chart_says_what_it_cannot_draw() -> None:
    stats = RunStats(1000, None)
    stats.add_metrics(100, {"train/loss": 0.5})
    stats.add_metrics(1234, {"train/loss": math.inf})
    figure = losses_figure(stats.snapshot())
    assert list(figure.data[0].y) == [0.5]
    assert "Not drawn: loss became inf at step 1,234" in [a.text for a in figure.layout.annotations]
