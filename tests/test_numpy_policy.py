"""Evaluation episodes act through a numpy copy of the policy: it must choose what SB3's predict chooses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from agents.config.run_config import build_config
from agents.runs.numpy_policy import numpy_policy

CASES = [
    ("CartPole-v1", "ppo", {"n_steps": 64, "batch_size": 64}),
    ("CartPole-v1", "a2c", {}),
    ("CartPole-v1", "dqn", {"exploration_initial_eps": 0.0, "exploration_final_eps": 0.0}),
    ("FrozenLake-v1", "ppo", {"n_steps": 64, "batch_size": 64}),
    ("FrozenLake-v1", "dqn", {"exploration_initial_eps": 0.0, "exploration_final_eps": 0.0}),
    ("Pendulum-v1", "ppo", {"n_steps": 64, "batch_size": 64}),
    ("Pendulum-v1", "sac", {}),
    ("Pendulum-v1", "td3", {}),
    ("Pendulum-v1", "ddpg", {}),
    ("MountainCarContinuous-v0", "sac", {}),
]


def model_for(env_id: str, algo: str, overrides: dict[str, Any]) -> Any:
    config = build_config(env_id, algo, preset="defaults", overrides={"net_arch": "32x32", **overrides}, seed=1)
    model = config.algo_info.build(lambda: config.env_info.make(), config.hyperparams, 1)
    with torch.no_grad():  # weights away from their initial symmetry, so actions differ between states
        for parameter in model.policy.parameters():
            parameter.add_(0.3 * torch.randn_like(parameter))
    return model


@pytest.mark.parametrize(("env_id", "algo", "overrides"), CASES, ids=[f"{e}-{a}" for e, a, _ in CASES])
def test_the_numpy_policy_acts_as_predict_does(env_id: str, algo: str, overrides: dict[str, Any]) -> None:
    model = model_for(env_id, algo, overrides)
    act = numpy_policy(model, np.random.default_rng(0), deterministic=True)
    assert act is not None
    space = model.observation_space
    space.seed(0)
    for _ in range(50):
        obs = space.sample()
        expected, _ = model.predict(obs, deterministic=True)
        got = act(obs)
        if np.asarray(expected).dtype.kind in "iu":
            assert int(got) == int(np.asarray(expected).reshape(-1)[0])
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
            assert got.shape == model.action_space.shape


def test_sampled_actions_follow_the_policys_distribution() -> None:
    model = model_for("CartPole-v1", "ppo", {"n_steps": 64, "batch_size": 64})
    obs = np.array([0.1, -0.2, 0.05, 0.3], dtype=np.float32)
    with torch.no_grad():
        probs = model.policy.get_distribution(torch.as_tensor(obs[None])).distribution.probs.numpy()[0]
    act = numpy_policy(model, np.random.default_rng(0))
    counts = np.bincount([act(obs) for _ in range(4000)], minlength=2) / 4000
    np.testing.assert_allclose(counts, probs, atol=0.03)


def test_gaussian_samples_have_the_policys_mean_and_spread() -> None:
    model = model_for("Pendulum-v1", "ppo", {"n_steps": 64, "batch_size": 64})
    with torch.no_grad():
        model.policy.log_std.fill_(np.log(0.2))
    obs = np.array([0.5, 0.5, 0.1], dtype=np.float32)
    mean, _ = model.predict(obs, deterministic=True)
    act = numpy_policy(model, np.random.default_rng(0))
    samples = np.array([act(obs) for _ in range(4000)])
    assert abs(samples.mean() - float(mean[0])) < 0.02 and abs(samples.std() - 0.2) < 0.02


def test_models_it_cannot_copy_fall_back_to_predict() -> None:
    config = build_config("FrozenLake-v1", "q_learning", seed=0)
    model = config.algo_info.build(lambda: config.env_info.make(), config.hyperparams, 0)
    assert numpy_policy(model, np.random.default_rng(0)) is None
