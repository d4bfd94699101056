"""GRPO through stable-baselines3's surface: groups from one seed, callbacks, logged values, save/load, seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import KVWriter, Logger
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

from agents.algos.grpo.grpo import GRPO
from agents.algos.grpo.policy import count_parameters
from agents.config.schema import HyperParamError

TINY = {"group_size": 2, "groups_per_update": 2, "n_epochs": 2, "batch_size": 64, "net_arch": "32"}


def cartpole() -> gym.Env:
    return Monitor(gym.make("CartPole-v1"))


def pendulum() -> gym.Env:
    return Monitor(gym.make("Pendulum-v1", max_episode_steps=20))


class Recorder(BaseCallback):
    """Records the callback events, the episodes the model reports and the first observation of each attempt."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []
        self.episodes: list[dict[str, Any]] = []

    def _on_training_start(self) -> None:
        self.events.append("training_start")

    def _on_rollout_start(self) -> None:
        self.events.append("rollout_start")

    def _on_rollout_end(self) -> None:
        self.events.append("rollout_end")

    def _on_training_end(self) -> None:
        self.events.append("training_end")

    def _on_step(self) -> bool:
        assert self.num_timesteps == self.model.num_timesteps
        assert len(self.locals["infos"]) == len(self.locals["dones"])
        self.episodes += [info["episode"] for info in self.locals["infos"] if "episode" in info]
        return True


class Collect(KVWriter):
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def write(self, key_values: dict[str, Any], key_excluded: Any, step: int = 0) -> None:
        self.rows.append(dict(key_values))


def test_trains_on_discrete_actions_through_callbacks_and_the_logger() -> None:
    model = GRPO(cartpole, seed=0, **TINY)
    sink = Collect()
    model.set_logger(Logger(None, [sink]))
    recorder = Recorder()
    model.learn(300, callback=recorder)
    assert model.num_timesteps >= 300
    assert recorder.events[0] == "training_start" and recorder.events[-1] == "training_end"
    assert recorder.events.count("rollout_start") == recorder.events.count("rollout_end") >= 1
    # every attempt of every update ended, and each step taken was counted once
    assert len(recorder.episodes) == 4 * recorder.events.count("rollout_end")
    assert sum(e["l"] for e in recorder.episodes) == model.num_timesteps
    logged = sink.rows[-1]
    for key in (
        "train/policy_gradient_loss",
        "train/kl",
        "train/clip_fraction",
        "train/entropy_loss",
        "train/frac_reward_zero_std",
        "train/approx_kl",
        "rollout/ep_rew_mean",
    ):
        assert np.isfinite(logged[key]), key
    assert 0.0 <= logged["train/frac_reward_zero_std"] <= 1.0


def test_trains_on_continuous_actions_within_the_action_bounds() -> None:
    model = GRPO(pendulum, seed=0, **TINY)
    model.learn(200)
    assert model.num_timesteps >= 200
    actions, _ = model.predict(np.zeros((5, 3), dtype=np.float32))
    assert actions.shape == (5, 1) and np.all(np.abs(actions) <= 2.0)
    single, _ = model.predict(np.zeros(3, dtype=np.float32), deterministic=True)
    assert single.shape == (1,)
    assert count_parameters(model.policy) == (3 * 32 + 32) + (32 * 1 + 1) + 1  # two layers and the log std


def test_the_attempts_of_a_group_start_from_the_same_state_and_groups_from_different_ones() -> None:
    model = GRPO(cartpole, seed=3, group_size=3, groups_per_update=2, net_arch="32")
    starts: list[np.ndarray] = []

    class FirstObs(BaseCallback):
        def _on_rollout_start(self) -> None:
            starts.extend(env.unwrapped.state.copy() for env in self.model.get_env().envs)  # type: ignore[union-attr]

        def _on_step(self) -> bool:
            return False  # one step is enough: the resets have happened

    model.learn(10, callback=FirstObs())
    np.testing.assert_array_equal(starts[0], starts[1])
    np.testing.assert_array_equal(starts[0], starts[2])
    np.testing.assert_array_equal(starts[3], starts[5])
    assert not np.array_equal(starts[0], starts[3])


