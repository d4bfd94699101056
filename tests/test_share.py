"""Share links: a configuration survives the URL exactly, defaults stay out of it, hostile links never raise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from agents.algos.registry import algorithms, compatible_algos
from agents.config.presets import default_preset
from agents.config.run_config import RunConfig, build_config
from agents.config.schema import HyperParam, Value
from agents.config.share import DEFAULT_ENV, MAX_VALUE_CHARS, config_to_query, query_to_config
from envs.registry import ENVS, get_env

SCRIPT = "<script>alert(1)</script>"


def _changed_value(param: HyperParam, current: Value) -> Value | None:
    """A valid value different from ``current`` (None for ints, whose combinations have rules of their own)."""
    if param.kind == "bool":
        return not current
    if param.kind == "choice":
        return next(choice for choice in param.choices if choice != current)
    if param.kind == "float":
        if current == "auto":
            return 0.05
        low, high = float(param.low or 0.0), float(param.high or 1.0)
        candidate = float(current) / 2 if float(current) != 0 else (low + high) / 4
        if not low <= candidate <= high or candidate == current:
            candidate = (low + high) / 3
        return candidate
    return None


def _env_for(algo_id: str) -> str:
    return next(env.id for env in ENVS.values() if algorithms()[algo_id].supports(env))


def _customised(algo_id: str) -> tuple[RunConfig, set[str]]:
    """A config with every float, bool and choice changed from the pair's preset, plus seed and budget."""
    env_id = _env_for(algo_id)
    algo = algorithms()[algo_id]
    baseline = algo.schema.resolve(default_preset(env_id, algo_id).hyperparams)
    overrides: dict[str, Value] = {}
    for param in algo.schema:
        value = _changed_value(param, baseline[param.name])
        if value is not None:
            overrides[param.name] = value
    config = build_config(env_id, algo_id, overrides=overrides, seed=1234, timesteps=7_777)
    return config, set(overrides)


def _as_url(query: Mapping[str, str]) -> dict[str, str]:
    """What the browser gives back: every value a string."""
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    return dict(query)


@pytest.mark.parametrize("algo_id", list(algorithms()))
def test_customised_config_survives_the_link_exactly(algo_id: str) -> None:
    config, changed = _customised(algo_id)
    assert changed, f"{algo_id}: nothing to change"
    query = config_to_query(config)
    shared = query_to_config(_as_url(query))
    assert shared.warnings == []
    assert shared.config == config
    assert set(query) == {"env", "algo", "seed", "timesteps"} | changed, "only what differs is in the link"
    assert query["seed"] == "1234" and query["timesteps"] == "7777"


@pytest.mark.parametrize("env_id", list(ENVS))
def test_every_compatible_pair_with_defaults_gives_a_short_link(env_id: str) -> None:
    for algo in compatible_algos(get_env(env_id)):
        config = build_config(env_id, algo.id)
        query = config_to_query(config)
        assert query == {"env": env_id, "algo": algo.id}, "defaults are left out of the query"
        shared = query_to_config(query)
        assert shared.warnings == [] and shared.config == config


def test_preset_and_shaping_survive_the_link() -> None:
    config = build_config(
        "CartPole-v1",
        "ppo",
        preset="zoo",
        overrides={"learning_rate": 0.0005},
        shaping={"reward_expr": "reward - 0.1*abs(theta)", "living_reward": -0.25, "termination_bonus": -10},
    )
    query = config_to_query(config)
    assert query["preset"] == "zoo"
    assert "n_epochs" not in query, "the preset's own values are not repeated"
    assert "timesteps" not in query, "the preset's budget is not repeated"
    assert query["reward_expr"] == "reward - 0.1*abs(theta)"
    shared = query_to_config(query)
    assert shared.warnings == []
    assert shared.config == config


def test_empty_query_gives_the_default_env_and_algorithm() -> None:
    shared = query_to_config({})
    assert shared.warnings == []
    assert shared.config.env_id == DEFAULT_ENV
    assert shared.config.algo == get_env(DEFAULT_ENV).default_algo
    assert shared.config == build_config(DEFAULT_ENV, shared.config.algo)


def test_view_keys_are_not_configuration() -> None:
    shared = query_to_config(
        {"env": "Acrobot-v1", "run": "20260101-000000-abcdef", "hide_controls": "1", "ctl": "x", "tab": "2"}
    )
    assert shared.warnings == []
    assert shared.config == build_config("Acrobot-v1", "ppo")


