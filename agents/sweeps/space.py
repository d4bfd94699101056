"""Search spaces of a sweep, derived from the hyperparameter schema: its bounds, log flags and choices.

A :class:`ParamSpace` is what one hyperparameter may take in a sweep: a range ``low:high`` (sampled and
gridded on a log scale when the schema says the parameter spans decades, as Optuna's ``log=True`` and Ray
Tune's ``loguniform``), or a list of values (a choice's options, or numbers picked by hand; one value fixes
the parameter). Every bound and value goes through the parameter's own :meth:`HyperParam.parse`, so a range
outside the schema's bounds is refused with the schema's message, before anything is allocated. No bound is
restated here.

Text form (the CLI's ``--param NAME=SPEC`` and share links): ``1e-4:1e-2`` (a range), ``32,64,128`` (values),
``auto`` (:func:`auto_space`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from agents.config.schema import HyperParam, HyperParamError, Value

MAX_VALUES = 20
"""Most values one space may list (a grid of several such spaces multiplies them)."""
MAX_SPEC_CHARS = 400
SIGNIFICANT = 4
"""Sampled and gridded floats are rounded to this many significant digits, so a table and a link read them."""


@dataclass(frozen=True)
class ParamSpace:
    """The values one hyperparameter takes in a sweep: a numeric range or a list of values."""

    param: HyperParam
    low: float | None = None
    high: float | None = None
    values: tuple[Value, ...] = ()
    """Listed values (a range when empty)."""

    @property
    def name(self) -> str:
        return self.param.name

    @property
    def is_range(self) -> bool:
        return not self.values

    @property
    def log(self) -> bool:
        """On a log scale (drawn, gridded, charted): the schema's log flag, for numbers above zero."""
        if not self.param.log:
            return False
        if self.values:
            return all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in self.values)
        return self.low is not None and self.low > 0

    @property
    def fixed(self) -> bool:
        """One value only: the parameter is set, not searched."""
        return len(self.values) == 1 or (self.is_range and self.low == self.high)

    def grid(self, points: int) -> tuple[Value, ...]:
        """The grid's values: the listed ones, or ``points`` evenly spaced over the range (geometrically on a log
        scale; integers rounded, repeats dropped)."""
        if self.values:
            return self.values
        assert self.low is not None and self.high is not None
        raw = np.geomspace(self.low, self.high, points) if self.log else np.linspace(self.low, self.high, points)
        return tuple(dict.fromkeys(self._value(float(x)) for x in raw))

    def grid_size(self, points: int) -> int:
        """How many values :meth:`grid` gives (at most ``points``, or the listed values)."""
        return len(self.grid(points))

    def sample(self, rng: np.random.Generator) -> Value:
        """One value drawn with ``rng``: uniformly among listed values, log-uniformly over a log range, else
        uniformly (integers: every whole number of the range equally likely)."""
        if self.values:
            return self.values[int(rng.integers(len(self.values)))]
        assert self.low is not None and self.high is not None
        if self.param.kind == "int" and not self.log:
            return int(rng.integers(int(self.low), int(self.high) + 1))
        if self.log:
            return self._value(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return self._value(float(rng.uniform(self.low, self.high)))

    def snap(self, drawn: object) -> Value:
        """A value drawn elsewhere (Ray Tune's sampling) as this space's: a listed value as listed, a number rounded
        and kept inside the range as :meth:`sample` rounds its own. ValueError for a value the space cannot take."""
        if self.values:
            for value in self.values:
                if value == drawn and isinstance(value, bool) == isinstance(drawn, bool):
                    return value
            raise ValueError(f"{self.name}: {drawn!r} is not one of its values")
        if isinstance(drawn, bool) or not isinstance(drawn, int | float) or not math.isfinite(drawn):
            raise ValueError(f"{self.name}: {drawn!r} is not a number")
        return self._value(float(drawn))

    def _value(self, x: float) -> Value:
        """A drawn or gridded number as the parameter's value, rounded, kept inside the range."""
        assert self.low is not None and self.high is not None
        if self.param.kind == "int":
            return int(min(max(round(x), self.low), self.high))
        return min(max(float(f"{x:.{SIGNIFICANT}g}"), self.low), self.high)

    def to_text(self) -> str:
        """The canonical text (what :func:`parse_space` reads back): ``low:high`` or ``v1,v2``."""
        if self.values:
            return ",".join(self.param.to_text(v) for v in self.values)
        assert self.low is not None and self.high is not None
        return f"{self.param.to_text(self._number(self.low))}:{self.param.to_text(self._number(self.high))}"

    def describe(self) -> str:
        """For a person: ``0.0001 to 0.01 (log)``, ``32, 64``."""
        if self.values:
            return ", ".join(str(v) for v in self.values)
        scale = " (log)" if self.log else ""
        return f"{self._number(self.low):g} to {self._number(self.high):g}{scale}"

    def _number(self, x: float | None) -> float | int:
        assert x is not None
        return int(x) if self.param.kind == "int" else float(x)


def auto_space(param: HyperParam) -> ParamSpace:
    """The space a sweep takes when told ``auto``: every option of a choice or a yes/no; for a number, a decade
    either side of the default on a log scale, else half to one and a half times the default (the whole range
    when the default is 0), always clipped to the schema's bounds."""
    if param.kind == "choice":
        return ParamSpace(param, values=param.choices)
    if param.kind == "bool":
        return ParamSpace(param, values=(False, True))
    default = float(param.default) if isinstance(param.default, int | float) else 0.0
    if param.log and default > 0:
        low, high = default / 10, default * 10
    elif default != 0:
        low, high = sorted((default * 0.5, default * 1.5))
    else:
        low, high = param.low, param.high
    if low is None or high is None:
        raise HyperParamError(f"{param.name} has no bounds to search within: give a range, e.g. {param.name}=1:10")
    low = low if param.low is None else max(low, param.low)
    high = high if param.high is None else min(high, param.high)
    if param.kind == "int":
        low, high = math.ceil(low), math.floor(high)
    else:
        low, high = float(f"{low:.{SIGNIFICANT}g}"), float(f"{high:.{SIGNIFICANT}g}")
        low = low if param.low is None else max(low, param.low)
        high = high if param.high is None else min(high, param.high)
    return ParamSpace(param, low=low, high=high)


def range_space(param: HyperParam, low: object, high: object) -> ParamSpace:
    """The range ``low`` to ``high`` of a numeric parameter, each end checked against the schema's bounds.

    Raises :class:`HyperParamError` (``field``: the parameter) for a bad end, a reversed range, or a range
    of a parameter that is not a number."""
    if param.kind not in ("int", "float"):
        raise HyperParamError(f"{param.name} is not a number: list its values, e.g. {_example(param)}", param.name)
    low_value, high_value = param.parse(low), param.parse(high)
    if not isinstance(low_value, int | float) or not isinstance(high_value, int | float):
        raise HyperParamError(f"{param.name}: a range's ends must be numbers", param.name)
    if low_value > high_value:
        raise HyperParamError(
            f"{param.name}: the range's low end {low_value:g} is above its high end {high_value:g}", param.name
        )
    return ParamSpace(param, low=float(low_value), high=float(high_value))


def values_space(param: HyperParam, raw_values: list[object]) -> ParamSpace:
    """A list of values, each checked by the schema; repeats dropped, at most :data:`MAX_VALUES`."""
    if not raw_values:
        raise HyperParamError(f"{param.name}: choose at least one value", param.name)
    if len(raw_values) > MAX_VALUES:
        raise HyperParamError(f"{param.name}: at most {MAX_VALUES} values, not {len(raw_values)}", param.name)
    values = tuple(dict.fromkeys(param.parse(raw) for raw in raw_values))
    return ParamSpace(param, values=values)


def parse_space(param: HyperParam, text: str) -> ParamSpace:
    """Read untrusted text (the CLI, a link) as ``param``'s space: ``auto``, ``low:high`` or ``v1,v2,...``.

    Raises :class:`HyperParamError` naming the parameter; nothing is evaluated."""
    text = str(text).strip()
    if len(text) > MAX_SPEC_CHARS:
        raise HyperParamError(f"{param.name}: its space is longer than {MAX_SPEC_CHARS} characters", param.name)
    if text.lower() == "auto":
        return auto_space(param)
    if ":" in text:
        low, _, high = text.partition(":")
        return range_space(param, low, high)
    return values_space(param, [part.strip() for part in text.split(",") if part.strip()])


def _example(param: HyperParam) -> str:
    options = param.choices or ("true", "false")
    return f"{param.name}={','.join(options[:2])}"
