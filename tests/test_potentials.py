"""Named potentials, and the policy invariance of potential-based shaping (Ng, Harada & Russell, 1999)."""

from __future__ import annotations

import doctest
import math
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import envs.potentials
from envs.potentials import POTENTIALS, Potential, potentials_for
from envs.registry import ENVS, get_env
from envs.shaping import ExpressionReward, PotentialShaping


# --- Potential-based shaping leaves the optimal policy unchanged (Ng, Harada & Russell, 1999) ---------------
class ChainEnv(gym.Env):
    """States 0..4 on a line; actions 0 = left, 1 = right; −1 a step, +10 on reaching 4, which ends it."""

    observation_space = gym.spaces.Box(0.0, 4.0, shape=(1,), dtype=np.float64)
    action_space = gym.spaces.Discrete(2)
    GOAL = 4

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self.state = (options or {}).get("state", 0)
        return np.array([float(self.state)]), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        self.state = max(0, self.state - 1) if action == 0 else self.state + 1
        at_goal = self.state == self.GOAL
        return np.array([float(self.state)]), (10.0 if at_goal else -1.0), at_goal, False, {}


GAMMA = 0.9


def optimal_q(env: gym.Env) -> np.ndarray:
    """Value iteration on the rewards the (wrapped) env actually pays, one transition per state and action."""
    table = {}
    for state in range(ChainEnv.GOAL):
        for action in (0, 1):
            env.reset(options={"state": state})
            obs, reward, terminated, _, _ = env.step(action)
            table[state, action] = (int(obs[0]), reward, terminated)
    q = np.zeros((ChainEnv.GOAL + 1, 2))
    for _ in range(500):
        v = q.max(axis=1)
        for (state, action), (next_state, reward, terminated) in table.items():
            q[state, action] = reward + (0.0 if terminated else GAMMA * v[next_state])
    return q[: ChainEnv.GOAL]


@pytest.fixture
def chain_potentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        POTENTIALS,
        "Chain",
        {
            "progress": Potential("progress", "helpful: 2 per step towards the goal", lambda obs: 2.0 * obs[0]),
            "misleading": Potential("misleading", "says left is better", lambda obs: -5.0 * obs[0]),
        },
    )


def test_value_iteration_on_the_chain_matches_the_hand_computed_values() -> None:
    q = optimal_q(ChainEnv())
    # Going right: V(3) = 10, V(2) = −1 + 0.9·10 = 8, V(1) = −1 + 0.9·8 = 6.2, V(0) = −1 + 0.9·6.2 = 4.58.
    assert q.max(axis=1) == pytest.approx([4.58, 6.2, 8.0, 10.0])
    assert list(q.argmax(axis=1)) == [1, 1, 1, 1]


@pytest.mark.parametrize("potential", ["progress", "misleading"])
def test_potential_based_shaping_keeps_the_optimal_policy(chain_potentials: None, potential: str) -> None:
    plain = optimal_q(ChainEnv())
    shaped_env = PotentialShaping(ChainEnv(), potential, env_id="Chain", gamma=GAMMA, scale=1.0)
    shaped = optimal_q(shaped_env)
    assert list(shaped.argmax(axis=1)) == list(plain.argmax(axis=1)) == [1, 1, 1, 1]
    # Ng et al.'s theorem, exactly: Q_shaped(s, a) = Q(s, a) − Φ(s).
    phi = np.array([shaped_env.potential.fn(np.array([float(s)])) for s in range(ChainEnv.GOAL)])
    assert shaped == pytest.approx(plain - phi[:, None])


def test_a_bonus_that_is_not_potential_based_can_change_the_optimal_policy() -> None:
    """The contrast that makes the test above meaningful: +3 for every step spent at state 0 makes staying pay."""
    shaped = optimal_q(ExpressionReward(ChainEnv(), "reward + 3 * (obs[0] == 0)"))
    assert shaped.argmax(axis=1)[0] == 0


# --- Named potentials ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env_id", "name"), [(env_id, name) for env_id, potentials in POTENTIALS.items() for name in potentials]
)
def test_named_potential_is_finite_and_about_one_unit_on_sample_observations(env_id: str, name: str) -> None:
    assert env_id in ENVS
    env = get_env(env_id).make()
    assert len(get_env(env_id).feature_names) == env.observation_space.shape[0]
    potential = potentials_for(env_id)[name]
    env.action_space.seed(0)
    obs, _ = env.reset(seed=0)
    values = [potential.fn(obs)]
    for _ in range(200):
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        values.append(potential.fn(obs))
        if terminated or truncated:
            obs, _ = env.reset()
    assert all(isinstance(v, float) and math.isfinite(v) for v in values)
    assert min(values) >= -2.0 and max(values) <= 1.0


@pytest.mark.parametrize(
    ("env_id", "name", "obs", "expected"),
    [
        ("MountainCar-v0", "height", [-math.pi / 6, 0.0], -1.0),  # the valley floor
        ("MountainCar-v0", "height", [0.5, 0.0], 0.0),  # the flag
        ("MountainCar-v0", "energy", [-math.pi / 6, 0.0], -1.0),
        ("MountainCar-v0", "energy", [0.5, 0.0], 0.0),
        ("MountainCarContinuous-v0", "height", [0.45, 0.0], 0.0),
        ("CartPole-v1", "upright", [0.0, 0.0, 0.0, 0.0], 1.0),
        ("CartPole-v1", "upright", [0.0, 0.0, 12 * math.pi / 180, 0.0], 0.0),
        ("CartPole-v1", "centred", [-2.4, 0.0, 0.0, 0.0], 0.0),
        ("LunarLander-v3", "pad_distance", [0.0, 0.0, 0, 0, 0, 0, 1, 1], 0.0),
        ("LunarLander-v3", "pad_distance", [0.3, 0.4, 0, 0, 0, 0, 0, 0], -0.5),
        ("Acrobot-v1", "tip_height", [1.0, 0.0, 1.0, 0.0, 0.0, 0.0], -1.0),  # hanging down
        ("Acrobot-v1", "tip_height", [-1.0, 0.0, 1.0, 0.0, 0.0, 0.0], 1 / 3),  # straight up
    ],
)
def test_named_potential_is_zero_where_its_episode_ends(env_id: str, name: str, obs: list, expected: float) -> None:
    value = POTENTIALS[env_id][name].fn(np.array(obs, dtype=np.float32))
    assert value == pytest.approx(expected, abs=1e-3)


def test_envs_without_named_potentials_get_an_empty_dict() -> None:
    assert potentials_for("FrozenLake-v1") == {}


@pytest.mark.parametrize("module", [envs.potentials])
def test_docstring_examples_run(module: Any) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0
