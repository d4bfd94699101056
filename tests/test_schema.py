"""Hyperparameter schemas: every value from a person is parsed, bounded and refused with a message naming it."""

from __future__ import annotations

import math

import pytest

from agents.algos.registry import algorithms
from agents.config.schema import HyperParam, HyperParamError, Schema, parse_assignments

RATE = HyperParam("learning_rate", "float", 3e-4, "step size", low=1e-6, high=1.0, log=True)
STEPS = HyperParam("n_steps", "int", 2048, "rollout length", low=2, high=8192)
GRAD_STEPS = HyperParam("gradient_steps", "int", 1, "updates", low=1, high=256, special=(-1,))
FLAG = HyperParam("normalize_advantage", "bool", False, "normalise")
ARCH = HyperParam("net_arch", "choice", "64x64", "layers", choices=("32", "64x64", "256x256"))
ENT = HyperParam("ent_coef", "float", "auto", "entropy", low=0.0, high=10.0, allow_auto=True)
SCHEMA = Schema((RATE, STEPS, FLAG, ARCH))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0.001", 0.001), (" 1e-3 ", 0.001), (0.5, 0.5), (1, 1.0), ("1", 1.0), ("1E-6", 1e-6)],
)
def test_float_parses_text_and_numbers(raw: object, expected: float) -> None:
    value = RATE.parse(raw)
    assert value == expected
    assert isinstance(value, float)


@pytest.mark.parametrize(
    ("raw", "expected"), [("2048", 2048), ("1e3", 1000), ("2.048e3", 2048), (" 64 ", 64), (64, 64), (64.0, 64)]
)
def test_int_accepts_whole_numbers_also_in_scientific_notation(raw: object, expected: int) -> None:
    value = STEPS.parse(raw)
    assert value == expected
    assert isinstance(value, int) and not isinstance(value, bool)


@pytest.mark.parametrize("raw", ["abc", "", "0x10", "1,000", "nan", "NaN", "inf", "-inf", "Infinity", "1e400"])
@pytest.mark.parametrize("param", [RATE, STEPS], ids=["float", "int"])
def test_numbers_refuse_text_and_non_finite_values(param: HyperParam, raw: str) -> None:
    with pytest.raises(HyperParamError) as caught:
        param.parse(raw)
    message = str(caught.value)
    assert message.startswith(param.name)
    assert "\n" not in message


@pytest.mark.parametrize("raw", [True, False])
def test_numbers_refuse_booleans(raw: bool) -> None:
    """A checkbox value typed into a number field is a mistake, not 1 or 0."""
    for param in (RATE, STEPS):
        with pytest.raises(HyperParamError, match=param.name):
            param.parse(raw)


def test_huge_python_int_is_refused_with_a_hyperparam_error() -> None:
    """An integer too large for a float (e.g. from stored JSON) is a bad value, not an OverflowError."""
    with pytest.raises(HyperParamError, match="n_steps"):
        STEPS.parse(10**400)
    with pytest.raises(HyperParamError, match="learning_rate"):
        RATE.parse(10**400)


def test_int_refuses_fractions_with_the_rule() -> None:
    with pytest.raises(HyperParamError, match=r"n_steps must be a whole number, not '12\.5'"):
        STEPS.parse("12.5")


@pytest.mark.parametrize(
    ("param", "raw", "expected_message"),
    [
        (RATE, "-1", "learning_rate must be between 1e-06 and 1, not -1"),
        (RATE, "2", "learning_rate must be between 1e-06 and 1, not 2"),
        (STEPS, "0", "n_steps must be between 2 and 8_192, not 0"),
        (STEPS, "1e12", "n_steps must be between 2 and 8_192, not 1_000_000_000_000"),
        (GRAD_STEPS, "-2", "gradient_steps must be between 1 and 256 (or -1), not -2"),
    ],
)
def test_bounds_are_enforced_with_a_message_naming_the_parameter(
    param: HyperParam, raw: str, expected_message: str
) -> None:
    with pytest.raises(HyperParamError) as caught:
        param.parse(raw)
    assert str(caught.value) == expected_message


def test_bounds_are_inclusive() -> None:
    assert RATE.parse("1e-6") == 1e-6
    assert RATE.parse("1") == 1.0
    assert STEPS.parse("2") == 2
    assert STEPS.parse("8192") == 8192


def test_special_out_of_range_integers_are_accepted() -> None:
    assert GRAD_STEPS.parse("-1") == -1
    assert GRAD_STEPS.parse(-1) == -1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[(True, True), ("true", True), ("TRUE", True), ("yes", True), ("1", True), (" on ", True)],
        *[(False, False), ("false", False), ("No", False), ("0", False), ("off", False)],
    ],
)
def test_bool_parses_common_spellings(raw: object, expected: bool) -> None:
    assert FLAG.parse(raw) is expected


@pytest.mark.parametrize("raw", ["maybe", "", "2", "truee"])
def test_bool_refuses_anything_else(raw: str) -> None:
    with pytest.raises(HyperParamError, match=r"normalize_advantage: .* is not true or false"):
        FLAG.parse(raw)


