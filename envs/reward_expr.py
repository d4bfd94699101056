"""Custom reward expressions typed by a person, checked against an allow-list and evaluated without ``eval``.

An expression arrives from a text box or a shared link, so it is untrusted input from the internet. General
evaluators (numexpr, asteval, simpleeval) have all had escapes, so this module accepts a tiny grammar only:

* numbers, ``True``/``False``; names ``reward``, ``action``, ``t``, ``terminated``, ``truncated`` and the
  env's feature names (CartPole: ``x``, ``x_dot``, ``theta``, ``theta_dot``);
* ``obs[i]`` and ``action[i]`` with an integer literal ``i`` (negative counts from the end);
* ``+ - * / // % **``, unary ``+ - not``, comparisons ``< <= > >= == !=`` (chains allowed), ``and``/``or``
  (Python semantics: they return an operand), ``a if cond else b``;
* the functions ``abs min max clip sqrt exp log tanh sign``.

Everything else (attributes, strings, calls to anything else, other subscripts, comprehensions, lambdas,
assignments, containers) is refused with a message that says what and where. The text is checked for length
and bracket depth *before* ``ast.parse`` (which can itself blow up on deep nesting), then the tree for node
count and depth. Every value is a Python float and ``**`` is ``math.pow``, so ``9**9**9`` overflows at once
instead of grinding through a huge integer. Constant sub-expressions are folded when compiling, so such input
is refused before training starts. The validated tree is turned into nested closures once; evaluating walks
those closures and never touches ``eval``/``exec``.

This module is the public face: the text checks and errors live in :mod:`envs.reward_expr_syntax`, the
allow-list compiler and the function table in :mod:`envs.reward_expr_compiler`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from envs.learner_range import fits_learner, not_storable
from envs.reward_expr_compiler import FUNCTIONS, CompiledFn, EvalFailure, ExpressionCompiler, Inputs
from envs.reward_expr_syntax import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    RESERVED_NAMES,
    NonFiniteRewardError,
    RewardExprError,
    check_size,
    check_text,
    parse_expression,
)

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "RESERVED_NAMES",
    "NonFiniteRewardError",
    "RewardExprError",
    "RewardExpression",
]


def _as_floats(value: np.ndarray | float | int | bool) -> list[float]:
    return np.asarray(value, dtype=np.float64).ravel().tolist()


class RewardExpression:
    """A reward formula that passed the allow-list, ready to be evaluated many times per second.

    >>> import numpy as np
    >>> expr = RewardExpression.compile("reward - 0.1 * abs(theta)", ("x", "x_dot", "theta", "theta_dot"))
    >>> expr.evaluate(reward=1.0, obs=np.array([0.0, 0.0, 0.5, 0.0]), action=1, t=3,
    ...               terminated=False, truncated=False)
    0.95
    """

    def __init__(self, text: str, fn: CompiledFn, uses_obs: bool, uses_action: bool) -> None:
        self.text = text
        self._fn = fn
        self._uses_obs = uses_obs
        self._uses_action = uses_action

    @classmethod
    def compile(cls, text: str, feature_names: Sequence[str] = (), obs_size: int | None = None) -> RewardExpression:
        """Validate ``text`` and build its evaluator; raise :class:`RewardExprError` saying what and where."""
        if not isinstance(text, str):
            raise RewardExprError("the expression must be text")
        text = text.strip()
        check_text(text)
        root = parse_expression(text)
        check_size(root)
        compiler = ExpressionCompiler(feature_names, obs_size)
        try:
            fn, constant = compiler.compile(root)
        except RecursionError:  # not expected after _check_size; kept so no input can crash the caller
            raise RewardExprError("the expression is too complex to read") from None
        if constant is not None and not fits_learner(constant):
            raise RewardExprError(f"the expression is always {not_storable(constant)}")
        return cls(text, fn, compiler.uses_obs, compiler.uses_action)

    def evaluate(
        self,
        *,
        reward: float,
        obs: np.ndarray | float | int,
        action: np.ndarray | int | float,
        t: int,
        terminated: bool,
        truncated: bool,
    ) -> float:
        """The expression's value for one transition; :class:`NonFiniteRewardError` unless the learner can store it
        (finite in float32: see :mod:`envs.learner_range`)."""
        inputs: Inputs = (
            float(reward),
            _as_floats(obs) if self._uses_obs else (),
            _as_floats(action) if self._uses_action else (),
            float(t),
            1.0 if terminated else 0.0,
            1.0 if truncated else 0.0,
        )
        try:
            value = float(self._fn(inputs))
        except EvalFailure as failure:
            raise NonFiniteRewardError(f"failed ({failure.message})", failure.col) from None
        if not fits_learner(value):
            raise NonFiniteRewardError(f"gave {not_storable(value)}")
        return value

    def __repr__(self) -> str:
        return f"RewardExpression({self.text!r})"
