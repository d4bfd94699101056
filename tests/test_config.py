"""build_config: every bad input is refused with one clear line before a model, env copies or a buffer exist."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.buffers import BaseBuffer
from stable_baselines3.common.vec_env import DummyVecEnv

from agents.config.run_config import MAX_TIMESTEPS, ConfigError, RunConfig, build_config
from envs.shaping_config import ShapingConfig

# (env, algo, keyword arguments of build_config, words the message must contain)
BAD_INPUTS: list[tuple[str, str, dict[str, Any], tuple[str, ...]]] = [
    ("CartPole-v9", "ppo", {}, ("unknown environment 'CartPole-v9'", "CartPole-v1")),
    ("CartPole-v1", "ppo2", {}, ("unknown algorithm 'ppo2'", "ppo")),
    ("CartPole-v1", "ppo", {"overrides": {"learnig_rate": "0.1"}}, ("unknown hyperparameter 'learnig_rate'",)),
    ("Pendulum-v1", "dqn", {}, ("DQN", "continuous", "Try ")),
    ("CartPole-v1", "sac", {}, ("SAC", "discrete", "Try ")),
    ("CartPole-v1", "ppo", {"overrides": {"learning_rate": -1}}, ("learning_rate must be between",)),
    ("CartPole-v1", "ppo", {"overrides": {"learning_rate": "-1"}}, ("learning_rate must be between",)),
    ("CartPole-v1", "ppo", {"overrides": {"learning_rate": "abc"}}, ("learning_rate", "not a number")),
    ("CartPole-v1", "ppo", {"overrides": {"gamma": "nan"}}, ("gamma must be a finite number",)),
    ("CartPole-v1", "ppo", {"overrides": {"gamma": float("nan")}}, ("gamma must be a finite number",)),
    ("CartPole-v1", "ppo", {"overrides": {"n_steps": "0"}}, ("n_steps must be between",)),
    ("CartPole-v1", "a2c", {"overrides": {"n_steps": 0}}, ("n_steps must be between",)),
    ("CartPole-v1", "dqn", {"overrides": {"buffer_size": "1e12"}}, ("buffer_size must be between",)),
    ("Pendulum-v1", "sac", {"overrides": {"buffer_size": 10**12}}, ("buffer_size must be between",)),
    ("CartPole-v1", "ppo", {"timesteps": -100}, ("timesteps must be between",)),
    ("CartPole-v1", "ppo", {"timesteps": "-1e3"}, ("timesteps must be between",)),
    ("CartPole-v1", "ppo", {"timesteps": 0}, ("timesteps must be between",)),
    ("CartPole-v1", "ppo", {"timesteps": MAX_TIMESTEPS + 1}, ("timesteps must be between",)),
    ("CartPole-v1", "ppo", {"timesteps": "lots"}, ("timesteps", "not a number")),
    ("CartPole-v1", "ppo", {"timesteps": "1.5"}, ("timesteps must be a whole number",)),
    ("CartPole-v1", "ppo", {"timesteps": 10**400}, ("timesteps",)),
    ("CartPole-v1", "ppo", {"seed": -1}, ("seed must be between",)),
    ("CartPole-v1", "ppo", {"seed": "nan"}, ("seed must be a finite number",)),
    ("CartPole-v1", "ppo", {"seed": "1.5"}, ("seed must be a whole number",)),
    ("CartPole-v1", "ppo", {"max_wall_s": 0}, ("max_wall_s must be between",)),
    ("CartPole-v1", "ppo", {"max_wall_s": "nan"}, ("max_wall_s must be a finite number",)),
    ("CartPole-v1", "ppo", {"preset": "turbo"}, ("unknown preset 'turbo'",)),
    (
        "CartPole-v1",
        "ppo",
        {"preset": "defaults", "overrides": {"n_steps": 64, "batch_size": 128, "n_envs": 1}},
        ("batch_size (128) must not exceed n_steps x n_envs (64)",),
    ),
    ("CartPole-v1", "ppo", {"shaping": {"reward_expr": "log(0)"}}, ("reward expression",)),
    ("CartPole-v1", "ppo", {"shaping": {"reward_expr": "__import__('os')"}}, ("reward expression",)),
    ("CartPole-v1", "ppo", {"shaping": {"reward_bonus": 1}}, ("unknown shaping setting 'reward_bonus'",)),
    ("CartPole-v1", "ppo", {"shaping": {"reward_scale": 0}}, ("reward_scale",)),
]


@pytest.fixture
def nothing_allocated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if a model, a vectorised env or a replay/rollout buffer is constructed."""

    def refuse(what: str) -> Any:
        def constructor(*args: Any, **kwargs: Any) -> None:
            pytest.fail(f"a {what} was built for a configuration that should have been refused")

        return constructor

    monkeypatch.setattr(BaseAlgorithm, "__init__", refuse("model"))
    monkeypatch.setattr(DummyVecEnv, "__init__", refuse("vectorised env"))
    monkeypatch.setattr(BaseBuffer, "__init__", refuse("buffer"))
    yield


@pytest.mark.parametrize(
    ("env_id", "algo", "kwargs", "words"),
    BAD_INPUTS,
    ids=[f"{algo}-{'-'.join(map(str, kwargs.values()))}"[:50] for _, algo, kwargs, _ in BAD_INPUTS],
)
def test_bad_input_is_refused_with_one_clear_line(
    env_id: str, algo: str, kwargs: dict[str, Any], words: tuple[str, ...], nothing_allocated: None
) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config(env_id, algo, **kwargs)
    message = str(caught.value)
    assert message.strip() and "\n" not in message
    assert len(message) <= 400
    assert "Traceback" not in message
    for word in words:
        assert word in message, f"{word!r} missing from {message!r}"


