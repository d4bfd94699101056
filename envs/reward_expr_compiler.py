"""The allow-list compiler behind reward expressions: a checked syntax tree becomes nested closures.

Each node type the grammar allows has a handler here; any other node is refused with a message naming it and its
column. Constant sub-trees are folded while compiling, so ``9**9**9`` or ``log(0)`` is refused before training
starts. The closures only ever call the operators and the functions in :data:`FUNCTIONS`; nothing reaches
``eval``/``exec``.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from envs.reward_expr_syntax import RESERVED_NAMES, RewardExprError, column_of, refuse


class EvalFailure(Exception):
    """Raised inside the closures; turned into a RewardExprError with the right wording by the caller."""

    def __init__(self, message: str, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.col = col


# The inputs of one evaluation: (reward, obs values, action values, t, terminated, truncated).
Inputs = tuple[float, Sequence[float], Sequence[float], float, float, float]
CompiledFn = Callable[[Inputs], float]
_SCALAR_INPUTS = {"reward": 0, "t": 3, "terminated": 4, "truncated": 5}


def _sign(x: float) -> float:
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return x  # 0.0 stays 0.0 and nan stays nan


def _clip(x: float, low: float, high: float) -> float:
    return min(max(x, low), high)


FUNCTIONS: dict[str, tuple[Callable[..., float], int, int | None]] = {
    # name: (implementation, minimum arguments, maximum arguments or None for any)
    "abs": (math.fabs, 1, 1),
    "min": (min, 2, None),
    "max": (max, 2, None),
    "clip": (_clip, 3, 3),
    "sqrt": (math.sqrt, 1, 1),
    "exp": (math.exp, 1, 1),
    "log": (math.log, 1, 1),
    "tanh": (math.tanh, 1, 1),
    "sign": (_sign, 1, 1),
}

_BINARY: dict[type[ast.operator], tuple[str, Callable[[float, float], float]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod),
    ast.Pow: ("**", math.pow),
}
_COMPARE: dict[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_OPERATOR_SYMBOLS = {
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Lambda: "lambda is",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are",
    ast.NamedExpr: "assignment (:=) is",
    ast.JoinedStr: "f-strings are",
    ast.FormattedValue: "f-strings are",
    ast.List: "lists are",
    ast.Tuple: "tuples are",
    ast.Set: "sets are",
    ast.Dict: "dicts are",
    ast.Starred: "* unpacking is",
    ast.Slice: "slices are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
}


def _show(value: float) -> str:
    return f"({value!r})" if value < 0 else repr(value)


def _show_call(name: str, args: Sequence[float]) -> str:
    return f"{name}({', '.join(map(repr, args))})"


class ExpressionCompiler:
    """Turns a validated-as-it-goes tree into closures; constant sub-trees are folded to numbers."""

    def __init__(self, feature_names: Sequence[str], obs_size: int | None) -> None:
        for name in feature_names:
            if not name.isidentifier() or name in RESERVED_NAMES or name in FUNCTIONS:
                raise ValueError(f"feature name {name!r} cannot be used in reward expressions")
        self.features = {name: index for index, name in enumerate(feature_names)}
        self.obs_size = obs_size
        self.uses_obs = False
        self.uses_action = False
        # The allow-list: any node type not in this table is refused.
        self._handlers: dict[type[ast.AST], Callable[[Any], tuple[CompiledFn, float | None]]] = {
            ast.Constant: self._constant,
            ast.Name: self._name,
            ast.Subscript: self._subscript,
            ast.BinOp: self._binop,
            ast.UnaryOp: self._unaryop,
            ast.BoolOp: self._boolop,
            ast.Compare: self._compare,
            ast.IfExp: self._ifexp,
            ast.Call: self._call,
        }

    # Each method returns (closure, constant value or None when it depends on the inputs).
    def compile(self, node: ast.expr) -> tuple[CompiledFn, float | None]:
        handler = self._handlers.get(type(node))
        if handler is None:
            what = _REFUSED_NODES.get(type(node), f"{type(node).__name__} syntax is")
            if isinstance(node, ast.Attribute):
                col = node.end_col_offset - len(node.attr) if node.end_col_offset else column_of(node)
                raise RewardExprError(f"attribute access ('.{node.attr}') is not allowed at column {col}", col)
            raise refuse(what, node)
        return handler(node)

    def _fold(self, fn: CompiledFn, node: ast.expr) -> tuple[CompiledFn, float | None]:
        try:
            value = float(fn(None))  # type: ignore[arg-type]  # constant sub-trees never read the inputs
        except EvalFailure as failure:
            raise RewardExprError(failure.message, failure.col) from None
        if not math.isfinite(value):
            col = column_of(node)
            raise RewardExprError(f"the value is not finite ({value}) at column {col}", col)
        return (lambda _inputs: value), value

    def _constant(self, node: ast.Constant) -> tuple[CompiledFn, float | None]:
        value = node.value
        if isinstance(value, str | bytes):
            raise refuse("strings are", node)
        if isinstance(value, complex):
            raise refuse("complex numbers are", node)
        if not isinstance(value, int | float):  # None, Ellipsis
            raise refuse(f"{value!r} is", node)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            col = column_of(node)
            raise RewardExprError(f"the number at column {col} is too large", col)
        return (lambda _inputs: number), number

    def _name(self, node: ast.Name) -> tuple[CompiledFn, float | None]:
        name, col = node.id, column_of(node)
        if name in _SCALAR_INPUTS:
            index = _SCALAR_INPUTS[name]
            return (lambda inputs: inputs[index]), None
        if name in self.features:
            return self._obs_item(self.features[name], col), None
        if name == "action":
            self.uses_action = True

            def whole_action(inputs: Inputs) -> float:
                values = inputs[2]
                if len(values) != 1:
                    raise EvalFailure(f"action has {len(values)} numbers; pick one with action[i]", col)
                return values[0]

            return whole_action, None
        if name == "obs":
            raise RewardExprError(f"obs is a list of numbers; index it, e.g. obs[0] (column {col})", col)
        if name in FUNCTIONS:
            raise RewardExprError(f"{name} is a function; call it, e.g. {name}(x) (column {col})", col)
        known = ", ".join(["reward", "obs[i]", "action", "t", "terminated", "truncated", *self.features])
        raise RewardExprError(f"unknown name {name!r} at column {col}; known names: {known}", col)

    def _obs_item(self, index: int, col: int) -> CompiledFn:
        self.uses_obs = True

        def obs_item(inputs: Inputs) -> float:
            try:
                return inputs[1][index]
            except IndexError:
                raise EvalFailure(f"obs[{index}] is out of range: obs has {len(inputs[1])} numbers", col) from None

        return obs_item

    def _subscript(self, node: ast.Subscript) -> tuple[CompiledFn, float | None]:
        col = column_of(node)
        target = node.value.id if isinstance(node.value, ast.Name) else None
        if target is None:
            self.compile(node.value)  # refuses attributes and the like with their own message first
        if target not in ("obs", "action"):
            raise RewardExprError(f"only obs[i] and action[i] can be indexed (column {col})", col)
        index_node, sign = node.slice, 1
        if isinstance(index_node, ast.UnaryOp) and isinstance(index_node.op, ast.USub):
            index_node, sign = index_node.operand, -1
        if not (
            isinstance(index_node, ast.Constant)
            and isinstance(index_node.value, int)
            and not isinstance(index_node.value, bool)
        ):
            if isinstance(index_node, ast.Slice):
                raise refuse("slices are", index_node)
            raise RewardExprError(f"the index of {target}[...] must be an integer literal (column {col})", col)
        index = sign * index_node.value
        if target == "obs":
            if self.obs_size is not None:
                if not -self.obs_size <= index < self.obs_size:
                    raise RewardExprError(
                        f"obs[{index}] is out of range at column {col}: obs has {self.obs_size} numbers", col
                    )
                index %= self.obs_size
            return self._obs_item(index, col), None
        self.uses_action = True

        def action_item(inputs: Inputs) -> float:
            try:
                return inputs[2][index]
            except IndexError:
                raise EvalFailure(f"action[{index}] is out of range: action has {len(inputs[2])}", col) from None

        return action_item, None

    def _binop(self, node: ast.BinOp) -> tuple[CompiledFn, float | None]:
        if type(node.op) not in _BINARY:
            raise refuse(f"operator {_OPERATOR_SYMBOLS.get(type(node.op), '?')!r} is", node)
        symbol, op = _BINARY[type(node.op)]
        (left, left_const), (right, right_const) = self.compile(node.left), self.compile(node.right)
        col = column_of(node)

        def binary(inputs: Inputs) -> float:
            a, b = left(inputs), right(inputs)
            try:
                return op(a, b)
            except ZeroDivisionError:
                raise EvalFailure(f"division by zero at column {col}", col) from None
            except OverflowError:
                raise EvalFailure(f"{_show(a)} {symbol} {_show(b)} is too large at column {col}", col) from None
            except ValueError:
                shown = f"{_show(a)} {symbol} {_show(b)}"
                raise EvalFailure(f"{shown} is not a real number at column {col}", col) from None

        if left_const is not None and right_const is not None:
            return self._fold(binary, node)
        return binary, None

    def _unaryop(self, node: ast.UnaryOp) -> tuple[CompiledFn, float | None]:
        operand, const = self.compile(node.operand)
        if isinstance(node.op, ast.USub):
            fn: CompiledFn = lambda inputs: -operand(inputs)  # noqa: E731
        elif isinstance(node.op, ast.UAdd):
            fn = operand
        elif isinstance(node.op, ast.Not):
            fn = lambda inputs: 0.0 if operand(inputs) else 1.0  # noqa: E731
        else:
            raise refuse(f"operator {_OPERATOR_SYMBOLS.get(type(node.op), '?')!r} is", node)
        return self._fold(fn, node) if const is not None else (fn, None)

    def _boolop(self, node: ast.BoolOp) -> tuple[CompiledFn, float | None]:
        parts = [self.compile(value) for value in node.values]
        fns = [fn for fn, _ in parts]
        stop_when_true = isinstance(node.op, ast.Or)

        def boolean(inputs: Inputs) -> float:
            value = 0.0
            for fn in fns:
                value = fn(inputs)
                if bool(value) == stop_when_true:
                    break
            return value

        if all(const is not None for _, const in parts):
            return self._fold(boolean, node)
        return boolean, None

    def _compare(self, node: ast.Compare) -> tuple[CompiledFn, float | None]:
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise refuse(f"{_OPERATOR_SYMBOLS.get(type(op), '?')!r} comparisons are", node)
        first, first_const = self.compile(node.left)
        rest = [self.compile(value) for value in node.comparators]
        steps = [(_COMPARE[type(op)], fn) for op, (fn, _) in zip(node.ops, rest, strict=True)]

        def compare(inputs: Inputs) -> float:
            left = first(inputs)
            for op, fn in steps:
                right = fn(inputs)
                if not op(left, right):
                    return 0.0
                left = right
            return 1.0

        if first_const is not None and all(const is not None for _, const in rest):
            return self._fold(compare, node)
        return compare, None

    def _ifexp(self, node: ast.IfExp) -> tuple[CompiledFn, float | None]:
        (test, test_const), (body, body_const), (orelse, else_const) = (
            self.compile(node.test),
            self.compile(node.body),
            self.compile(node.orelse),
        )
        if test_const is not None:
            return (body, body_const) if test_const else (orelse, else_const)
        return (lambda inputs: body(inputs) if test(inputs) else orelse(inputs)), None

    def _call(self, node: ast.Call) -> tuple[CompiledFn, float | None]:
        col = column_of(node)
        allowed = ", ".join(FUNCTIONS)
        if not isinstance(node.func, ast.Name):
            self.compile(node.func)  # refuses attributes, lambdas, ... with their own message
            raise RewardExprError(f"only the functions {allowed} can be called (column {col})", col)
        name = node.func.id
        if name not in FUNCTIONS:
            raise RewardExprError(f"unknown function {name!r} at column {col}; allowed functions: {allowed}", col)
        if node.keywords:
            raise refuse("keyword arguments are", node.keywords[0].value)
        parts = [self.compile(arg) for arg in node.args]
        impl, min_args, max_args = FUNCTIONS[name]
        count = len(node.args)
        if count < min_args or (max_args is not None and count > max_args):
            wanted = f"{min_args}" if min_args == max_args else f"at least {min_args}"
            raise RewardExprError(f"{name}() takes {wanted} arguments, got {count} (column {col})", col)
        fns = [fn for fn, _ in parts]

        def call(inputs: Inputs) -> float:
            args = [fn(inputs) for fn in fns]
            try:
                return impl(*args)
            except OverflowError:
                raise EvalFailure(f"{_show_call(name, args)} is too large at column {col}", col) from None
            except ValueError:
                raise EvalFailure(f"{_show_call(name, args)} is not defined at column {col}", col) from None

        if all(const is not None for _, const in parts):
            return self._fold(call, node)
        return call, None
