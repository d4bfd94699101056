"""GridWorld layouts: what a grid holds, how it is edited cell by cell, and its share-link string.

A :class:`GridLayout` is an immutable value: editing a cell returns a new layout, so a page can keep the
previous one for undo and a run can keep the one it was built with. Its string form is short, readable and
made only of URL-safe characters, for example Russell & Norvig's 4x3 world::

    ...A_.W.B_S...~A1~B-1~step-0.04~slip0.2

Rows are separated by ``_``; ``.`` is an empty cell, ``W`` a wall, ``S`` the start; other upper-case letters
are terminal cells and lower-case letters are cells with a reward on entry, their values given after ``~``.
``step`` is the reward of every step and ``slip`` the probability of moving sideways instead of ahead.
:meth:`GridLayout.from_string` reads untrusted text (a share link): it bounds the size and refuses anything
malformed with a :class:`ValueError` that says what is wrong.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

Cell = tuple[int, int]
"""``(x, y)``: column from the left, row from the top."""
CellKind = Literal["empty", "wall", "start", "terminal", "reward"]

MAX_SIDE = 12
"""Widest and tallest grid a layout may have: keeps share links short and tables tiny."""
MAX_ABS_REWARD = 1000.0
MAX_STRING_LENGTH = 600
DECIMALS = 6
"""Rewards and probabilities are kept to this many decimals, so the string form round-trips exactly."""

CYCLE: tuple[CellKind, ...] = ("empty", "wall", "reward", "terminal", "start")
"""The order a click cycles a cell through (see :meth:`GridLayout.cycle_cell`)."""
DEFAULT_REWARD: dict[CellKind, float] = {"terminal": 1.0, "reward": -1.0}
"""The reward a cell gets when it becomes a terminal or reward cell without one being given."""

_TERMINAL_LETTERS = "ABCDEFGHIJKLMNOPQRTUVXYZ"  # S (start) and W (wall) are taken
_REWARD_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_PARAM = re.compile(r"([A-Za-z]{1,8})(-?\d{1,4}(?:\.\d{1,6})?)")


@dataclass(frozen=True, kw_only=True)
class GridLayout:
    """A grid world: its size, walls, start, terminal cells and rewards, and how slippery moves are.

    Rewards arrive on entering a cell: every move earns ``step_reward``, plus the reward of the cell entered
    (a terminal's reward ends the episode). A move into a wall or the edge leaves the agent where it is and
    enters nothing. With probability ``slip`` a move goes sideways instead, half to each side (``slip=0.2``
    is Russell & Norvig's 0.8 ahead, 0.1 left, 0.1 right).
    """

    width: int
    height: int
    walls: frozenset[Cell] = frozenset()
    start: Cell
    terminals: Mapping[Cell, float] = field(default_factory=dict)
    cell_rewards: Mapping[Cell, float] = field(default_factory=dict)
    step_reward: float = 0.0
    slip: float = 0.0

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            side = getattr(self, name)
            if not isinstance(side, int) or not 1 <= side <= MAX_SIDE:
                raise ValueError(f"the grid's {name} must be a whole number from 1 to {MAX_SIDE}, not {side!r}")
        walls = frozenset(self._checked_cell(c, "wall") for c in self.walls)
        start = self._checked_cell(self.start, "start")
        terminals = {self._checked_cell(c, "terminal"): _reward(r, f"terminal {c}") for c, r in self.terminals.items()}
        rewards = {self._checked_cell(c, "reward cell"): _reward(r, f"cell {c}") for c, r in self.cell_rewards.items()}
        for cell in sorted((walls & terminals.keys()) | (walls & rewards.keys()) | (terminals.keys() & rewards.keys())):
            raise ValueError(f"cell {cell} has two kinds; a cell is one of wall, start, terminal or reward")
        if start in walls or start in terminals or start in rewards:
            raise ValueError(f"the start {start} must be an empty cell")
        object.__setattr__(self, "walls", walls)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "terminals", MappingProxyType(dict(sorted(terminals.items(), key=_reading_order))))
        object.__setattr__(self, "cell_rewards", MappingProxyType(dict(sorted(rewards.items(), key=_reading_order))))
        object.__setattr__(self, "step_reward", _reward(self.step_reward, "the step reward"))
        slip = _number(self.slip, "slip")
        if not 0.0 <= slip <= 1.0:
            raise ValueError(f"slip is a probability from 0 to 1, not {slip:g}")
        object.__setattr__(self, "slip", slip)

    def __hash__(self) -> int:
        return hash(self.to_string())

    def _checked_cell(self, cell: object, what: str) -> Cell:
        try:
            if isinstance(cell, str | bytes) or len(cell) != 2 or any(isinstance(v, bool) for v in cell):  # type: ignore[arg-type]
                raise TypeError
            x, y = (operator.index(v) for v in cell)  # type: ignore[union-attr]
        except TypeError:
            raise ValueError(f"a {what} cell must be an (x, y) pair of whole numbers, not {cell!r}") from None
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise ValueError(f"{what} cell {(x, y)} is outside the {self.width}x{self.height} grid")
        return (x, y)

    # --- cells and states ---------------------------------------------------------------------------------

    @property
    def n_states(self) -> int:
        """One state per cell (walls included, never visited), numbered row by row from the top left."""
        return self.width * self.height

    def state_of(self, cell: Cell) -> int:
        x, y = self._checked_cell(cell, "")
        return y * self.width + x

    def cell_of(self, state: int) -> Cell:
        if not 0 <= int(state) < self.n_states:
            raise ValueError(f"state {state} is not in this {self.width}x{self.height} grid")
        return (int(state) % self.width, int(state) // self.width)

    def kind(self, cell: Cell) -> CellKind:
        cell = self._checked_cell(cell, "")
        if cell in self.walls:
            return "wall"
        if cell == self.start:
            return "start"
        if cell in self.terminals:
            return "terminal"
        if cell in self.cell_rewards:
            return "reward"
        return "empty"

    def reward_at(self, cell: Cell) -> float | None:
        """The reward for entering a terminal or reward cell; None for other kinds."""
        return self.terminals.get(cell, self.cell_rewards.get(cell))

    # --- editing ------------------------------------------------------------------------------------------

    def with_cell(self, cell: Cell, kind: CellKind, reward: float | None = None) -> GridLayout:
        """A copy with ``cell`` turned into ``kind`` (with ``reward`` for terminal and reward cells).

        Making a cell the start moves the start there (the old start becomes empty); the start itself can
        only change by moving it, since every grid needs one.
        """
        cell = self._checked_cell(cell, kind)
        if kind not in CYCLE:
            raise ValueError(f"unknown cell kind {kind!r}; choose one of: {', '.join(CYCLE)}")
        if cell == self.start and kind != "start":
            raise ValueError("the start cannot be removed; make another cell the start first")
        walls = set(self.walls) - {cell}
        terminals = {c: r for c, r in self.terminals.items() if c != cell}
        rewards = {c: r for c, r in self.cell_rewards.items() if c != cell}
        start = self.start
        if kind == "wall":
            walls.add(cell)
        elif kind == "start":
            start = cell
        elif kind in ("terminal", "reward"):
            if reward is None:
                previous = self.reward_at(cell)
                reward = DEFAULT_REWARD[kind] if previous is None else previous
            (terminals if kind == "terminal" else rewards)[cell] = reward
        return replace(self, walls=frozenset(walls), start=start, terminals=terminals, cell_rewards=rewards)

    def cycle_cell(self, cell: Cell) -> GridLayout:
        """The layout after a click on ``cell``: empty -> wall -> reward -> terminal -> start.

        A reward keeps its value from reward cell to terminal. Clicking the start changes nothing: the start
        moves when another cell becomes the start.
        """
        current = self.kind(cell)
        if current == "start":
            return self
        following = CYCLE[(CYCLE.index(current) + 1) % len(CYCLE)]
        return self.with_cell(cell, following)

    # --- text form ----------------------------------------------------------------------------------------

    def rows(self) -> list[str]:
        """The grid as rows of characters (the part of :meth:`to_string` before the first ``~``)."""
        terminal_letters = _letters(self.terminals.values(), _TERMINAL_LETTERS, "terminal")
        reward_letters = _letters(self.cell_rewards.values(), _REWARD_LETTERS, "reward-cell")
        grid = [["."] * self.width for _ in range(self.height)]
        for x, y in self.walls:
            grid[y][x] = "W"
        grid[self.start[1]][self.start[0]] = "S"
        for (x, y), value in self.terminals.items():
            grid[y][x] = terminal_letters[value]
        for (x, y), value in self.cell_rewards.items():
            grid[y][x] = reward_letters[value]
        return ["".join(row) for row in grid]

    def to_string(self) -> str:
        """The compact, URL-safe form; ``from_string(layout.to_string()) == layout``."""
        parts = ["_".join(self.rows())]
        for values, letters in (
            (self.terminals.values(), _letters(self.terminals.values(), _TERMINAL_LETTERS, "terminal")),
            (self.cell_rewards.values(), _letters(self.cell_rewards.values(), _REWARD_LETTERS, "reward-cell")),
        ):
            parts += [f"{letters[v]}{_fmt(v)}" for v in dict.fromkeys(values)]
        if self.step_reward:
            parts.append(f"step{_fmt(self.step_reward)}")
        if self.slip:
            parts.append(f"slip{_fmt(self.slip)}")
        return "~".join(parts)

    @classmethod
    def from_string(cls, text: str) -> GridLayout:
        """Read a layout from untrusted text; raise :class:`ValueError` saying what is wrong."""
        if not isinstance(text, str):
            raise ValueError("a layout must be given as text")
        text = text.strip()
        if not text:
            raise ValueError("the layout is empty")
        if len(text) > MAX_STRING_LENGTH:
            raise ValueError(f"the layout is too long ({len(text)} characters; at most {MAX_STRING_LENGTH})")
        grid_text, *param_texts = text.split("~")
        values, step, slip = _read_params(param_texts)
        rows = grid_text.split("_")
        if len(rows) > MAX_SIDE or any(len(row) > MAX_SIDE for row in rows):
            raise ValueError(f"the grid may have at most {MAX_SIDE} rows of at most {MAX_SIDE} cells")
        width = len(rows[0])
        if width == 0 or any(len(row) != width for row in rows):
            raise ValueError("every row of the grid must have the same, non-zero number of cells")
        walls: set[Cell] = set()
        starts: list[Cell] = []
        terminals: dict[Cell, float] = {}
        rewards: dict[Cell, float] = {}
        used: set[str] = set()
        for y, row in enumerate(rows):
            for x, char in enumerate(row):
                if char == ".":
                    continue
                if char == "W":
                    walls.add((x, y))
                elif char == "S":
                    starts.append((x, y))
                elif char in _TERMINAL_LETTERS or char in _REWARD_LETTERS:
                    if char not in values:
                        raise ValueError(f"cell {(x, y)} uses {char!r} but no value is given for it (add ~{char}1)")
                    used.add(char)
                    (terminals if char.isupper() else rewards)[(x, y)] = values[char]
                else:
                    raise ValueError(
                        f"unknown character {char!r} at cell {(x, y)}; use . W S, A-Z for terminals, a-z for rewards"
                    )
        if len(starts) != 1:
            raise ValueError(f"the grid needs exactly one start 'S', found {len(starts)}")
        unused = sorted(set(values) - used)
        if unused:
            raise ValueError(f"values are given for {', '.join(unused)} but no cell uses them")
        return cls(
            width=width,
            height=len(rows),
            walls=frozenset(walls),
            start=starts[0],
            terminals=terminals,
            cell_rewards=rewards,
            step_reward=step,
            slip=slip,
        )

    def __str__(self) -> str:
        return "\n".join(self.rows())


def _read_params(texts: list[str]) -> tuple[dict[str, float], float, float]:
    values: dict[str, float] = {}
    step, slip = 0.0, 0.0
    seen: set[str] = set()
    for text in texts:
        match = _PARAM.fullmatch(text)
        if match is None:
            raise ValueError(f"cannot read {text[:30]!r}: expected a name and a number like A1, b-0.5 or step-0.04")
        key, number = match.group(1), float(match.group(2))
        if key in seen:
            raise ValueError(f"{key!r} is given twice")
        seen.add(key)
        if key == "step":
            step = number
        elif key == "slip":
            slip = number
        elif len(key) == 1 and (key in _TERMINAL_LETTERS or key in _REWARD_LETTERS):
            values[key] = number
        else:
            raise ValueError(f"unknown setting {key!r}; expected a cell letter, step or slip")
    return values, step, slip


def _letters(values: object, alphabet: str, what: str) -> dict[float, str]:
    distinct = list(dict.fromkeys(values))  # type: ignore[call-overload]
    if len(distinct) > len(alphabet):
        raise ValueError(f"a layout can hold at most {len(alphabet)} different {what} rewards, not {len(distinct)}")
    return dict(zip(distinct, alphabet, strict=False))


def _reading_order(item: tuple[Cell, float]) -> tuple[int, int]:
    (x, y), _ = item
    return (y, x)


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, not {number}")
    return round(number, DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def _reward(value: object, what: str) -> float:
    number = _number(value, what)
    if abs(number) > MAX_ABS_REWARD:
        raise ValueError(f"{what} must be between -{MAX_ABS_REWARD:g} and {MAX_ABS_REWARD:g}, not {number:g}")
    return number


def _fmt(number: float) -> str:
    text = f"{number:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- named layouts ----------------------------------------------------------------------------------------

LAYOUT_NOTES: dict[str, str] = {
    "4x3": "Russell & Norvig's 4x3 world: +1 and -1 exits, -0.04 per step, moves slip sideways 20% of the time.",
    "cliff": "Sutton & Barto's cliff (example 6.6): the short path runs along a cliff worth -100, -1 per step.",
    "four_rooms": "Sutton, Precup & Singh's four rooms: reach the far corner through narrow doorways.",
    "bridge": "A narrow bridge between pits (-10) is the short way to +10; a long detour is safe.",
    "discount": "A +1 exit next to the start and a +10 exit six steps away: the discount decides which is worth it.",
    "reward_placement": "A +1 exit, and a +0.1 bonus cell beside the path that pays again every time it is entered.",
    "corridor": "A short corridor to a +1 exit: the smallest grid worth learning.",
}
"""One line per named layout, for a picker."""

_LAYOUT_TEXT: dict[str, str] = {
    "4x3": "...A_.W.B_S...~A1~B-1~step-0.04~slip0.2",
    "cliff": "............_............_............_SAAAAAAAAAAB~A-100~B0~step-1",
    "four_rooms": (
        "S....W....._.....W....._..........._.....W....._.....W....._W.WWWW....."
        "_.....WWW.WW_.....W....._.....W....._..........._.....W....A~A1~step-0.01"
    ),
    "bridge": "........._.WWWWWWW._.WAAAAAW._S.......B_WWAAAAAWW~A-10~B10~step-0.1",
    "discount": "........_AS.....B_........~A1~B10",
    "reward_placement": "...a..._S.....A_.......~A1~a0.1",
    "corridor": "S...A~A1~step-0.1",
}

LAYOUTS: dict[str, GridLayout] = {name: GridLayout.from_string(text) for name, text in _LAYOUT_TEXT.items()}
"""The named layouts that ship with the GridWorld, by name."""
