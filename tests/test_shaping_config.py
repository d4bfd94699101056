"""ShapingConfig: defaults, the dict round trip for links and YAML, and validation that names the setting."""

from __future__ import annotations

import math

import gymnasium as gym
import pytest

from envs.potentials import POTENTIALS
from envs.shaping import apply_shaping
from envs.shaping_config import ShapingConfig, ShapingError

FULL_CONFIG = ShapingConfig(
    reward_expr="reward - 0.1*abs(theta)",
    living_reward=-0.5,
    termination_bonus=-10.0,
    truncation_bonus=5.0,
    potential="upright",
    potential_gamma=0.98,
    potential_scale=2.0,
    reward_scale=0.1,
    reward_clip=3.0,
)


def test_default_config_is_identity_and_serialises_to_nothing() -> None:
    config = ShapingConfig()
    assert config.is_identity()
    assert config.to_dict() == {}
    env = gym.make("CartPole-v1")
    assert apply_shaping(env, config, "CartPole-v1") is env
    assert ShapingConfig(potential_gamma=0.5).is_identity()  # γ of an unused potential changes nothing
    assert not ShapingConfig(living_reward=-1).is_identity()


def test_config_dict_round_trip() -> None:
    assert ShapingConfig.from_dict(FULL_CONFIG.to_dict()) == FULL_CONFIG
    assert ShapingConfig(living_reward=-1).to_dict() == {"living_reward": -1.0}


def test_from_dict_coerces_text_from_a_url() -> None:
    config = ShapingConfig.from_dict({"living_reward": "-0.5", "reward_clip": "3", "potential": "upright"})
    assert config == ShapingConfig(living_reward=-0.5, reward_clip=3.0, potential="upright")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"gamma": 0.9}, "unknown shaping setting 'gamma'; known settings: reward_expr, living_reward"),
        ({"living_reward": "abc"}, "living_reward must be a number, got 'abc'"),
        ({"living_reward": True}, "living_reward must be a number, got bool"),
        ({"living_reward": [1]}, "living_reward must be a number, got list"),
        ({"reward_expr": {"a": 1}}, "reward_expr must be text, got dict"),
    ],
)
def test_from_dict_refuses_what_it_cannot_read(data: dict, message: str) -> None:
    with pytest.raises(ShapingError, match=message):
        ShapingConfig.from_dict(data)


@pytest.mark.parametrize(
    ("config", "env_id", "field", "message"),
    [
        (
            ShapingConfig(living_reward=math.nan),
            "CartPole-v1",
            "living_reward",
            "living_reward must be a finite number",
        ),
        (ShapingConfig(living_reward=5000), "CartPole-v1", "living_reward", "between -1000 and 1000, got 5000"),
        (ShapingConfig(termination_bonus=math.inf), "CartPole-v1", "termination_bonus", "finite number"),
        (ShapingConfig(potential_gamma=0), "CartPole-v1", "potential_gamma", "potential_gamma must be above 0"),
        (ShapingConfig(potential_gamma=1.5), "CartPole-v1", "potential_gamma", "between 0 and 1"),
        (ShapingConfig(reward_scale=0), "CartPole-v1", "reward_scale", "reward_scale must not be 0"),
        (ShapingConfig(reward_clip=-1), "CartPole-v1", "reward_clip", "between 0 and"),
        (
            ShapingConfig(potential="height"),
            "CartPole-v1",
            "potential",
            "unknown potential 'height' for CartPole-v1; choose one of: upright, centred",
        ),
        (ShapingConfig(potential="height"), "FrozenLake-v1", "potential", "has no named potentials"),
        (
            ShapingConfig(reward_expr="os"),
            "CartPole-v1",
            "reward_expr",
            "reward expression: unknown name 'os' at column 1",
        ),
        (ShapingConfig(reward_expr="obs[4]"), "CartPole-v1", "reward_expr", "obs has 4 numbers"),
        (ShapingConfig(reward_expr="theta"), "MountainCar-v0", "reward_expr", "unknown name 'theta'"),
        (ShapingConfig(), "Nope-v0", None, "unknown environment 'Nope-v0'"),
    ],
)
def test_validate_names_the_setting_and_the_reason(
    config: ShapingConfig, env_id: str, field: str | None, message: str
) -> None:
    with pytest.raises(ShapingError, match=message) as error:
        config.validate(env_id)
    assert error.value.field == field


def test_validate_accepts_a_full_config_and_every_named_potential() -> None:
    FULL_CONFIG.validate("CartPole-v1")
    for env_id, potentials in POTENTIALS.items():
        for name in potentials:
            ShapingConfig(potential=name).validate(env_id)
