"""Fixed-horizon episodes: a clip's length must never give away which clip was better."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the playground's envs)
from envs.fixed_horizon import CARTPOLE_HORIZON, FIXED_HORIZON_CARTPOLE_ID, AbsorbAfterTermination


def _play(env: gym.Env, actions: list[int], seed: int) -> tuple[list[float], int, bool]:
    env.reset(seed=seed)
    rewards, terminated = [], False
    for action in actions:
        _, reward, terminated, truncated, _ = env.step(action)
        rewards.append(float(reward))
        if terminated or truncated:
            break
    return rewards, len(rewards), terminated


def test_fixed_horizon_cartpole_always_lasts_500_steps_and_pays_the_steps_the_pole_stayed_up() -> None:
    rng = np.random.default_rng(0)
    actions = [int(a) for a in rng.integers(0, 2, size=CARTPOLE_HORIZON)]
    plain_rewards, plain_length, plain_terminated = _play(gym.make("CartPole-v1"), actions, seed=3)
    fixed_rewards, fixed_length, fixed_terminated = _play(gym.make(FIXED_HORIZON_CARTPOLE_ID), actions, seed=3)

    assert plain_terminated and plain_length < 100  # random actions drop the pole early
    assert fixed_length == CARTPOLE_HORIZON and not fixed_terminated
    assert sum(fixed_rewards) == sum(plain_rewards) == plain_length  # the true return is unchanged
    assert set(fixed_rewards[plain_length:]) == {0.0}


def test_after_the_fall_every_step_shows_one_absorbing_observation_and_the_picture_stays() -> None:
    env = gym.make(FIXED_HORIZON_CARTPOLE_ID, render_mode="rgb_array")
    env.reset(seed=0)
    observations, frames = [], []
    for _ in range(60):
        obs, _, _, _, info = env.step(0)
        observations.append(obs)
        frames.append(env.render())
    assert info["absorbed"] is True
    # one fixed absorbing observation (the corner of the observation space), whatever the place of the fall
    np.testing.assert_allclose(observations[-1], [4.8, 0.0, 2 * (12 * 2 * np.pi / 360), 0.0], rtol=1e-6)
    other = gym.make(FIXED_HORIZON_CARTPOLE_ID)
    other.reset(seed=5)
    for _ in range(60):
        other_obs, *_ = other.step(1)
    np.testing.assert_array_equal(observations[-1], other_obs)
    np.testing.assert_array_equal(frames[-1], frames[-2])  # the picture keeps the pole where it fell


@pytest.mark.parametrize(("env_id", "absorb_reward"), [("MountainCar-v0", 0.0), ("Acrobot-v1", 0.0)])
def test_absorb_after_termination_keeps_the_horizon_of_the_spec(env_id: str, absorb_reward: float) -> None:
    env = AbsorbAfterTermination(gym.make(env_id), absorb_reward=absorb_reward)
    horizon = gym.spec(env_id).max_episode_steps
    env.reset(seed=0)
    steps = 0
    while True:
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        steps += 1
        assert not terminated
        if truncated:
            break
    assert steps == horizon


def test_absorbing_state_repeats_the_last_observation_and_pays_the_absorb_reward() -> None:
    env = AbsorbAfterTermination(gym.make("CartPole-v1"), absorb_reward=-1.0, horizon=40)
    env.reset(seed=1)
    results = [env.step(1) for _ in range(40)]
    absorbed = [r for r in results if r[4].get("absorbed")]
    assert absorbed, "pushing right for 40 steps drops the pole"
    assert {r[1] for r in absorbed} == {-1.0}
    assert results[-1][3] is True and not any(r[2] for r in results)
    first = absorbed[0]
    np.testing.assert_array_equal(first[0], absorbed[-1][0])


def test_a_horizon_is_required() -> None:
    class NoSpec(gym.Env):
        observation_space = gym.spaces.Discrete(1)
        action_space = gym.spaces.Discrete(1)

    with pytest.raises(ValueError, match="horizon"):
        AbsorbAfterTermination(NoSpec())
