"""A logged value's history in 16 bytes a point: ``(step, value)`` pairs in one growing float64 array.

A run's server-side history of what its algorithm logs (``train/value_loss``, ``train/approx_kl``, ...) was a
list of ``(int, float)`` tuples, about 116 bytes a point. A CartPole PPO demo run dumps ten values 25 times a
second, so two runs grew the server by 3.2 MB a minute with nobody watching (``benchmarks/bench_classroom.py``),
two thirds of the classroom's 10-minute memory budget. Here a point costs two float64 (steps are exact in float64
up to 2**53), a snapshot is a zero-copy view, and a chart reads the pairs as the ``(n, 2)`` array it draws.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np

from agents.runs.downsample import minmax_indices

INITIAL_CAPACITY = 64


class StepValues(Sequence[tuple[int, float]]):
    """An immutable view of ``(step, value)`` pairs, oldest first: a sequence of tuples to code that iterates or
    indexes it, and an ``(n, 2)`` float64 array (:meth:`array`) to code that draws it.

    It equals any sequence of the same pairs (``StepValues(...) == [(64, 0.5)]``). Views taken from a
    :class:`StepSeries` share its buffer without copying: the series only ever writes past a view's end, or into
    a new buffer, so a view never changes.
    """

    __slots__ = ("_pairs",)

    def __init__(self, pairs: np.ndarray | Sequence[tuple[int, float]] = ()) -> None:
        array = np.asarray(pairs, dtype=np.float64).reshape(-1, 2)
        if array.flags.writeable:
            array = array.view()
            array.flags.writeable = False
        self._pairs = array

    def array(self) -> np.ndarray:
        """The pairs as a read-only float64 array of shape (n, 2): column 0 the steps, column 1 the values."""
        return self._pairs

    def __len__(self) -> int:
        return self._pairs.shape[0]

    @overload
    def __getitem__(self, index: int) -> tuple[int, float]: ...

    @overload
    def __getitem__(self, index: slice) -> StepValues: ...

    def __getitem__(self, index: int | slice) -> tuple[int, float] | StepValues:
        if isinstance(index, slice):
            return StepValues(self._pairs[index])
        step, value = self._pairs[index]
        return int(step), float(value)

    def __iter__(self) -> Iterator[tuple[int, float]]:
        for step, value in self._pairs.tolist():
            yield int(step), value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StepValues):
            return np.array_equal(self._pairs, other._pairs)
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == len(self) and all(
                mine == tuple(theirs) for mine, theirs in zip(self, other, strict=True)
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which do not hash

    def __repr__(self) -> str:
        return f"StepValues({list(self)!r})"


class StepSeries:
    """One logged value's growing history, at most ``max_points`` long: past it, the series is thinned to half,
    each bucket keeping its lowest and highest value (:func:`agents.runs.downsample.minmax_indices`), so a spike
    is never lost and memory stays bounded. Not thread-safe: the run's stats call it under their lock."""

    def __init__(self, max_points: int) -> None:
        self.max_points = max_points
        self._buffer = np.empty((INITIAL_CAPACITY, 2))
        self._length = 0

    def append(self, step: int, value: float) -> None:
        if self._length == self._buffer.shape[0]:
            # A new buffer, never a resize in place: views handed out keep the old one.
            grown = np.empty((min(2 * self._length, self.max_points + 1), 2))
            grown[: self._length] = self._buffer[: self._length]
            self._buffer = grown
        self._buffer[self._length] = (step, value)
        self._length += 1
        if self._length > self.max_points:
            kept = self._buffer[: self._length]
            kept = kept[minmax_indices(kept[:, 1], max_points=self.max_points // 2)]
            self._buffer = np.empty((self.max_points + 1, 2))
            self._buffer[: len(kept)] = kept
            self._length = len(kept)

    def view(self) -> StepValues:
        """The pairs so far, without copying; later appends do not change it."""
        return StepValues(self._buffer[: self._length])

    def __len__(self) -> int:
        return self._length
