"""One vocabulary for every yes/no value: hyperparameters, run fields, link flags and the CLI read the same words."""

from __future__ import annotations

import pytest

from agents.config.fields import STOP_WHEN_SOLVED
from agents.config.run_config import ConfigError, RunConfig, build_config
from agents.config.schema import BOOL_WORDS, HyperParamError, parse_bool
from agents.config.share import query_to_config, read_flag
from agents.train import build_parser, config_from_args

TRUE_WORDS = ["true", "True", "TRUE", "yes", "Yes", "on", "ON", "1", " on "]
FALSE_WORDS = ["false", "False", "no", "NO", "off", "Off", "0", " 0 "]
NOT_BOOLEANS = ["maybe", "", "2", "-1", "y", "t", "truee", "<script>", "on off"]


def test_the_vocabulary_is_four_pairs() -> None:
    assert BOOL_WORDS == {
        "true": True, "yes": True, "on": True, "1": True,
        "false": False, "no": False, "off": False, "0": False,
    }  # fmt: skip


@pytest.mark.parametrize(("raw", "expected"), [(w, True) for w in TRUE_WORDS] + [(w, False) for w in FALSE_WORDS])
def test_every_word_reads_the_same_everywhere(raw: str, expected: bool) -> None:
    assert parse_bool(raw, "flag") is expected
    assert STOP_WHEN_SOLVED.parse(raw) is expected
    assert build_config("CartPole-v1", "ppo", stop_when_solved=raw).stop_when_solved is expected
    normalize = build_config("CartPole-v1", "a2c", preset="defaults", overrides={"normalize_advantage": raw})
    assert normalize.hyperparams["normalize_advantage"] is expected
    shared = query_to_config({"env": "CartPole-v1", "stop_when_solved": raw})
    assert shared.config.stop_when_solved is expected and not shared.warnings
    assert read_flag({"hide_controls": raw}, "hide_controls", warnings := []) is expected and not warnings
    args = build_parser().parse_args(["--env", "CartPole-v1", "--algo", "ppo", "--stop-when-solved", raw])
    assert config_from_args(args).stop_when_solved is expected


@pytest.mark.parametrize("raw", NOT_BOOLEANS)
def test_anything_else_is_refused_everywhere_with_the_name(raw: str) -> None:
    with pytest.raises(HyperParamError, match="flag"):
        parse_bool(raw, "flag")
    with pytest.raises(ConfigError, match="stop_when_solved") as caught:
        build_config("CartPole-v1", "ppo", stop_when_solved=raw)
    assert caught.value.field == "stop_when_solved"
    shared = query_to_config({"env": "CartPole-v1", "stop_when_solved": raw})
    assert shared.config.stop_when_solved is False and any("stop_when_solved" in w for w in shared.warnings)
    warnings: list[str] = []
    assert read_flag({"hide_controls": raw}, "hide_controls", warnings) is False
    assert len(warnings) == 1 and "hide_controls" in warnings[0]
    args = build_parser().parse_args(["--env", "CartPole-v1", "--algo", "ppo", "--stop-when-solved", raw])
    with pytest.raises(ConfigError, match="stop_when_solved"):
        config_from_args(args)


def test_a_stored_false_stays_false() -> None:
    """``bool("false")`` is True: a stored or hand-edited config.json must not turn the flag on."""
    data = build_config("CartPole-v1", "ppo").to_dict()
    data["stop_when_solved"] = "false"
    assert RunConfig.from_dict(data).stop_when_solved is False


def test_the_cli_default_stops_when_solved_only_without_a_budget() -> None:
    base = ["--env", "CartPole-v1", "--algo", "ppo"]
    assert config_from_args(build_parser().parse_args(base)).stop_when_solved is True
    assert config_from_args(build_parser().parse_args([*base, "--timesteps", "5000"])).stop_when_solved is False
    with_flag = [*base, "--timesteps", "5000", "--stop-when-solved", "on"]
    assert config_from_args(build_parser().parse_args(with_flag)).stop_when_solved is True
