"""Shaping wrappers, applying a configuration as wrappers, and the preview of shaped rewards."""

from __future__ import annotations

import doctest
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.monitor import Monitor

import envs.shaping
from envs.potentials import POTENTIALS, Potential
from envs.registry import ENVS, get_env
from envs.shaping import (
    ExpressionReward,
    LivingReward,
    PotentialShaping,
    RewardStepError,
    ScaleClipReward,
    TerminalBonus,
    TrueReturnRecorder,
    apply_shaping,
    preview_shaping,
)
from envs.shaping_config import ShapingConfig, ShapingError


class ScriptedEnv(gym.Env):
    """Plays back a fixed list of steps: (next obs value, reward, terminated, truncated); obs is Box(1,)."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, shape=(1,), dtype=np.float64)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, start: float, script: list[tuple[float, float, bool, bool]]) -> None:
        self.start, self.script, self.index = start, script, 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self.index = 0
        return np.array([self.start]), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, reward, terminated, truncated = self.script[self.index]
        self.index += 1
        return np.array([obs]), reward, terminated, truncated, {}


def rewards_of(env: gym.Env, n_steps: int) -> list[float]:
    """Rewards of ``n_steps`` alternating actions from a seeded reset, starting a new episode when one ends."""
    env.reset(seed=0)
    rewards = []
    for step in range(n_steps):
        _, reward, terminated, truncated, _ = env.step(step % 2)
        rewards.append(reward)
        if terminated or truncated:
            env.reset()
    return rewards


PLAIN = [(1.0, 1.0, False, False), (2.0, -3.0, False, False), (3.0, 0.5, False, False)]
ENDS_TERMINATED = [(1.0, 1.0, False, False), (2.0, 1.0, True, False)]
ENDS_TRUNCATED = [(1.0, 1.0, False, False), (2.0, 1.0, False, True)]
ENDS_BOTH = [(1.0, 1.0, True, True)]


@pytest.mark.parametrize(
    ("per_step", "script", "expected"),
    [(-0.5, PLAIN, [0.5, -3.5, 0.0]), (2.0, PLAIN, [3.0, -1.0, 2.5]), (0.0, PLAIN, [1.0, -3.0, 0.5])],
)
def test_living_reward(per_step: float, script: list, expected: list[float]) -> None:
    env = LivingReward(ScriptedEnv(0.0, script), per_step=per_step)
    assert rewards_of(env, len(script)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("on_terminated", "on_truncated", "script", "expected"),
    [
        (-10.0, 5.0, ENDS_TERMINATED, [1.0, -9.0]),
        (-10.0, 5.0, ENDS_TRUNCATED, [1.0, 6.0]),
        (-10.0, 5.0, ENDS_BOTH, [-9.0]),  # a step that is both counts as a real end
        (-10.0, 5.0, PLAIN, [1.0, -3.0, 0.5]),
    ],
)
def test_terminal_bonus(on_terminated: float, on_truncated: float, script: list, expected: list[float]) -> None:
    env = TerminalBonus(ScriptedEnv(0.0, script), on_terminated=on_terminated, on_truncated=on_truncated)
    assert rewards_of(env, len(script)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("scale", "clip", "expected"),
    [
        (2.0, 0.0, [2.0, -6.0, 1.0]),
        (2.0, 1.5, [1.5, -1.5, 1.0]),
        (-1.0, 0.0, [-1.0, 3.0, -0.5]),
        (0.1, 0.2, [0.1, -0.2, 0.05]),
    ],
)
def test_scale_clip_reward(scale: float, clip: float, expected: list[float]) -> None:
    env = ScaleClipReward(ScriptedEnv(0.0, PLAIN), scale=scale, clip=clip)
    assert rewards_of(env, 3) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("reward", [1.0, -3.0, 0.5]),
        ("obs[0]", [1.0, 2.0, 3.0]),  # the observation after the step
        ("t", [1.0, 2.0, 3.0]),  # steps taken in this episode, counting this one
        ("reward * 2 + position", [3.0, -4.0, 4.0]),  # the env's feature names
    ],
)
def test_expression_reward(expr: str, expected: list[float]) -> None:
    env = ExpressionReward(ScriptedEnv(0.0, PLAIN), expr, feature_names=("position",))
    assert rewards_of(env, 3) == pytest.approx(expected)


def test_expression_reward_restarts_t_each_episode() -> None:
    env = ExpressionReward(ScriptedEnv(0.0, PLAIN), "t")
    assert rewards_of(env, 2) == [1.0, 2.0]
    assert rewards_of(env, 1) == [1.0]


@pytest.fixture
def identity_potential(monkeypatch: pytest.MonkeyPatch) -> None:
    """Φ(s) = obs[0] for the scripted env, under the id "Scripted"."""
    monkeypatch.setitem(POTENTIALS, "Scripted", {"value": Potential("value", "obs[0]", lambda obs: float(obs[0]))})


@pytest.mark.parametrize(
    ("gamma", "scale", "script", "expected"),
    [
        # start Φ=0; F = scale·(γ·Φ(s') − Φ(s))
        (0.9, 1.0, PLAIN, [1.0 + 0.9, -3.0 + 0.9 * 2 - 1, 0.5 + 0.9 * 3 - 2]),
        (1.0, 2.0, PLAIN, [1.0 + 2, -3.0 + 2, 0.5 + 2]),
        (0.9, 1.0, ENDS_TERMINATED, [1.0 + 0.9, 1.0 - 1.0]),  # Φ(terminal) = 0
        (0.9, 1.0, ENDS_TRUNCATED, [1.0 + 0.9, 1.0 + 0.9 * 2 - 1.0]),  # a time limit keeps Φ(s')
    ],
)
def test_potential_shaping(identity_potential: None, gamma: float, scale: float, script: list, expected: list) -> None:
    env = PotentialShaping(ScriptedEnv(0.0, script), "value", env_id="Scripted", gamma=gamma, scale=scale)
    assert rewards_of(env, len(script)) == pytest.approx(expected)


def test_potential_shaping_refuses_an_unknown_potential_listing_the_known_ones() -> None:
    with pytest.raises(
        ShapingError, match="unknown potential 'height' for CartPole-v1; choose one of: upright, centred"
    ):
        PotentialShaping(gym.make("CartPole-v1"), "height", env_id="CartPole-v1", gamma=0.99, scale=1.0)


WRAPPER_FACTORIES = {
    "expression": lambda env: ExpressionReward(env, "reward - abs(theta)", ENVS["CartPole-v1"].feature_names),
    "living": lambda env: LivingReward(env, per_step=-0.1),
    "terminal": lambda env: TerminalBonus(env, on_terminated=-10.0, on_truncated=1.0),
    "potential": lambda env: PotentialShaping(env, "upright", env_id="CartPole-v1", gamma=0.99, scale=1.0),
    "scale_clip": lambda env: ScaleClipReward(env, scale=0.5, clip=0.3),
    "true_return": TrueReturnRecorder,
}


@pytest.mark.parametrize("name", list(WRAPPER_FACTORIES))
def test_wrapper_keeps_the_env_api_and_its_spec_rebuilds_it(name: str) -> None:
    env = WRAPPER_FACTORIES[name](gym.make("CartPole-v1"))
    with pytest.warns(UserWarning):  # check_env warns that it was given a wrapped env; it still checks it
        check_env(env, skip_render_check=True)
    assert env.observation_space == env.unwrapped.observation_space
    rebuilt = gym.make(gym.envs.registration.EnvSpec.from_json(env.spec.to_json()))
    assert rewards_of(rebuilt, 20) == rewards_of(env, 20)


def test_shaping_survives_a_round_trip_through_the_env_spec_json() -> None:
    config = ShapingConfig(
        reward_expr="reward*2", living_reward=-1, potential="upright", reward_scale=10, reward_clip=15
    )
    env = apply_shaping(TrueReturnRecorder(gym.make("CartPole-v1")), config, "CartPole-v1", learner_gamma=0.98)
    rebuilt = gym.make(gym.envs.registration.EnvSpec.from_json(env.spec.to_json()))
    assert rewards_of(rebuilt, 30) == rewards_of(env, 30)


# --- Non-finite rewards end the run with a readable reason ---------------------------------------------------
def test_expression_that_gives_nan_fails_with_step_and_episode() -> None:
    script = [(1.0, 0.0, False, False), (float("nan"), 0.0, False, False)]
    env = ExpressionReward(ScriptedEnv(0.0, script), "reward + position", feature_names=("position",))
    env.reset()
    env.step(0)
    with pytest.raises(RewardStepError, match=r"^reward expression gave nan at step 2 of episode 1$"):
        env.step(0)


def test_expression_that_divides_by_zero_fails_with_its_column() -> None:
    env = ExpressionReward(ScriptedEnv(0.0, [(0.0, 1.0, False, False)]), "reward / obs[0]")
    env.reset()
    with pytest.raises(RewardStepError, match=r"failed \(division by zero at column 1\) at step 1 of episode 1"):
        env.step(0)


@pytest.mark.parametrize(
    "wrap", [TrueReturnRecorder, lambda env: LivingReward(env, 1.0), lambda env: ScaleClipReward(env, 2.0, 0.0)]
)
def test_non_finite_env_reward_is_refused(wrap: Any) -> None:
    env = wrap(ScriptedEnv(0.0, [(1.0, float("inf"), False, False)]))
    env.reset()
    with pytest.raises(RewardStepError, match=r"gave (reward )?inf at step 1 of episode 1"):
        env.step(0)


# --- The true return alongside the shaped one ----------------------------------------------------------------
def test_true_return_recorder_with_monitor_reports_the_unshaped_return() -> None:
    config = ShapingConfig(living_reward=-3.0)
    env = Monitor(
        apply_shaping(TrueReturnRecorder(gym.make("CartPole-v1")), config, "CartPole-v1"),
        info_keywords=("true_return",),
    )
    env.reset(seed=1)
    env.action_space.seed(1)
    episodes: list[dict] = []
    steps = 0
    while len(episodes) < 2:
        _, _, terminated, truncated, info = env.step(env.action_space.sample())
        steps += 1
        if terminated or truncated:
            episodes.append(info["episode"])
            assert info["true_return"] == steps  # CartPole pays +1 a step
            env.reset()
            steps = 0
    for episode in episodes:
        assert episode["true_return"] == episode["l"]
        assert episode["r"] == pytest.approx(-2.0 * episode["l"])  # shaped: 1 - 3 per step
    assert env.get_episode_rewards() == [pytest.approx(-2.0 * e["l"]) for e in episodes]


def test_apply_shaping_stacks_in_the_documented_order() -> None:
    config = ShapingConfig(
        reward_expr="reward * 2", living_reward=-1.5, termination_bonus=-5, reward_scale=10, reward_clip=8
    )
    env = apply_shaping(gym.make("CartPole-v1"), config, "CartPole-v1")
    chain = []
    while isinstance(env, envs.shaping._ShapingWrapper):
        chain.append(type(env).__name__)
        env = env.env
    assert chain == ["ScaleClipReward", "TerminalBonus", "LivingReward", "ExpressionReward"]
    # The expression sees the env's own reward (1), then living reward, then ×10, then the clip: (2 − 1.5)·10 = 5.
    shaped = apply_shaping(gym.make("CartPole-v1"), config, "CartPole-v1")
    assert rewards_of(shaped, 1) == [5.0]


def test_apply_shaping_refuses_an_invalid_config() -> None:
    with pytest.raises(ShapingError, match="unknown name"):
        apply_shaping(gym.make("CartPole-v1"), ShapingConfig(reward_expr="__import__"), "CartPole-v1")


# --- Live preview -------------------------------------------------------------------------------------------
def test_preview_shows_env_and_shaped_rewards_on_seeded_random_steps() -> None:
    rows = preview_shaping("CartPole-v1", ShapingConfig(reward_expr="reward - abs(x)"), n_steps=8, seed=3)
    assert len(rows) == 8
    assert set(rows[0]) == {"t", "action", "obs", "reward", "shaped_reward", "terminated", "truncated"}
    for row in rows:
        assert row["reward"] == 1.0
        assert row["shaped_reward"] == pytest.approx(1.0 - abs(row["obs"][0]))
        assert row["action"] in (0, 1)
        assert len(row["obs"]) == 4 and all(isinstance(v, float) for v in row["obs"])
    assert [row["t"] for row in rows] == list(range(1, 9))
    assert preview_shaping("CartPole-v1", ShapingConfig(reward_expr="reward - abs(x)"), n_steps=8, seed=3) == rows


@pytest.mark.parametrize("env_id", list(ENVS))
def test_preview_works_for_every_env_with_its_feature_names(env_id: str) -> None:
    names = get_env(env_id).feature_names
    config = ShapingConfig(reward_expr=f"reward + 0.001 * ({' + '.join(names)})", living_reward=-0.01)
    rows = preview_shaping(env_id, config, n_steps=4)
    for row in rows:
        expected = row["reward"] + 0.001 * sum(row["obs"]) - 0.01
        assert row["shaped_reward"] == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_preview_restarts_episodes_that_end() -> None:
    rows = preview_shaping("CartPole-v1", ShapingConfig(termination_bonus=-100), n_steps=60, seed=0)
    ends = [i for i, row in enumerate(rows) if row["terminated"]]
    assert ends, "random CartPole play falls within 60 steps"
    assert rows[ends[0]]["shaped_reward"] == -99.0
    assert rows[ends[0] + 1]["t"] == 1


def test_preview_of_a_box_action_env_lists_the_action_numbers() -> None:
    rows = preview_shaping("MountainCarContinuous-v0", ShapingConfig(reward_expr="-abs(action[0])"), n_steps=3)
    for row in rows:
        assert row["shaped_reward"] == pytest.approx(-abs(row["action"][0]))


def test_preview_reports_an_invalid_config_or_a_failing_sample_step() -> None:
    with pytest.raises(ShapingError, match="unknown name 'os' at column 1") as error:
        preview_shaping("CartPole-v1", ShapingConfig(reward_expr="os"))
    assert error.value.col == 1
    with pytest.raises(RewardStepError, match="division by zero at column 1"):
        preview_shaping("CartPole-v1", ShapingConfig(reward_expr="1 / (x - x)"))
    with pytest.raises(ShapingError, match="n_steps"):
        preview_shaping("CartPole-v1", ShapingConfig(), n_steps=0)


@pytest.mark.parametrize("module", [envs.shaping])
def test_docstring_examples_run(module: Any) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0
