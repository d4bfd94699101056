"""The checks a reward expression's text passes before it is compiled: limits, errors, and where they point.

These run on untrusted text, so they come first and stay cheap: the length and bracket depth are checked *before*
``ast.parse`` (which can itself blow up on deep nesting), then the parsed tree's node count and depth. The errors
defined here carry a 1-based column so the form can point at the problem while the person types.
"""

from __future__ import annotations

import ast

MAX_LENGTH = 300
"""Characters. A long reward formula fits comfortably; it keeps parsing and evaluation cheap."""
MAX_NODES = 100
"""Expression nodes (names, numbers, operations) in the parsed tree."""
MAX_DEPTH = 20
"""Nesting depth, both of brackets in the text and of the parsed tree."""

RESERVED_NAMES = ("reward", "obs", "action", "t", "terminated", "truncated")


class RewardExprError(ValueError):
    """An expression that is refused, or that cannot be evaluated; the message says what and where."""

    def __init__(self, message: str, col: int | None = None) -> None:
        super().__init__(message)
        self.col = col
        """1-based column in the expression text, when the problem has a place."""


class NonFiniteRewardError(RewardExprError):
    """Evaluation did not give a finite float (nan, inf, division by zero, overflow, domain error)."""

    def __init__(self, reason: str, col: int | None = None) -> None:
        super().__init__(f"reward expression {reason}", col)
        self.reason = reason
        """The problem without its subject: ``"gave nan"``, ``"failed (division by zero at column 7)"``."""


def column_of(node: ast.AST) -> int:
    return getattr(node, "col_offset", 0) + 1


def refuse(what_is: str, node: ast.AST) -> RewardExprError:
    """``what_is`` carries its own verb ("strings are", "lambda is") so the sentence reads right."""
    col = column_of(node)
    return RewardExprError(f"{what_is} not allowed at column {col}", col)


def check_text(text: str) -> None:
    """Refuse input that is too long, not plain ASCII, or nested deeper than ``ast.parse`` should ever see."""
    if not text:
        raise RewardExprError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise RewardExprError(f"the expression is too long ({len(text)} characters; at most {MAX_LENGTH})")
    depth = 0
    for index, char in enumerate(text):
        if not (" " <= char <= "~"):
            shown = "a line break" if char in "\r\n" else repr(char)
            raise RewardExprError(
                f"{shown} at column {index + 1} is not allowed (use plain ASCII on one line)", index + 1
            )
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise RewardExprError(f"brackets nest more than {MAX_DEPTH} deep at column {index + 1}", index + 1)
        elif char in ")]}":
            depth -= 1


def parse_expression(text: str) -> ast.expr:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        col = error.offset if error.offset else None
        where = f" at column {col}" if col else ""
        raise RewardExprError(f"syntax error{where}: {error.msg}", col) from None
    except (RecursionError, MemoryError, ValueError):
        raise RewardExprError("the expression is too complex to read") from None
    return tree.body


def check_size(root: ast.expr) -> None:
    """Count expression nodes and measure depth without recursion (the tree may be deep)."""
    nodes = 0
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr):
            nodes += 1
            if nodes > MAX_NODES:
                raise RewardExprError(f"the expression has more than {MAX_NODES} parts", column_of(node))
            if depth > MAX_DEPTH:
                col = column_of(node)
                raise RewardExprError(f"the expression nests more than {MAX_DEPTH} levels deep at column {col}", col)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
