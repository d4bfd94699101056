"""Every stored run writes TensorBoard event files in its folder, so ``tensorboard --logdir RUNS_DIR`` shows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from agents.config.run_config import build_config
from agents.runs.control import RunControl
from agents.runs.events import CollectingSink, Ended, Episode
from agents.runs.metrics_output import TensorBoardOutput
from agents.runs.training import TrainJob, train

RUN_ID = "20261130-000000-abcdef"
TINY_PPO = {"n_steps": 64, "batch_size": 64, "n_epochs": 1, "net_arch": "32"}
TINY_GRPO = {"group_size": 2, "groups_per_update": 2, "n_epochs": 1, "batch_size": 64, "net_arch": "32"}


def _scalars(folder: Path) -> EventAccumulator:
    events = EventAccumulator(str(folder / "tensorboard"))
    events.Reload()
    return events


def _train(folder: Path, config: Any, **job: Any) -> CollectingSink:
    sink = CollectingSink()
    train(TrainJob(RUN_ID, config, folder=folder, record_episodes=False, **job), RunControl(), sink)
    assert sink.of_type(Ended)[-1].status == "finished"
    return sink


@pytest.mark.parametrize(
    ("env_id", "algo", "overrides", "logged"),
    [
        ("CartPole-v1", "ppo", TINY_PPO, {"rollout/ep_rew_mean", "rollout/ep_len_mean", "train/value_loss"}),
        ("CartPole-v1", "grpo", TINY_GRPO, {"rollout/ep_rew_mean", "train/loss"}),
        ("FrozenLake-v1", "q_learning", {}, {"train/epsilon"}),
    ],
)
def test_a_run_writes_tensorboard_scalars_of_its_episodes_and_of_what_the_algorithm_logs(
    tmp_path: Path, env_id: str, algo: str, overrides: dict[str, Any], logged: set[str]
) -> None:
    config = build_config(env_id, algo, preset="defaults", overrides=overrides, timesteps=512)
    sink = _train(tmp_path, config)
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    events = _scalars(tmp_path)
    tags = set(events.Tags()["scalars"])
    assert logged | {"episode/return", "episode/true_return", "episode/length"} <= tags
    episodes = sink.of_type(Episode)
    written = events.Scalars("episode/true_return")
    assert [(e.step, e.value) for e in written] == [(e.step, pytest.approx(e.true_return)) for e in episodes]
    assert [e.value for e in events.Scalars("episode/length")] == [e.length for e in episodes]


def test_a_resumed_run_continues_the_same_curve_in_the_same_folder(tmp_path: Path) -> None:
    config = build_config("CartPole-v1", "ppo", preset="defaults", overrides=TINY_PPO, timesteps=256)
    first = _train(tmp_path, config)
    longer = build_config("CartPole-v1", "ppo", preset="defaults", overrides=TINY_PPO, timesteps=512)
    resumed = _train(tmp_path, longer, start_step=256)
    steps = [e.step for e in _scalars(tmp_path).Scalars("episode/true_return")]
    assert steps == [e.step for e in first.of_type(Episode) + resumed.of_type(Episode)]
    assert steps[-1] > 256


def test_points_past_the_checkpoint_a_run_resumes_from_are_hidden(tmp_path: Path) -> None:
    """A stopped on-policy run rewinds to its last whole update: what it logged after that is not in its records."""
    first = TensorBoardOutput(tmp_path / "tensorboard")
    for step in (100, 200, 300):
        first.episode(Episode(step, 1.0, float(step), 10, 0.0))
    first.close()
    again = TensorBoardOutput(tmp_path / "tensorboard", purge_step=200)
    again.episode(Episode(250, 1.0, 250.0, 10, 0.0))
    again.close()
    points = _scalars(tmp_path).Scalars("episode/true_return")
    assert [(e.step, e.value) for e in points] == [(100, 100.0), (250, 250.0)]


def test_a_run_kept_in_memory_or_priced_without_tensorboard_writes_no_event_files(tmp_path: Path) -> None:
    config = build_config("CartPole-v1", "ppo", preset="defaults", overrides=TINY_PPO, timesteps=128)
    _train(tmp_path, config, tensorboard=False)
    assert not (tmp_path / "tensorboard").exists()