def test_choice_accepts_listed_values_and_refuses_others_listing_them() -> None:
    assert ARCH.parse(" 256x256 ") == "256x256"
    assert ARCH.parse(32) == "32"
    with pytest.raises(HyperParamError) as caught:
        ARCH.parse("1000x1000")
    assert str(caught.value) == "net_arch: '1000x1000' is not one of: 32, 64x64, 256x256"


def test_auto_is_accepted_only_where_allowed() -> None:
    assert ENT.parse("auto") == "auto"
    assert ENT.parse(" AUTO ") == "auto"
    assert ENT.parse("0.1") == 0.1
    with pytest.raises(HyperParamError, match="ent_coef must be between 0 and 10"):
        ENT.parse("11")
    with pytest.raises(HyperParamError, match="learning_rate"):
        RATE.parse("auto")


def test_hostile_values_are_quoted_short_and_on_one_line() -> None:
    hostile = "<script>alert(1)</script>\n" + "A" * 10_000
    with pytest.raises(HyperParamError) as caught:
        RATE.parse(hostile)
    message = str(caught.value)
    assert "\n" not in message
    assert len(message) < 120
    assert message.startswith("learning_rate: ")


def test_resolve_layers_defaults_then_preset_then_user() -> None:
    resolved = SCHEMA.resolve({"learning_rate": 0.01, "n_steps": 64}, {"n_steps": "128", "net_arch": "32"})
    assert resolved == {"learning_rate": 0.01, "n_steps": 128, "normalize_advantage": False, "net_arch": "32"}
    assert SCHEMA.resolve() == SCHEMA.defaults()
    assert list(resolved) == list(SCHEMA.names), "resolved values keep the schema's order"


def test_resolve_checks_every_layer_and_names_unknown_parameters() -> None:
    with pytest.raises(HyperParamError, match="n_steps must be between"):
        SCHEMA.resolve({"n_steps": 1})
    with pytest.raises(HyperParamError) as caught:
        SCHEMA.resolve({}, {"learning_rat": "0.1"})
    message = str(caught.value)
    assert "unknown hyperparameter 'learning_rat'" in message
    assert "learning_rate" in message, "the message lists the parameters that exist"


def test_diff_from_defaults_keeps_only_changed_values() -> None:
    values = SCHEMA.resolve({"n_steps": 64})
    assert SCHEMA.diff_from_defaults(values) == {"n_steps": 64}
    assert SCHEMA.diff_from_defaults(SCHEMA.defaults()) == {}


def test_schema_refuses_duplicate_names() -> None:
    with pytest.raises(AssertionError, match="duplicate"):
        Schema((RATE, RATE))


def test_parse_assignments_splits_name_value_pairs() -> None:
    parsed = parse_assignments(["learning_rate=0.001", " n_steps = 64 ", "reward_expr=a=b", "gamma=0.9", "gamma=0.8"])
    assert parsed == {"learning_rate": "0.001", "n_steps": "64", "reward_expr": "a=b", "gamma": "0.8"}
    assert parse_assignments([]) == {}


@pytest.mark.parametrize("item", ["learning_rate", "=0.1", "  =1", ""])
def test_parse_assignments_refuses_malformed_items(item: str) -> None:
    with pytest.raises(HyperParamError, match="expected NAME=VALUE"):
        parse_assignments([item])


def _sample_values(param: HyperParam) -> list[object]:
    """The default plus values at and inside the bounds: what a widget, a preset or a link could hold."""
    if param.kind == "bool":
        return [True, False]
    if param.kind == "choice":
        return list(param.choices)
    values: list[object] = [param.default, *param.special]
    low, high = param.low, param.high
    if low is not None and high is not None:
        values += [low, high, (low + high) / 3]
        if param.log and low > 0:
            values.append(math.sqrt(low * high))
    if param.kind == "int":
        values = [int(v) if not isinstance(v, str) else v for v in values]
    else:
        values = [float(v) if not isinstance(v, str) else v for v in values]
    return values


@pytest.mark.parametrize("algo_id", list(algorithms()))
def test_to_text_then_parse_round_trips_every_parameter(algo_id: str) -> None:
    """Share links and ``--set`` write values with ``to_text``; reading them back must give the same value."""
    schema = algorithms()[algo_id].schema
    assert schema.params, f"{algo_id} has no hyperparameters"
    for param in schema:
        for value in _sample_values(param):
            checked = param.parse(value)
            text = param.to_text(checked)
            assert isinstance(text, str)
            back = param.parse(text)
            assert back == checked and type(back) is type(checked), f"{algo_id}.{param.name}: {value!r} -> {text!r}"


@pytest.mark.parametrize("algo_id", list(algorithms()))
def test_every_default_passes_its_own_checks_and_has_help(algo_id: str) -> None:
    schema = algorithms()[algo_id].schema
    for param in schema:
        assert param.parse(param.default) == param.default, f"{algo_id}.{param.name}"
        assert param.help.strip(), f"{algo_id}.{param.name} has no help text"
