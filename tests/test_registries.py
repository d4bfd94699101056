"""The env and algorithm registries and the presets: what the UI offers must build, check out and fit together."""

from __future__ import annotations

import re
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from agents.algos.registry import ALGOS, UnknownAlgoError, algorithms, compatible_algos, get_algo, register_algorithm
from agents.config.presets import DEFAULTS, _load, default_preset, presets_for
from agents.config.run_config import MAX_TIMESTEPS, ConfigError, build_config
from envs.registry import ENVS, UnknownEnvError, get_env

SB3_IDS = ("ppo", "a2c", "dqn", "sac", "td3", "ddpg")


@pytest.mark.parametrize("env_id", list(ENVS))
def test_every_env_passes_gymnasium_check_env(env_id: str) -> None:
    env = get_env(env_id).make(render_mode="rgb_array")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # check_env's warnings (e.g. float precision) are advice, not failures
            check_env(env.unwrapped)
    finally:
        env.close()


@pytest.mark.parametrize("env_id", list(ENVS))
def test_every_env_renders_an_rgb_frame(env_id: str) -> None:
    """Evaluation episodes are shown as frames: every env must draw one without a display."""
    env = get_env(env_id).make(render_mode="rgb_array")
    try:
        env.reset(seed=0)
        frame = env.render()
        env.step(env.action_space.sample())
        second = env.render()
    finally:
        env.close()
    for image in (frame, second):
        assert isinstance(image, np.ndarray)
        assert image.dtype == np.uint8
        assert image.ndim == 3 and image.shape[2] == 3
        assert image.shape[0] >= 64 and image.shape[1] >= 64
        assert image.std() > 0, "a blank frame"


@pytest.mark.parametrize("env_id", list(ENVS))
def test_env_facts_match_the_real_spaces(env_id: str) -> None:
    """The declared space kinds decide which algorithms are offered; they must be the env's real ones."""
    info = get_env(env_id)
    env = info.make()
    try:
        kinds = {gym.spaces.Discrete: "discrete", gym.spaces.Box: "box"}
        assert kinds[type(env.observation_space)] == info.obs_kind
        assert kinds[type(env.action_space)] == info.action_kind
        if info.obs_kind == "box":
            assert len(info.feature_names) == int(np.prod(env.observation_space.shape))
        assert env.spec is not None and env.spec.max_episode_steps, "every env needs a time limit"
    finally:
        env.close()
    assert info.title and info.description
    assert 0 < info.default_timesteps <= MAX_TIMESTEPS
    assert info.default_algo in algorithms()
    assert get_algo(info.default_algo).supports(info), f"{env_id}'s default algorithm cannot train on it"


def test_unknown_env_error_lists_what_exists() -> None:
    with pytest.raises(UnknownEnvError) as caught:
        get_env("../../etc")
    message = str(caught.value)
    assert "'../../etc'" in message
    assert all(env_id in message for env_id in ENVS)


def test_algorithm_ids_are_rl_zoo_lowercase_and_sb3_ones_are_registered() -> None:
    ids = list(algorithms())
    assert set(SB3_IDS) <= set(ids)
    assert all(re.fullmatch(r"[a-z0-9_]+", algo_id) for algo_id in ids)
    assert all(info.id == algo_id for algo_id, info in algorithms().items())


def test_unknown_algorithm_error_lists_what_exists() -> None:
    with pytest.raises(UnknownAlgoError) as caught:
        get_algo("PPO")
    assert all(algo_id in str(caught.value) for algo_id in SB3_IDS)


def test_registering_an_id_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_algorithm(get_algo("ppo"))
    assert ALGOS["ppo"] is get_algo("ppo")


@pytest.mark.parametrize(
    ("algo_id", "env_id"),
    [("dqn", "Pendulum-v1"), ("dqn", "MountainCarContinuous-v0")]
    + [(algo, "CartPole-v1") for algo in ("sac", "td3", "ddpg")]
    + [(algo, "Taxi-v4") for algo in ("sac", "td3", "ddpg")],
)
def test_incompatible_pairs_are_refused(algo_id: str, env_id: str) -> None:
    assert not get_algo(algo_id).supports(get_env(env_id))
    assert get_algo(algo_id) not in compatible_algos(get_env(env_id))


@pytest.mark.parametrize("env_id", list(ENVS))
def test_ppo_and_a2c_train_everywhere(env_id: str) -> None:
    env = get_env(env_id)
    for algo_id in ("ppo", "a2c"):
        assert get_algo(algo_id).supports(env)
        assert get_algo(algo_id).incompatibility(env) is None