def test_smallest_legal_rollout_is_accepted(nothing_allocated: None) -> None:
    config = build_config("CartPole-v1", "ppo", preset="defaults", overrides={"n_steps": 2, "batch_size": 2})
    assert config.hyperparams["n_steps"] == 2


def test_batch_size_may_equal_the_rollout_and_counts_every_env_copy() -> None:
    config = build_config(
        "CartPole-v1", "ppo", preset="defaults", overrides={"n_steps": 16, "n_envs": 4, "batch_size": 64}
    )
    assert config.hyperparams["batch_size"] == 64
    with pytest.raises(ConfigError, match=r"batch_size \(65\) must not exceed n_steps x n_envs \(64\)"):
        build_config("CartPole-v1", "ppo", preset="defaults", overrides={"n_steps": 16, "n_envs": 4, "batch_size": 65})


def test_replay_buffer_memory_is_estimated_from_what_sb3_stores() -> None:
    """Taxi's 500 states are stored as one index each, so the largest buffer is affordable there."""
    config = build_config("Taxi-v4", "dqn", overrides={"buffer_size": 1_000_000})
    assert config.hyperparams["buffer_size"] == 1_000_000


def test_layers_apply_in_order_defaults_preset_user() -> None:
    from agents.config.presets import presets_for

    preset = presets_for("CartPole-v1", "ppo")["demo"]
    demo = build_config("CartPole-v1", "ppo")
    assert demo.preset == "demo"
    assert demo.hyperparams["n_envs"] == preset.hyperparams["n_envs"] != 1
    assert demo.hyperparams["learning_rate"] == preset.hyperparams["learning_rate"] != 3e-4
    assert demo.hyperparams["vf_coef"] == 0.5, "values the preset leaves out keep the schema default"
    assert demo.total_timesteps == preset.timesteps
    user = build_config("CartPole-v1", "ppo", overrides={"learning_rate": "0.01"}, timesteps="1e4", seed="7")
    assert user.hyperparams["learning_rate"] == 0.01
    assert user.hyperparams["n_envs"] == preset.hyperparams["n_envs"]
    assert (user.total_timesteps, user.seed) == (10_000, 7)
    defaults = build_config("CartPole-v1", "ppo", preset="defaults")
    assert defaults.hyperparams["n_envs"] == 1 and defaults.hyperparams["learning_rate"] == 3e-4
    assert defaults.total_timesteps == defaults.env_info.default_timesteps


def test_text_values_become_typed_values() -> None:
    config = build_config(
        "CartPole-v1",
        "a2c",
        overrides={"use_rms_prop": "false", "n_steps": "1e1", "learning_rate": "7e-4"},
        max_wall_s="30",
        stop_when_solved=True,
    )
    assert config.hyperparams["use_rms_prop"] is False
    assert config.hyperparams["n_steps"] == 10
    assert config.max_wall_s == 30.0
    assert config.stop_when_solved is True


def _configs_to_round_trip() -> list[RunConfig]:
    return [
        build_config("CartPole-v1", "ppo"),
        build_config("CartPole-v1", "ppo", preset="zoo", seed=3, timesteps=12_345),
        build_config(
            "CartPole-v1",
            "dqn",
            overrides={"learning_rate": 0.00123, "net_arch": "32", "gradient_steps": -1},
            stop_when_solved=True,
            max_wall_s=42.5,
            shaping={"reward_expr": "reward - 0.1*abs(x)", "living_reward": -0.5, "reward_clip": 5},
        ),
        build_config("Pendulum-v1", "sac", overrides={"ent_coef": "auto", "learning_rate_schedule": "linear"}),
        build_config("Pendulum-v1", "sac", overrides={"ent_coef": 0.2}, seed=2**31 - 1),
        build_config("MountainCar-v0", "a2c", shaping={"potential": "height", "potential_gamma": 0.95}),
        build_config("Pendulum-v1", "td3", preset="defaults", overrides={"action_noise": 0.3, "policy_delay": 3}),
    ]


@pytest.mark.parametrize("config", _configs_to_round_trip(), ids=lambda c: f"{c.env_id}-{c.algo}-{c.preset}")
def test_to_dict_from_dict_round_trip_is_equal(config: RunConfig) -> None:
    data = config.to_dict()
    assert RunConfig.from_dict(data) == config
    stored = json.loads(json.dumps(data))  # what a run folder keeps on disk
    assert RunConfig.from_dict(stored) == config


def test_from_dict_revalidates_stored_data() -> None:
    data = build_config("CartPole-v1", "ppo").to_dict()
    data["hyperparams"]["learning_rate"] = 5.0
    with pytest.raises(ConfigError, match="learning_rate must be between"):
        RunConfig.from_dict(data)


def test_shaping_given_as_config_or_dict_is_the_same() -> None:
    as_dict = build_config("CartPole-v1", "ppo", shaping={"living_reward": "-1", "termination_bonus": -10})
    as_config = build_config("CartPole-v1", "ppo", shaping=ShapingConfig(living_reward=-1.0, termination_bonus=-10.0))
    assert as_dict == as_config
    assert as_dict.shaping.living_reward == -1.0
