"""Runs that learn their reward from preferences: configuration, the headless trainer, the run's folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from agents.config.run_config import ConfigError, RunConfig, build_config
from agents.train import main

TINY_PPO = ["--set", "n_steps=64", "--set", "batch_size=32", "--set", "n_epochs=1", "--set", "net_arch=32"]


def test_checking_a_feedback_configuration_imports_no_torch() -> None:
    code = (
        "import sys; from agents.config.run_config import build_config; "
        "build_config('Pendulum-v1', 'ppo', feedback={'feedback': 'rule', 'rule': 'reward'}); "
        "assert 'torch' not in sys.modules and 'stable_baselines3' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


def test_a_feedback_run_config_round_trips_through_its_stored_form() -> None:
    config = build_config("Pendulum-v1", "ppo", feedback={"feedback": "oracle", "labels": "60"})
    assert config.feedback is not None and config.feedback.labels == 60
    again = RunConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
    assert build_config("Pendulum-v1", "ppo").to_dict()["feedback"] is None


@pytest.mark.parametrize(
    ("env_id", "algo", "kwargs", "field"),
    [
        ("FrozenLake-v1", "q_learning", {"feedback": {"feedback": "oracle"}}, "feedback"),
        ("CartPole-v1", "ppo", {"feedback": {"feedback": "oracle"}}, "feedback"),  # clips tie: fixed horizon
        ("Acrobot-v1", "ppo", {"feedback": {"feedback": "oracle"}, "shaping": {"living_reward": 1}}, "feedback"),
        ("Acrobot-v1", "ppo", {"feedback": {"feedback": "oracle", "labels": "0"}}, "labels"),
        ("Acrobot-v1", "ppo", {"feedback": {"feedback": "rule", "rule": "open('x')"}}, "rule"),
    ],
)
def test_feedback_settings_that_cannot_run_are_refused_before_anything_is_built(
    env_id: str, algo: str, kwargs: dict, field: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config(env_id, algo, **kwargs)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--labels", "50"], "need --feedback"),
        (["--feedback", "human"], "feedback lab"),
        (["--feedback", "rule"], "needs a rule"),
        (["--feedback", "oracle", "--label-noise", "2"], "label_noise"),
    ],
)
def test_the_cli_refuses_bad_feedback_flags_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    status = main(["--env", "FixedHorizonCartPole-v0", "--algo", "ppo", "--runs-dir", str(tmp_path), *argv])
    assert status == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was built or written


def test_the_headless_trainer_learns_from_oracle_labels_and_reports_them(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    argv = ["--env", "Pendulum-v1", "--algo", "ppo", "--timesteps", "640", "--quiet", "--runs-dir", str(tmp_path)]
    status = main([*argv, *TINY_PPO, "--feedback", "oracle", "--labels", "12", "--initial-labels", "6"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert status == 0, out
    assert out["labels_used"] == 12
    assert out["feedback"]["labels"] == 12
    assert out["reward_model_accuracy"] is None or 0.0 <= out["reward_model_accuracy"] <= 1.0
    assert -1.0 <= out["reward_correlation"] <= 1.0
    folder = tmp_path / out["run_id"]
    assert (folder / "reward_model.pt").is_file()
    episodes = pd.concat(pd.read_csv(f, skiprows=1) for f in (folder / "monitor").glob("*.csv"))
    # the agent was paid the learned reward; the env's own return is kept beside it
    assert len(episodes) == 3
    assert (episodes["r"] - episodes["true_return"]).abs().min() > 1.0