def _read(query: Mapping[str, str | Sequence[str]]) -> tuple[RunConfig, list[str]]:
    shared = query_to_config(query)  # must never raise
    assert isinstance(shared.config, RunConfig)
    for warning in shared.warnings:
        assert isinstance(warning, str) and "\n" not in warning and len(warning) < 600
    return shared.config, shared.warnings


def _warned_about(warnings: list[str], name: str) -> bool:
    return any(name in warning for warning in warnings)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"learning_rate": "abc"}, "learning_rate"),
        ({"learning_rate": "-1"}, "learning_rate"),
        ({"learning_rate": "nan"}, "learning_rate"),
        ({"learning_rate": SCRIPT}, "learning_rate"),
        ({"learning_rate": "1" * 10_000}, "learning_rate"),
        ({"gamma": "inf"}, "gamma"),
        ({"n_steps": "0"}, "n_steps"),
        ({"n_steps": "1e12"}, "n_steps"),
        ({"net_arch": "4096x4096"}, "net_arch"),
        ({"learning_rate_schedule": "__import__('os')"}, "learning_rate_schedule"),
        ({"seed": "-1"}, "seed"),
        ({"seed": SCRIPT}, "seed"),
        ({"timesteps": "1e12"}, "timesteps"),
        ({"timesteps": "abc"}, "timesteps"),
        ({"preset": "../../etc"}, "preset"),
        ({"reward_expr": "__import__('os').system('rm -rf /')"}, "reward_expr"),
        ({"reward_expr": "log(0)"}, "reward_expr"),
        ({"living_reward": "1e308"}, "living_reward"),
        ({"potential": SCRIPT}, "potential"),
        ({"bogus": "1"}, "bogus"),
        ({SCRIPT: "1"}, "<script>"),
        ({"k" * 10_000: "1"}, "kkkk"),
        ({"batch_size": "4096"}, "batch_size"),
    ],
    ids=lambda value: str(value)[:40] if isinstance(value, dict) else value,
)
def test_hostile_values_fall_back_to_defaults_with_a_warning_naming_them(query: dict[str, str], name: str) -> None:
    base = {"env": "CartPole-v1", "algo": "ppo"}
    config, warnings = _read({**base, **query})
    assert _warned_about(warnings, name), f"no warning names {name!r}: {warnings}"
    assert config == build_config("CartPole-v1", "ppo"), "everything falls back to what the pair gives anyway"


@pytest.mark.parametrize("env_value", ["../../etc", SCRIPT, "CartPole-v9", "", "x" * 300])
def test_unknown_env_falls_back_to_the_default_env(env_value: str) -> None:
    config, warnings = _read({"env": env_value, "algo": "ppo"})
    assert config.env_id == DEFAULT_ENV
    assert _warned_about(warnings, "env=")


def test_incompatible_algorithm_falls_back_to_the_envs_default_with_the_reason() -> None:
    config, warnings = _read({"env": "Pendulum-v1", "algo": "dqn"})
    assert (config.env_id, config.algo) == ("Pendulum-v1", "sac")
    assert _warned_about(warnings, "algo='dqn'") and _warned_about(warnings, "continuous")
    config, warnings = _read({"env": "CartPole-v1", "algo": "sac"})
    assert config.algo == "ppo" and _warned_about(warnings, "algo='sac'")


@pytest.mark.parametrize("algo_value", ["PPO", SCRIPT, "../ppo", ""])
def test_unknown_algorithm_falls_back(algo_value: str) -> None:
    config, warnings = _read({"env": "Acrobot-v1", "algo": algo_value})
    assert config.algo == get_env("Acrobot-v1").default_algo
    assert _warned_about(warnings, "algo=")


def test_repeated_keys_use_the_last_value_and_say_so() -> None:
    config, warnings = _read({"env": "CartPole-v1", "algo": "ppo", "learning_rate": ["0.1", "0.01"]})
    assert config.hyperparams["learning_rate"] == 0.01
    assert _warned_about(warnings, "learning_rate") and _warned_about(warnings, "2 times")


def test_a_key_given_with_no_value_falls_back() -> None:
    config, warnings = _read({"env": "CartPole-v1", "algo": "ppo", "gamma": []})
    assert config.hyperparams["gamma"] == build_config("CartPole-v1", "ppo").hyperparams["gamma"]
    assert _warned_about(warnings, "gamma")


