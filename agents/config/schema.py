"""Hyperparameter schemas: one declaration per parameter drives widgets, validation, URLs and exports.

A :class:`HyperParam` says what a value may be (type, bounds, choices) and why it matters (help text, in
the spirit of CleanRL's documented ``Args``). Everything that reads a value from a person -- a widget, a
``--set NAME=VALUE`` flag, a share link -- goes through :meth:`HyperParam.parse`, so bad input is refused
with the same clear message everywhere, before anything is allocated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

ParamKind = Literal["float", "int", "bool", "choice"]
Value = float | int | bool | str

BOOL_WORDS: dict[str, bool] = {
    "true": True,
    "yes": True,
    "on": True,
    "1": True,
    "false": False,
    "no": False,
    "off": False,
    "0": False,
}
"""The one vocabulary of a yes/no value, case-insensitive, whatever it comes from (a link, the CLI, stored JSON)."""


class HyperParamError(ValueError):
    """A value that cannot be used; the message names the parameter and the rule, ``field`` the parameter."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        """The parameter at fault, so a form can show the message next to its control (None: not one field)."""


def parse_bool(raw: object, name: str) -> bool:
    """Read a yes/no value: ``True``/``False``, or one of :data:`BOOL_WORDS` (``true/false``, ``yes/no``,
    ``on/off``, ``1/0``, any case, surrounding spaces ignored).

    Every boolean a person can give (hyperparameters, ``stop_when_solved``, ``hide_controls`` and other
    link flags, the CLI's ``--stop-when-solved``) goes through here, so each accepts the same words.
    Anything else, including an empty value, raises :class:`HyperParamError` naming ``name``.
    """
    if isinstance(raw, bool):
        return raw
    value = BOOL_WORDS.get(str(raw).strip().lower())
    if value is None:
        raise HyperParamError(f"{name}: {_show(raw)} is not true or false (or yes/no, on/off, 1/0)", name)
    return value


@dataclass(frozen=True)
class HyperParam:
    """One hyperparameter, under stable-baselines3's own name."""

    name: str
    kind: ParamKind
    default: Value
    help: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    """Widgets should step on a log scale (learning rates, coefficients spanning decades)."""
    choices: tuple[str, ...] = ()
    allow_auto: bool = False
    """Also accept the string ``"auto"`` (SAC's ``ent_coef``)."""
    special: tuple[int, ...] = field(default=())
    """Out-of-range integers with a meaning of their own (``gradient_steps=-1``: as many as env steps)."""

    def parse(self, raw: object) -> Value:
        """Turn untrusted input (a string from a URL or CLI, or a widget's value) into a checked value.

        Raises :class:`HyperParamError` whose ``field`` is this parameter's name."""
        try:
            return self._parse(raw)
        except HyperParamError as error:
            error.field = self.name
            raise

    def _parse(self, raw: object) -> Value:
        if self.allow_auto and isinstance(raw, str) and raw.strip().lower() == "auto":
            return "auto"
        match self.kind:
            case "bool":
                value: Value = parse_bool(raw, self.name)
            case "choice":
                value = str(raw).strip()
                if value not in self.choices:
                    raise HyperParamError(f"{self.name}: {_show(raw)} is not one of: {', '.join(self.choices)}")
            case "int":
                value = self._parse_int(raw)
            case "float":
                value = self._parse_float(raw)
        self._check_bounds(value)
        return value

    def _parse_float(self, raw: object) -> float:
        if isinstance(raw, bool):
            raise HyperParamError(f"{self.name}: {_show(raw)} is not a number")
        try:
            value = float(raw) if isinstance(raw, int | float) else float(str(raw).strip())
        except ValueError:
            raise HyperParamError(f"{self.name}: {_show(raw)} is not a number") from None
        except OverflowError:  # an int too large for a float, e.g. from stored JSON
            raise HyperParamError(f"{self.name} must be a finite number, not {_show(raw)}") from None
        if not math.isfinite(value):
            raise HyperParamError(f"{self.name} must be a finite number, not {_show(raw)}")
        return value

    def _parse_int(self, raw: object) -> int:
        value = self._parse_float(raw)  # accepts "1e4", refuses "abc" and "nan" with the same messages
        if value != int(value):
            raise HyperParamError(f"{self.name} must be a whole number, not {_show(raw)}")
        return int(value)

    def _check_bounds(self, value: Value) -> None:
        if self.kind not in ("int", "float") or value == "auto":
            return
        assert isinstance(value, int | float)
        if self.kind == "int" and value in self.special:
            return
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            extra = f" (or {', '.join(map(str, self.special))})" if self.special else ""
            raise HyperParamError(
                f"{self.name} must be between {_fmt(self.low)} and {_fmt(self.high)}{extra}, not {_fmt(value)}"
            )

    def to_text(self, value: Value) -> str:
        """The canonical text of a value: what share links and ``--set`` use, and what ``parse`` reads back."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return repr(value)
        return str(value)


def format_value(value: Value) -> str:
    """A value as a person reads it: ``0.0005``, ``120,000``, ``True``, ``auto``."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _fmt(number: float | None) -> str:
    if number is None:
        return "any"
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
        number = int(number)
    return f"{number:g}" if isinstance(number, float) else f"{number:,}".replace(",", "_")


def _show(raw: object) -> str:
    """Quote a bad input for an error message, cut short so a hostile value cannot flood a page."""
    text = repr(raw) if isinstance(raw, str) else str(raw)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class Schema:
    """The ordered hyperparameters of one algorithm."""

    params: tuple[HyperParam, ...]

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        assert len(names) == len(set(names)), f"duplicate hyperparameter in {names}"

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.params)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def get(self, name: str) -> HyperParam:
        for param in self.params:
            if param.name == name:
                return param
        raise HyperParamError(f"unknown hyperparameter {_show(name)}; this algorithm has: {', '.join(self.names)}")

    def defaults(self) -> dict[str, Value]:
        return {p.name: p.default for p in self.params}

    def resolve(self, *layers: Mapping[str, object]) -> dict[str, Value]:
        """Defaults overlaid by each layer in turn (preset, then user's values); every value parsed and checked."""
        values = self.defaults()
        for layer in layers:
            for name, raw in layer.items():
                values[name] = self.get(name).parse(raw)
        return values

    def diff_from_defaults(self, values: Mapping[str, Value]) -> dict[str, Value]:
        """Only the values that differ from the schema's defaults (share links leave the rest out)."""
        return {n: v for n, v in values.items() if self.get(n).default != v}


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """Split ``NAME=VALUE`` strings (the CLI's ``--set``) into a dict, refusing malformed ones."""
    result: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise HyperParamError(f"expected NAME=VALUE, got {_show(item)}")
        result[name.strip()] = value.strip()
    return result
