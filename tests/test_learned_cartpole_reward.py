"""The reward learned on fixed-horizon CartPole pays a centred pole as much as a leaning one: nothing to game.

With 100 oracle labels the agent used to learn to push one way and fall (true return 9) although the reward
model ordered every held-out pair right: unbounded and barely fit, the learned reward was near-linear in the
state and paid a pole leaning hard one way more than a centred one, by almost as much as the fall cost.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401
from agents.feedback.fragments import FragmentSampler, pair_up
from agents.feedback.labelers import OracleLabeler
from agents.feedback.reward_model import RewardModelTrainer, RewardNet, reward_net_for

CENTRED = np.zeros((1, 4), np.float32)
LEANING = np.array([[0.0, 0.0, 0.15, 1.5], [0.0, 0.0, -0.15, -1.5]], np.float32)
"""A pole 8.6 degrees off vertical and falling further, either way: upright by the env's rule, about to fall."""


def _fit_on_random_play(net: RewardNet, trainer: RewardModelTrainer) -> None:
    sampler = FragmentSampler(lambda: gym.make("FixedHorizonCartPole-v0"), 50, seed=0)
    rng = np.random.default_rng(0)
    oracle = OracleLabeler(seed=0)
    for _ in range(5):  # 100 labels in five queries, a refit after each, as the preference loop does
        pairs = pair_up(sampler.sample(lambda obs: int(rng.integers(2)), 40))
        trainer.add(pairs, oracle.label(pairs))
        trainer.train()


def _lean_bonus(net: RewardNet) -> tuple[float, float]:
    """How much more the best-paid leaning state earns than a centred pole, as a fraction of what falling costs;
    and the centred pole's reward minus the fallen state's."""
    fallen = gym.make("FixedHorizonCartPole-v0").unwrapped._obs()[None]
    reward = {
        name: net.predict(obs, np.zeros(len(obs))) for name, obs in (("c", CENTRED), ("l", LEANING), ("f", fallen))
    }
    fall_cost = float(reward["c"][0] - reward["f"][0])
    return float(reward["l"].max() - reward["c"][0]) / fall_cost, fall_cost


def test_the_learned_reward_pays_a_leaning_pole_no_more_than_a_centred_one() -> None:
    env = gym.make("FixedHorizonCartPole-v0")
    net = reward_net_for(env.observation_space, env.action_space, seed=0)
    trainer = RewardModelTrainer(net, seed=0)
    _fit_on_random_play(net, trainer)
    assert trainer.accuracy() == 1.0
    bonus, fall_cost = _lean_bonus(net)
    assert fall_cost > 1.5, "upright pays about +1, the fallen state about -1"
    assert bonus < 0.05, f"leaning pays {bonus:.0%} of the fall's cost more than centred: the agent would lean"
    raw = net.predict(np.random.default_rng(0).normal(0, 10, (100, 4)).astype(np.float32), np.zeros(100))
    assert np.all(np.abs(raw) <= 1), "bounded: even far outside what the clips showed"


@pytest.mark.parametrize(("bounded", "min_gradient_steps"), [(False, 3), (False, 100), (True, 3)])
def test_unbounded_or_barely_fit_the_same_labels_pay_leaning(bounded: bool, min_gradient_steps: int) -> None:
    """The faults, kept visible: each alone leaves a lean bonus of a third of the fall's cost or more."""
    env = gym.make("FixedHorizonCartPole-v0")
    net = RewardNet(env.observation_space, env.action_space, seed=0, use_action=False, bounded=bounded)
    trainer = RewardModelTrainer(net, seed=0, min_gradient_steps=min_gradient_steps)
    _fit_on_random_play(net, trainer)
    assert trainer.accuracy() == 1.0, "every held-out pair ordered right, and still gameable"
    assert _lean_bonus(net)[0] > 0.3