def test_oversized_values_are_refused_before_parsing() -> None:
    config, warnings = _read({"env": "CartPole-v1", "algo": "ppo", "reward_expr": "reward" + " " * MAX_VALUE_CHARS})
    assert config.shaping.reward_expr == ""
    assert _warned_about(warnings, f"longer than {MAX_VALUE_CHARS}")


def test_warnings_quote_hostile_text_short() -> None:
    _, warnings = _read({"env": SCRIPT + "A" * 5_000, "algo": "ppo"})
    assert all(len(w) < 300 for w in warnings)


def test_too_many_keys_are_cut_off_with_a_warning() -> None:
    query = {f"junk{i}": "1" for i in range(1_000)}
    config, warnings = _read({"env": "CartPole-v1", "algo": "ppo", **query})
    assert config == build_config("CartPole-v1", "ppo")
    assert len(warnings) <= 102
    assert _warned_about(warnings, "first 100 parameters")


def test_good_values_beside_bad_ones_are_kept() -> None:
    config, warnings = _read(
        {"env": "Acrobot-v1", "algo": "a2c", "learning_rate": "0.002", "gamma": "abc", "seed": "9", "junk": "1"}
    )
    assert config.hyperparams["learning_rate"] == 0.002
    assert config.hyperparams["gamma"] == build_config("Acrobot-v1", "a2c").hyperparams["gamma"]
    assert config.seed == 9
    assert len(warnings) == 2


def test_stop_when_solved_travels_in_the_link_and_bad_flags_warn() -> None:
    config = build_config("CartPole-v1", "ppo", stop_when_solved=True)
    query = config_to_query(config)
    assert query["stop_when_solved"] == "true"
    assert query_to_config(query).config == config
    shared = query_to_config({"env": "CartPole-v1", "stop_when_solved": "<script>"})
    assert shared.config.stop_when_solved is False
    assert any("stop_when_solved" in w for w in shared.warnings)


def test_a_link_holds_exactly_what_differs_from_the_preset() -> None:
    """The codec and the Train page's "changed from this preset" note read the same differences."""
    plain = build_config("CartPole-v1", "ppo")
    assert config_to_query(plain) == {"env": "CartPole-v1", "algo": "ppo"} and plain.preset_changes() == {}
    changed = build_config("CartPole-v1", "ppo", overrides={"learning_rate": 0.0005}, timesteps=9_000, seed=2)
    query = config_to_query(changed)
    assert query == {
        "env": "CartPole-v1", "algo": "ppo", "learning_rate": "0.0005", "seed": "2", "timesteps": "9000"
    }  # fmt: skip
    assert set(changed.preset_changes()) == {"learning_rate", "timesteps"}
    assert changed.preset_label() == "demo with learning_rate 0.0005, timesteps 9,000"  # what Compare's legend says
    many = build_config("CartPole-v1", "ppo", overrides={"learning_rate": 0.0005, "gamma": 0.95, "n_epochs": 3,
                                                         "ent_coef": 0.01}, timesteps=9_000)  # fmt: skip
    assert many.preset_label().endswith(" and 2 more") and many.preset_label().count(",") == 2
    assert query_to_config(query).config == changed


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"seed": "-1"}, "seed"),
        ({"seed": "2147483648"}, "seed"),
        ({"seed": "1.5"}, "seed"),
        ({"timesteps": "0"}, "timesteps"),
        ({"timesteps": "5000001"}, "timesteps"),
        ({"stop_when_solved": "maybe"}, "stop_when_solved"),
    ],
)
def test_run_fields_in_a_link_are_bounded_by_their_schema(query: dict[str, str], name: str) -> None:
    shared = query_to_config({"env": "CartPole-v1", **query})
    default = build_config("CartPole-v1", "ppo")
    assert (shared.config.seed, shared.config.total_timesteps) == (default.seed, default.total_timesteps)
    assert len(shared.warnings) == 1 and shared.warnings[0].startswith(f"ignored {name}")


def test_run_fields_in_a_link_read_numbers_as_the_cli_does() -> None:
    shared = query_to_config({"env": "CartPole-v1", "seed": "1e3", "timesteps": "2.5e4"})
    assert (shared.config.seed, shared.config.total_timesteps) == (1000, 25_000) and not shared.warnings
