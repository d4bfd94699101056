"""Reward expressions: hostile input is refused fast and harmlessly; plain formulas evaluate correctly."""

from __future__ import annotations

import doctest
import os
import sys
import time

import numpy as np
import pytest

import envs.reward_expr
from envs.reward_expr import MAX_LENGTH, NonFiniteRewardError, RewardExprError, RewardExpression

CARTPOLE_FEATURES = ("x", "x_dot", "theta", "theta_dot")


def compile_cartpole(text: str) -> RewardExpression:
    return RewardExpression.compile(text, CARTPOLE_FEATURES, obs_size=4)


HOSTILE = [
    # (expression, a fragment the refusal must contain)
    ("os", "unknown name 'os' at column 1"),
    ("__builtins__", "unknown name '__builtins__'"),
    ("__import__('os')", "unknown function '__import__' at column 1"),
    ("__import__('os').system('touch pwned')", "attribute access ('.system')"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access"),
    ("obs.__class__", "attribute access ('.__class__') is not allowed at column 4"),
    ("obs.tofile('pwned')", "attribute access ('.tofile')"),
    ("reward.real", "attribute access"),
    ("abs.__self__", "attribute access"),
    ("sqrt.__globals__['__builtins__']", "attribute access"),
    ("import os", "syntax error at column 1"),
    ("exec('open(1)')", "unknown function 'exec'"),
    ("eval('1')", "unknown function 'eval'"),
    ("open('pwned', 'w')", "unknown function 'open'"),
    ("getattr(obs, 'tofile')", "unknown function 'getattr'"),
    ("globals()", "unknown function 'globals'"),
    ("breakpoint()", "unknown function 'breakpoint'"),
    ("reward if reward else __builtins__", "unknown name '__builtins__'"),
    ("9**9**9", "too large"),
    ("9.0**9**9", "too large"),
    ("10.0**400", "too large"),
    ("2**100000", "too large"),
    ("exp(1e6)", "too large"),
    ("reward * 1e999", "too large"),
    ("(" * 100 + "1" + ")" * 100, "brackets nest more than"),
    ("[" * 50 + "]" * 50, "brackets nest more than"),
    ("-" * 200 + "1", "nests more than"),
    ("not " * 60 + "reward", "nests more than"),
    ("+".join(["reward"] * 40), "nests more than"),
    ("max(" + ",".join(["1"] * 120) + ")", "more than 100 parts"),
    ("reward + " * 100 + "1", "too long"),
    ("x" * 100_000, "too long"),
    ("'a' * 10**9", "strings are not allowed"),
    ("'abc'", "strings are not allowed"),
    ("b'x'", "strings are not allowed"),
    ("lambda: 0", "lambda is not allowed"),
    ("(lambda: 0)()", "lambda is not allowed"),
    ("[x for x in range(10**9)]", "comprehensions are not allowed"),
    ("{x for x in obs}", "comprehensions are not allowed"),
    ("{k: 1 for k in obs}", "comprehensions are not allowed"),
    ("max(i for i in obs)", "comprehensions are not allowed"),
    ("sum(obs)", "unknown function 'sum'"),
    ("(y := 1)", "assignment (:=) is not allowed"),
    ("f'{reward}'", "f-strings are not allowed"),
    ("f'{().__class__}'", "f-strings are not allowed"),
    ("'{0.__class__}'.format(obs)", "attribute access ('.format')"),
    ("'%s' % reward", "strings are not allowed"),
    ("obs[0:2]", "slices are not allowed"),
    ("obs[reward]", "integer literal"),
    ("obs[1.5]", "integer literal"),
    ("obs[True]", "integer literal"),
    ("obs[10**100]", "integer literal"),
    ("obs[99]", "obs[99] is out of range"),
    ("x[0]", "only obs[i] and action[i] can be indexed"),
    ("[1, 2]", "lists are not allowed"),
    ("(1, 2)", "tuples are not allowed"),
    ("{1: 2}", "dicts are not allowed"),
    ("max(*obs)", "unpacking is not allowed"),
    ("max(reward, key=abs)", "keyword arguments are not allowed"),
    ("reward @ reward", "operator '@' is not allowed"),
    ("reward & 1", "operator '&' is not allowed"),
    ("~reward", "operator '~' is not allowed"),
    ("reward is None", "'is' comparisons are not allowed"),
    ("1 in obs", "'in' comparisons are not allowed"),
    ("1j", "complex numbers are not allowed"),
    ("None", "None is not allowed"),
    ("...", "Ellipsis is not allowed"),
    ("(yield)", "yield is not allowed"),
    ("await reward", "await is not allowed"),
    ("reward\n.__class__", "a line break at column 7"),
    ("\uff4f\uff53", "plain ASCII"),  # fullwidth 'os', which Python would normalise to os
    ("reward\x00", "plain ASCII"),
    ("", "empty"),
    ("   ", "empty"),
    ("obs", "index it, e.g. obs[0]"),
    ("sqrt", "sqrt is a function"),
    ("sqrt(-1)", "sqrt(-1.0) is not defined"),
    ("log(0)", "log(0.0) is not defined"),
    ("1/0", "division by zero at column 1"),
    ("(-8) ** 0.5", "is not a real number"),
    ("clip(reward)", "clip() takes 3 arguments, got 1"),
    ("min(reward)", "min() takes at least 2 arguments"),
    ("reward reward", "syntax error"),
    ("reward +", "syntax error"),
]


@pytest.mark.parametrize(("text", "fragment"), HOSTILE, ids=[repr(text[:30]) for text, _ in HOSTILE])
def test_hostile_expression_is_refused_quickly_without_side_effects(
    text: str, fragment: str, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    modules_before = set(sys.modules)
    started = time.perf_counter()
    with pytest.raises(RewardExprError) as refusal:
        compile_cartpole(text)
    elapsed = time.perf_counter() - started
    assert fragment in str(refusal.value)
    assert elapsed < 0.1, f"refusing took {elapsed:.3f} s"
    assert os.listdir(tmp_path) == []
    assert set(sys.modules) == modules_before


@pytest.mark.parametrize(
    ("text", "col"),
    [("os", 1), ("reward + os", 10), ("reward + obs.tofile", 13), ("1 + 'a'", 5), ("reward + (y := 2)", 11)],
)
def test_refusal_reports_the_column(text: str, col: int) -> None:
    with pytest.raises(RewardExprError) as refusal:
        compile_cartpole(text)
    assert refusal.value.col == col
    assert f"column {col}" in str(refusal.value)


SAMPLE = {
    "reward": 1.0,
    "obs": np.array([0.5, -1.0, 0.1, 2.0], dtype=np.float32),
    "action": 1,
    "t": 7,
    "terminated": False,
    "truncated": True,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reward", 1.0),
        ("reward - 0.1*abs(theta)", 0.99),
        ("reward + (10 if terminated else 0)", 1.0),
        ("-5 if truncated else reward", -5.0),
        ("clip(x * 10, -1, 1)", 1.0),
        ("obs[0]**2 + obs[1]**2", 1.25),
        ("obs[-1]", 2.0),
        ("min(reward, x, 3)", 0.5),
        ("max(reward, x)", 1.0),
        ("sqrt(x_dot**2)", 1.0),
        ("exp(0) + log(1)", 1.0),
        ("tanh(0) + sign(x_dot) + sign(0)", -1.0),
        ("0.01 * t", 0.07),
        ("1e-3 * t", 0.007),
        ("0 < x < 1", 1.0),
        ("0 < x < 0.4", 0.0),
        ("action == 1", 1.0),
        ("action != 1", 0.0),
        ("not terminated and reward or -1", 1.0),
        ("terminated or -1", -1.0),
        ("7 // 2 + 7 % 2", 4.0),
        ("2 ** -1", 0.5),
        ("True + False", 1.0),
        ("  abs( theta_dot )  ", 2.0),
        ("x if x > 0 else -x", 0.5),
        ("x ** 9**9", 0.0),  # a huge exponent on a small base is fine: it underflows to 0
        ("0." + "0" * (MAX_LENGTH - 3) + "1", 0.0),  # exactly MAX_LENGTH characters is accepted
    ],
)
def test_plain_expression_is_accepted_and_evaluated(text: str, expected: float) -> None:
    value = compile_cartpole(text).evaluate(**SAMPLE)
    assert isinstance(value, float)
    assert value == pytest.approx(expected, abs=1e-6)


def test_box_action_can_be_indexed_or_used_whole_when_it_has_one_number() -> None:
    assert RewardExpression.compile("action[0] ** 2").evaluate(
        reward=0.0, obs=np.zeros(2), action=np.array([0.5]), t=1, terminated=False, truncated=False
    ) == pytest.approx(0.25)
    whole = RewardExpression.compile("-abs(action)")
    inputs = {"reward": 0.0, "obs": np.zeros(2), "t": 1, "terminated": False, "truncated": False}
    assert whole.evaluate(action=np.array([0.5], dtype=np.float32), **inputs) == -0.5
    with pytest.raises(RewardExprError, match="action has 2 numbers"):
        whole.evaluate(action=np.array([0.1, 0.2]), **inputs)


def test_discrete_observation_is_one_number() -> None:
    expr = RewardExpression.compile("reward + 0.1 * state", ("state",), obs_size=1)
    assert expr.evaluate(reward=0.0, obs=np.int64(5), action=0, t=1, terminated=False, truncated=False) == 0.5


@pytest.mark.parametrize(
    ("text", "obs", "reason"),
    [
        ("log(x)", [0.0, 0, 0, 0], "failed (log(0.0) is not defined at column 1)"),
        ("reward / x", [0.0, 0, 0, 0], "failed (division by zero at column 1)"),
        ("reward % x", [0.0, 0, 0, 0], "failed (division by zero at column 1)"),
        ("x ** 9**9", [2.0, 0, 0, 0], "is too large at column 1"),
        ("exp(x)", [1000.0, 0, 0, 0], "exp(1000.0) is too large"),
        ("x * 1e308 * 10", [1.0, 0, 0, 0], "gave inf"),
        ("x - x_dot", [np.inf, np.inf, 0, 0], "gave nan"),
        ("theta", [0.0, 0, np.nan, 0], "gave nan"),
    ],
)
def test_value_that_is_not_finite_fails_with_a_readable_reason(text: str, obs: list[float], reason: str) -> None:
    expr = compile_cartpole(text)
    with pytest.raises(NonFiniteRewardError) as failure:
        expr.evaluate(reward=1.0, obs=np.array(obs), action=0, t=1, terminated=False, truncated=False)
    assert reason in failure.value.reason
    assert str(failure.value).startswith("reward expression ")


def test_obs_index_is_range_checked_at_evaluation_when_size_was_unknown() -> None:
    expr = RewardExpression.compile("obs[5]")
    with pytest.raises(NonFiniteRewardError, match="obs has 2 numbers"):
        expr.evaluate(reward=0.0, obs=np.zeros(2), action=0, t=1, terminated=False, truncated=False)


def test_feature_names_depend_on_the_environment() -> None:
    RewardExpression.compile("position + velocity", ("position", "velocity"), obs_size=2)
    with pytest.raises(RewardExprError, match=r"unknown name 'theta'.*known names: .*position, velocity"):
        RewardExpression.compile("theta", ("position", "velocity"), obs_size=2)


@pytest.mark.parametrize("bad_name", ["reward", "sqrt", "not a name"])
def test_feature_names_that_would_shadow_the_grammar_are_a_programming_error(bad_name: str) -> None:
    with pytest.raises(ValueError, match="cannot be used"):
        RewardExpression.compile("reward", (bad_name,))


def test_evaluation_is_fast_enough_to_run_every_training_step() -> None:
    expr = compile_cartpole("reward - 0.01*abs(theta) + (10 if terminated else 0) - 0.001*t")
    started = time.perf_counter()
    for step in range(20_000):
        expr.evaluate(**{**SAMPLE, "t": step})
    assert time.perf_counter() - started < 2.0  # about 2 µs each when measured: 40 ms in all


def test_docstring_example_runs() -> None:
    result = doctest.testmod(envs.reward_expr)
    assert result.attempted > 0 and result.failed == 0