def test_action_kinds_decide_compatibility_of_sb3_algorithms() -> None:
    for env in ENVS.values():
        assert get_algo("dqn").supports(env) == (env.action_kind == "discrete")
        for algo_id in ("sac", "td3", "ddpg"):
            assert get_algo(algo_id).supports(env) == (env.action_kind == "box")


def test_tabular_algorithms_only_train_on_discrete_observations() -> None:
    """A Q-table needs one row per state; holds for whichever tabular agents are registered (maybe none yet)."""
    for algo in algorithms().values():
        if not algo.entry_point.startswith("agents.algos.tabular."):
            continue
        for env in ENVS.values():
            if env.obs_kind == "box":
                assert not algo.supports(env), f"{algo.id} claims to train on {env.id}"
                assert "continuous" in (algo.incompatibility(env) or "")


@pytest.mark.parametrize("env_id", list(ENVS))
def test_incompatibility_explains_in_words_and_suggests_algorithms_that_work(env_id: str) -> None:
    env = get_env(env_id)
    compatible = {a.id for a in compatible_algos(env)}
    assert compatible, f"nothing can train on {env_id}"
    for algo in algorithms().values():
        message = algo.incompatibility(env)
        if algo.id in compatible:
            assert message is None
            continue
        assert message is not None
        assert "\n" not in message
        assert algo.title in message and env_id in message
        assert "continuous" in message or "discrete" in message, "the reason is said in words"
        suggested = re.search(r"Try (.+)\.$", message)
        assert suggested, f"no suggestion in {message!r}"
        names = suggested.group(1).split(" or ")
        assert names and set(names) <= compatible, f"suggests {names}, but only {compatible} work"


def test_dqn_on_pendulum_message_reads_well() -> None:
    message = get_algo("dqn").incompatibility(get_env("Pendulum-v1"))
    assert message == (
        "DQN picks one of a few discrete actions, but Pendulum-v1 needs a continuous action (a number in a range). "
        "Try ppo or a2c or sac."
    )


def _all_presets() -> list[tuple[str, str, str]]:
    return [
        (env_id, algo_id, name)
        for env_id, by_algo in _load().items()
        for algo_id, by_name in by_algo.items()
        for name in by_name
    ]


def test_presets_file_is_not_empty_and_names_are_known() -> None:
    triples = _all_presets()
    assert len(triples) >= 10
    for env_id, algo_id, name in triples:
        assert env_id in ENVS, f"presets.yml: unknown env {env_id}"
        assert algo_id in algorithms(), f"presets.yml: unknown algorithm {algo_id}"
        assert name in ("demo", "zoo"), f"presets.yml: {env_id}/{algo_id} has an unexpected preset {name!r}"


@pytest.mark.parametrize(("env_id", "algo_id", "name"), _all_presets())
def test_every_preset_resolves_and_builds_a_config(env_id: str, algo_id: str, name: str) -> None:
    preset = presets_for(env_id, algo_id)[name]
    algo = get_algo(algo_id)
    assert algo.supports(get_env(env_id)), f"preset {name} for an algorithm that cannot train on {env_id}"
    assert preset.note.strip(), "every preset explains itself"
    unknown = set(preset.hyperparams) - set(algo.schema.names)
    assert not unknown, f"{env_id}/{algo_id}/{name}: not in the schema: {unknown}"
    resolved = algo.schema.resolve(preset.hyperparams)
    config = build_config(env_id, algo_id, preset=name)
    assert config.hyperparams == resolved
    assert config.preset == name
    assert config.total_timesteps == (preset.timesteps or get_env(env_id).default_timesteps)
    for key, value in preset.hyperparams.items():
        assert config.hyperparams[key] == algo.schema.get(key).parse(value)


def test_preset_order_puts_demo_first_and_defaults_last() -> None:
    assert list(presets_for("CartPole-v1", "ppo")) == ["demo", "zoo", DEFAULTS]
    assert default_preset("CartPole-v1", "ppo").name == "demo"
    assert list(presets_for("CartPole-v1", "a2c")) == ["zoo", DEFAULTS]
    assert list(presets_for("MountainCarContinuous-v0", "td3")) == [DEFAULTS]
    assert presets_for("MountainCarContinuous-v0", "td3")[DEFAULTS].hyperparams == {}


def test_every_compatible_pair_builds_with_its_default_preset() -> None:
    for env in ENVS.values():
        for algo in compatible_algos(env):
            config = build_config(env.id, algo.id)
            assert config.preset == default_preset(env.id, algo.id).name
            assert set(config.hyperparams) == set(algo.schema.names)


def test_unknown_preset_is_refused_listing_the_available_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown preset 'fast'.*demo, zoo, defaults"):
        build_config("CartPole-v1", "ppo", preset="fast")
