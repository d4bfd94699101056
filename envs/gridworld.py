"""GridWorld: a small, editable grid for watching tabular agents plan and learn.

The agent moves up, right, down or left between cells; the layout (see :mod:`envs.gridworld_layouts`) says
where the walls, the start, the exits and the rewards are, and how slippery the floor is. Like gymnasium's
toy-text envs it publishes its model, ``P[s][a] = [(prob, next_state, reward, terminated), ...]``, so
planning agents can use it, and :meth:`GridWorldEnv.step` samples from that very table, so the two can
never disagree.

    >>> import gymnasium as gym
    >>> import envs.gridworld
    >>> env = gym.make("GridWorld-v0", layout="cliff")
    >>> obs, info = env.reset(seed=0)
    >>> obs  # the start, bottom left of the 12x4 cliff
    36
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.gridworld_layouts import LAYOUT_NOTES, LAYOUTS, Cell, CellKind, GridLayout

__all__ = [
    "ACTION_ARROWS",
    "ACTION_NAMES",
    "LAYOUTS",
    "LAYOUT_NOTES",
    "Cell",
    "CellKind",
    "GridLayout",
    "GridWorldEnv",
    "Outcome",
    "Route",
    "follow_policy",
    "render_layout",
    "resolve_layout",
]

ENV_ID = "GridWorld-v0"
MAX_EPISODE_STEPS = 100
ACTION_NAMES = ("up", "right", "down", "left")
"""Action ``a`` moves the agent in direction ``ACTION_NAMES[a]`` (CliffWalking's numbering)."""
ACTION_ARROWS = ("↑", "→", "↓", "←")
MOVES: tuple[Cell, ...] = ((0, -1), (1, 0), (0, 1), (-1, 0))

Outcome = tuple[float, int, float, bool]
"""``(probability, next_state, reward, terminated)``, as in gymnasium's toy-text ``P`` tables."""

# Colours of the rendered picture (RGB).
_FLOOR = np.array([245, 245, 240], dtype=np.uint8)
_WALL = np.array([70, 75, 85], dtype=np.uint8)
_START = np.array([200, 220, 245], dtype=np.uint8)
_GOOD = np.array([60, 170, 90], dtype=np.uint8)
_BAD = np.array([210, 70, 60], dtype=np.uint8)
_GRID_LINE = np.array([190, 190, 185], dtype=np.uint8)
_AGENT = np.array([40, 70, 160], dtype=np.uint8)


def resolve_layout(layout: GridLayout | str) -> GridLayout:
    """A layout object from a layout, a layout name (``"cliff"``) or a layout string."""
    if isinstance(layout, GridLayout):
        return layout
    if isinstance(layout, str) and layout in LAYOUTS:
        return LAYOUTS[layout]
    if isinstance(layout, str) and "S" not in layout:  # every layout string has a start: this was meant as a name
        raise ValueError(f"unknown layout {layout[:40]!r}; named layouts: {', '.join(LAYOUTS)}")
    return GridLayout.from_string(layout)


def build_model(layout: GridLayout) -> dict[int, dict[int, list[Outcome]]]:
    """The full transition table of a layout.

    Terminal cells and walls are absorbing with reward 0 (walls are never entered), like FrozenLake's holes,
    so planning gives them the value 0.
    """
    model: dict[int, dict[int, list[Outcome]]] = {}
    for state in range(layout.n_states):
        cell = layout.cell_of(state)
        absorbing = cell in layout.walls or cell in layout.terminals
        model[state] = {
            action: [(1.0, state, 0.0, True)] if absorbing else _outcomes(layout, cell, action)
            for action in range(len(MOVES))
        }
    return model


def _outcomes(layout: GridLayout, cell: Cell, action: int) -> list[Outcome]:
    """Ahead with probability 1 - slip, each side with slip / 2; outcomes that land on the same cell merge."""
    sideways = ((action + 1) % 4, (action + 3) % 4)
    weighted = [(1.0 - layout.slip, action)] + [(layout.slip / 2, side) for side in sideways]
    merged: dict[int, float] = {}
    for probability, direction in weighted:
        if probability > 0:
            landing = layout.state_of(_move(layout, cell, direction))
            merged[landing] = merged.get(landing, 0.0) + probability
    outcomes = []
    for landing, probability in merged.items():
        reward = layout.step_reward
        if landing != layout.state_of(cell):  # a cell's reward is for entering it: bumping a wall earns none
            entered = layout.cell_of(landing)
            reward += layout.terminals.get(entered, 0.0) + layout.cell_rewards.get(entered, 0.0)
        outcomes.append((probability, landing, reward, layout.cell_of(landing) in layout.terminals))
    return outcomes


def _move(layout: GridLayout, cell: Cell, direction: int) -> Cell:
    dx, dy = MOVES[direction]
    x, y = cell[0] + dx, cell[1] + dy
    if not (0 <= x < layout.width and 0 <= y < layout.height) or (x, y) in layout.walls:
        return cell
    return (x, y)


class GridWorldEnv(gym.Env[int, int]):
    """A grid of cells to walk from the start to an exit; see :class:`~envs.gridworld_layouts.GridLayout`.

    Observations are the cell index ``y * width + x``; actions are 0 up, 1 right, 2 down, 3 left.

    :param layout: a :class:`GridLayout`, the name of one in ``LAYOUTS`` or a layout string.
    :param render_mode: ``"rgb_array"`` for pictures, or None.
    :param cell_px: side of one cell in the picture, in pixels.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 8}

    def __init__(self, layout: GridLayout | str = "4x3", render_mode: str | None = None, cell_px: int = 48) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, not {render_mode!r}")
        self.layout = resolve_layout(layout)
        self.render_mode = render_mode
        self.cell_px = int(cell_px)
        self.observation_space = spaces.Discrete(self.layout.n_states)
        self.action_space = spaces.Discrete(len(MOVES))
        self.P = build_model(self.layout)
        self.start_state = self.layout.state_of(self.layout.start)
        self.state = self.start_state
        self.last_action: int | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[int, dict]:
        super().reset(seed=seed)
        self.state = self.start_state
        self.last_action = None
        return self.state, {"prob": 1.0}

    def step(self, action: int | np.integer) -> tuple[int, float, bool, bool, dict]:
        if isinstance(action, bool) or not isinstance(action, int | np.integer) or not 0 <= action < len(MOVES):
            raise ValueError(f"action must be 0 (up), 1 (right), 2 (down) or 3 (left), not {action!r}")
        outcomes = self.P[self.state][int(action)]
        draw = self.np_random.random()
        chosen = outcomes[-1]
        for outcome in outcomes:  # sample from P itself, so step() and the model cannot disagree
            draw -= outcome[0]
            if draw < 0:
                chosen = outcome
                break
        probability, self.state, reward, terminated = chosen
        self.last_action = int(action)
        return self.state, float(reward), bool(terminated), False, {"prob": probability}

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        return render_layout(self.layout, self.layout.cell_of(self.state), self.cell_px)


@dataclass(frozen=True)
class Route:
    """Where a policy leads from the start when every move goes where it is meant to (no slips)."""

    cells: tuple[Cell, ...]
    """The cells visited, the start first."""
    exit: Cell | None
    """The terminal cell the route ends in, or None when it never gets there."""
    loops: bool
    """The route comes back to a cell it visited: following the policy, the agent would go round for ever."""


def follow_policy(layout: GridLayout, policy: Sequence[int] | np.ndarray, max_steps: int = MAX_EPISODE_STEPS) -> Route:
    """The route of ``policy`` (an action per state) from the start, taking each move as intended.

    A page draws it over the grid; the lessons compare routes (near exit or far one, bridge or detour).
    """
    cell, cells, seen = layout.start, [layout.start], {layout.start}
    for _ in range(max_steps):
        cell = _move(layout, cell, int(policy[layout.state_of(cell)]))
        cells.append(cell)
        if cell in layout.terminals:
            return Route(tuple(cells), cell, False)
        if cell in seen:
            return Route(tuple(cells), None, True)
        seen.add(cell)
    return Route(tuple(cells), None, False)


def render_layout(layout: GridLayout, agent: Cell | None = None, cell_px: int = 48) -> np.ndarray:
    """A picture of the grid: walls dark, exits green (+) or red (-), reward cells tinted, the agent a dot."""
    px = max(8, int(cell_px))
    image = np.empty((layout.height * px, layout.width * px, 3), dtype=np.uint8)
    biggest = max([abs(r) for r in (*layout.terminals.values(), *layout.cell_rewards.values())] + [1e-9])
    for y in range(layout.height):
        for x in range(layout.width):
            tile = image[y * px : (y + 1) * px, x * px : (x + 1) * px]
            tile[:] = _cell_colour(layout, (x, y), biggest)
            if (x, y) in layout.terminals:  # a frame marks an exit
                inner = max(2, px // 8)
                tile[inner:-inner, inner:-inner] = _blend(tile[inner, inner], _FLOOR, 0.35)
                tile[2 * inner : -2 * inner, 2 * inner : -2 * inner] = _cell_colour(layout, (x, y), biggest)
            tile[0, :] = tile[:, 0] = _GRID_LINE
    image[-1, :] = image[:, -1] = _GRID_LINE
    if agent is not None:
        _draw_dot(image, agent, px)
    return image


def _cell_colour(layout: GridLayout, cell: Cell, biggest: float) -> np.ndarray:
    if cell in layout.walls:
        return _WALL
    if cell == layout.start:
        return _START
    reward = layout.reward_at(cell)
    if reward is None or reward == 0:
        return _FLOOR
    strength = 0.35 + 0.65 * min(1.0, abs(reward) / biggest)
    if cell in layout.cell_rewards:
        strength *= 0.5  # reward cells are lighter than exits
    return _blend(_GOOD if reward > 0 else _BAD, _FLOOR, strength)


def _blend(colour: np.ndarray, background: np.ndarray, strength: float) -> np.ndarray:
    mixed = strength * colour.astype(float) + (1 - strength) * background.astype(float)
    return mixed.round().astype(np.uint8)


def _draw_dot(image: np.ndarray, cell: Cell, px: int) -> None:
    ys, xs = np.mgrid[0:px, 0:px]
    centre = (px - 1) / 2
    inside = (ys - centre) ** 2 + (xs - centre) ** 2 <= (0.3 * px) ** 2
    tile = image[cell[1] * px : (cell[1] + 1) * px, cell[0] * px : (cell[0] + 1) * px]
    tile[inside] = _AGENT


if ENV_ID not in gym.registry:
    gym.register(
        id=ENV_ID,
        entry_point="envs.gridworld:GridWorldEnv",
        max_episode_steps=MAX_EPISODE_STEPS,
        kwargs={"layout": "4x3"},
    )