def test_a_callback_returning_false_ends_learn_at_once() -> None:
    class StopAt(BaseCallback):
        def _on_step(self) -> bool:
            return self.n_calls < 7

    model = GRPO(cartpole, seed=0, **TINY)
    model.learn(10_000, callback=StopAt())
    assert model.num_timesteps <= 7 * 4  # seven lock-steps of at most four attempts


def test_the_same_seed_gives_the_same_weights_and_another_seed_does_not() -> None:
    def weights(seed: int) -> torch.Tensor:
        model = GRPO(cartpole, seed=seed, **TINY)
        torch.manual_seed(seed + 99)  # the global generator must not matter
        model.learn(300)
        return torch.cat([p.detach().flatten() for p in model.policy.parameters()])

    assert torch.equal(weights(1), weights(1))
    assert not torch.equal(weights(1), weights(2))


def test_save_and_load_give_identical_predictions_and_continue_counting(tmp_path: Path) -> None:
    model = GRPO(cartpole, seed=0, beta=0.1, ref_update_interval=2, **TINY)
    model.learn(300)
    model.save(tmp_path / "grpo")
    loaded = GRPO.load(tmp_path / "grpo.zip", env=cartpole)
    observations = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    np.testing.assert_array_equal(
        model.predict(observations, deterministic=True)[0], loaded.predict(observations, deterministic=True)[0]
    )
    for saved, restored in zip(model.reference.parameters(), loaded.reference.parameters(), strict=True):
        assert torch.equal(saved, restored)
    assert loaded.num_timesteps == model.num_timesteps
    assert loaded.hyperparams == model.hyperparams
    steps = loaded.num_timesteps
    loaded.learn(100, reset_num_timesteps=False)
    assert loaded.num_timesteps >= steps + 100


def test_a_loaded_model_predicts_without_an_env_and_refuses_to_learn(tmp_path: Path) -> None:
    GRPO(pendulum, seed=0, **TINY).save(tmp_path / "m.zip")
    loaded = GRPO.load(tmp_path / "m.zip")
    action, _ = loaded.predict(np.zeros(3, dtype=np.float32))
    assert action.shape == (1,)
    with pytest.raises(RuntimeError, match="no environment"):
        loaded.learn(10)


def test_load_refuses_a_checkpoint_of_another_algorithm(tmp_path: Path) -> None:
    from stable_baselines3 import PPO

    PPO("MlpPolicy", "CartPole-v1", n_steps=16, batch_size=16, device="cpu").save(tmp_path / "ppo.zip")
    with pytest.raises(ValueError, match="not a GRPO one"):
        GRPO.load(tmp_path / "ppo.zip")


def test_bad_hyperparameters_and_envs_are_refused_before_training() -> None:
    with pytest.raises(HyperParamError, match="group_size"):
        GRPO(cartpole, group_size=1)
    with pytest.raises(ValueError, match="needs 4 envs, not 3"):
        GRPO(DummyVecEnv([cartpole] * 3), **TINY)
    with pytest.raises(ValueError, match="time limit"):
        GRPO(lambda: gym.make("CartPole-v1", max_episode_steps=None).unwrapped, **TINY)


@pytest.mark.slow
def test_the_demo_preset_solves_cartpole_within_300k_steps() -> None:
    """The issue's goal, with a fixed seed: the mean of the last 20 training episodes reaches 475 (3 of 3 seeds in
    benchmarks/bench_grpo.py; one here)."""
    from agents.config.run_config import build_config
    from agents.runs.run import Run, RunStatus

    config = build_config("CartPole-v1", "grpo", seed=0, timesteps=300_000, stop_when_solved=True)
    assert config.preset == "demo"
    run = Run(config, record_episodes=False)
    run.start()
    assert run.join(600) and run.status == RunStatus.FINISHED, run.error
    snap = run.snapshot()
    assert snap.solved_at_step is not None and snap.solved_at_step <= 300_000
