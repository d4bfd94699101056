"""Plotly figures of the GridWorld lab: the grid with what the agent knows, and its return per episode.

The grid is one figure a teacher can project: state values as a heatmap (trace 0, so a test can read its
``z``), walls dark, exits coloured and labelled with their reward, greedy-policy arrows, the agent and the
trail of its episode, the plan's route, and on request the four Q-values of every cell at its edges.
Text sizes follow the size of a cell, so a 4x3 world reads from the back of a room and a 12x12 one still
fits. The last trace is a nearly invisible marker per cell: clicking it is how a cell is selected
(``customdata`` holds its ``(x, y)``).

Many labels are drawn as text traces rather than layout annotations: plotly lays out hundreds of
annotations one by one, while a text trace of 500 labels is one element.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from envs.gridworld import ACTION_ARROWS, ACTION_NAMES, Cell, GridLayout
from ui.charts import VALUE_AXIS, moving_average, thin_indices

NARROW_PLOT_WIDTH, WIDE_PLOT_WIDTH = 500, 880
"""Pixels the grid is assumed to get beside the editor, and alone across the page (grids twice as wide as
tall); they size the figure so that cells come out square and as large as the screen allows."""
MIN_HEIGHT, MAX_HEIGHT = 160, 400
"""The grid's height in pixels: at most what is left of a 1280x720 screen under the page's title and buttons."""
MAX_CELL_PX = 130
MIN_Q_CELL_PX = 48
"""Below this cell size the four Q-values of a cell no longer fit in it; the cell editor shows them instead."""
RETURN_WINDOW = 20
"""Episodes in the moving average of the return chart."""
VALUE_COLOURS = [[0.0, "#d6604d"], [0.5, "#f7f7f4"], [1.0, "#4dac6a"]]
"""Diverging: negative values red, zero near white, positive green; dark text stays readable on all three."""
WALL_COLOUR = "#3b4150"
EXIT_GOOD, EXIT_BAD, EXIT_NEUTRAL = "#2e8b57", "#c0392b", "#4a78c2"
AGENT_COLOUR = "#1f3fa0"
ROUTE_COLOUR = "#ff7f0e"
SELECTED_COLOUR = "#f5b700"
TEXT_COLOUR = "#1b1b1b"
# Where each action's Q-value sits inside its cell, as (dx, dy) from the centre: up, right, down, left.
_Q_OFFSETS = ((0.0, -0.34), (0.3, 0.0), (0.0, 0.34), (-0.3, 0.0))


@dataclass(frozen=True)
class GridPicture:
    """What the grid figure shows: the layout, what the agent knows, and where it is."""

    layout: GridLayout
    values: np.ndarray
    """V(s) per state."""
    policy: np.ndarray
    """The greedy action per state."""
    q_table: np.ndarray
    """Q(s, a), shape (n_states, 4)."""
    agent: Cell | None = None
    trail: Sequence[Cell] = ()
    route: Sequence[Cell] = ()
    """The greedy policy's route from the start (empty: not drawn)."""
    selected: Cell | None = None
    show_q: bool = False
    plot_width: float = NARROW_PLOT_WIDTH


def is_wide(layout: GridLayout) -> bool:
    """A grid at least twice as wide as tall (the cliff) gets the page's whole width."""
    return layout.width >= 2 * layout.height


def q_values_fit(picture: GridPicture) -> bool:
    """Whether cells are large enough to hold their four Q-values."""
    return cell_pixels(picture.layout, picture.plot_width) >= MIN_Q_CELL_PX


def cell_pixels(layout: GridLayout, plot_width: float = NARROW_PLOT_WIDTH) -> float:
    """The side of a cell on screen, in pixels, as the figure is sized."""
    return min(plot_width / layout.width, MAX_HEIGHT / layout.height, MAX_CELL_PX)


def _font(cell_px: float, share: float, low: float, high: float) -> float:
    return float(np.clip(cell_px * share, low, high))


def _signed(value: float) -> str:
    return f"{value:+.3g}" if value else "0"


def _number(value: float) -> str:
    """A value in four characters or so: 0.87, -3.5, -12, 0.004."""
    size = abs(value)
    if size >= 10_000:
        return f"{value:.1e}"
    if size >= 10:
        return f"{value:.0f}"
    if size >= 1:
        return f"{value:.1f}".removesuffix(".0")
    if 0 < size < 0.01:
        return f"{value:.1g}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def grid_figure(picture: GridPicture) -> go.Figure:
    """The grid as a plotly figure (see the module docstring for what is drawn and why)."""
    layout = picture.layout
    width, height = layout.width, layout.height
    cell_px = cell_pixels(layout, picture.plot_width)
    open_cells = [
        (x, y)
        for y in range(height)
        for x in range(width)
        if (x, y) not in layout.walls and (x, y) not in layout.terminals
    ]
    z = np.full((height, width), np.nan)
    for x, y in open_cells:
        z[y, x] = picture.values[layout.state_of((x, y))]
    finite = np.abs(z[np.isfinite(z)])
    scale = float(finite.max()) if finite.size and finite.max() > 0 else 1.0

    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            z=[[None if np.isnan(v) else float(v) for v in row] for row in z],  # plain JSON: null where no value
            x=list(range(width)),
            y=list(range(height)),
            zmin=-scale,
            zmax=scale,
            colorscale=VALUE_COLOURS,
            showscale=False,
            xgap=2,
            ygap=2,
            hoverinfo="skip",
            name="state values",
        )
    )
    shapes = _cell_shapes(picture)
    if picture.route:
        fig.add_trace(
            go.Scatter(
                x=[c[0] for c in picture.route],
                y=[c[1] for c in picture.route],
                mode="lines",
                line={"color": ROUTE_COLOUR, "width": 4, "dash": "dash"},
                opacity=0.7,
                hoverinfo="skip",
                name="greedy route",
            )
        )
    if len(picture.trail) > 1:
        fig.add_trace(
            go.Scatter(
                x=[c[0] for c in picture.trail],
                y=[c[1] for c in picture.trail],
                mode="lines+markers",
                line={"color": "rgba(31, 63, 160, 0.45)", "width": max(3.0, cell_px / 12)},
                marker={"size": max(6.0, cell_px / 8), "color": "rgba(31, 63, 160, 0.45)"},
                hoverinfo="skip",
                name="trail",
            )
        )
    if picture.agent is not None:
        fig.add_trace(
            go.Scatter(
                x=[picture.agent[0]],
                y=[picture.agent[1]],
                mode="markers",
                # A ring, not a dot: the arrow and value of the agent's cell stay readable inside it.
                marker={
                    "size": max(18.0, cell_px * (0.9 if picture.show_q else 0.62)),  # round the Q-values
                    "symbol": "circle-open",
                    "color": AGENT_COLOUR,
                    "line": {"color": AGENT_COLOUR, "width": max(4.0, cell_px / 16)},
                },
                hoverinfo="skip",
                cliponaxis=False,
                name="agent",
            )
        )
    _add_texts(fig, picture, open_cells, cell_px)
    _add_click_targets(fig, picture, cell_px)
    fig.update_layout(
        shapes=shapes,
        height=int(np.clip(cell_px * height, MIN_HEIGHT, MAX_HEIGHT)) + 20,
        margin={"l": 4, "r": 4, "t": 4, "b": 4},
        showlegend=False,
        plot_bgcolor="#d9d9d4",
        paper_bgcolor="rgba(0,0,0,0)",
        dragmode=False,
        hovermode="closest",
        uirevision="grid",
        font={"size": 16},
        hoverlabel={"font": {"size": 16}},
        xaxis={
            "range": [-0.5, width - 0.5],
            "showgrid": False,
            "zeroline": False,
            "showticklabels": False,
            "ticks": "",
            "fixedrange": True,
            "constrain": "domain",
        },
        yaxis={
            "range": [height - 0.5, -0.5],
            "showgrid": False,
            "zeroline": False,
            "showticklabels": False,
            "ticks": "",
            "fixedrange": True,
            "scaleanchor": "x",
            "constrain": "domain",
            "constraintoward": "top",
        },
    )
    return fig


def _cell_shapes(picture: GridPicture) -> list[dict[str, object]]:
    """Walls and exits as filled squares, reward cells framed, the selected cell outlined."""
    layout = picture.layout
    shapes: list[dict[str, object]] = []

    def square(cell: Cell, inset: float = 0.02, **style: object) -> dict[str, object]:
        x, y = cell
        box = {"x0": x - 0.5 + inset, "x1": x + 0.5 - inset, "y0": y - 0.5 + inset, "y1": y + 0.5 - inset}
        return {"type": "rect", "xref": "x", "yref": "y", "layer": "below", **box, **style}

    for cell in sorted(layout.walls):
        shapes.append(square(cell, fillcolor=WALL_COLOUR, line={"width": 0}))
    for cell, reward in layout.terminals.items():
        colour = EXIT_GOOD if reward > 0 else EXIT_BAD if reward < 0 else EXIT_NEUTRAL
        shapes.append(square(cell, fillcolor=colour, line={"width": 0}))
    for cell, reward in layout.cell_rewards.items():
        colour = EXIT_GOOD if reward > 0 else EXIT_BAD
        shapes.append(square(cell, inset=0.06, line={"color": colour, "width": 4, "dash": "dot"}, layer="above"))
    if picture.selected is not None:
        shapes.append(square(picture.selected, inset=0.03, line={"color": SELECTED_COLOUR, "width": 6}, layer="above"))
    return shapes


def _text_trace(points: list[tuple[float, float, str]], size: float, colour: str, name: str) -> go.Scatter:
    return go.Scatter(
        x=[p[0] for p in points],
        y=[p[1] for p in points],
        text=[p[2] for p in points],
        mode="text",
        textfont={"size": size, "color": colour},
        hoverinfo="skip",
        name=name,
    )


def _add_texts(fig: go.Figure, picture: GridPicture, open_cells: list[Cell], cell_px: float) -> None:
    """Arrows, values (or Q-values), exit rewards, reward-cell bonuses and the start's S."""
    layout = picture.layout
    arrows, values, q_texts = [], [], []
    show_q = picture.show_q and q_values_fit(picture)
    for x, y in open_cells:
        state = layout.state_of((x, y))
        action = int(picture.policy[state])
        if show_q:
            arrows.append((x, y, ACTION_ARROWS[action]))
            q = picture.q_table[state]
            for a, (dx, dy) in enumerate(_Q_OFFSETS):
                text = _number(float(q[a]))
                q_texts.append((x + dx, y + dy, f"<b>{text}</b>" if a == action else text))
        else:
            arrows.append((x, y - 0.12, ACTION_ARROWS[action]))
            values.append((x, y + 0.27, _number(float(picture.values[state]))))
    fig.add_trace(_text_trace(arrows, _font(cell_px, 0.42, 12, 40), TEXT_COLOUR, "policy arrows"))
    if values:
        fig.add_trace(_text_trace(values, _font(cell_px, 0.2, 10, 20), TEXT_COLOUR, "state values"))
    if q_texts:
        fig.add_trace(_text_trace(q_texts, _font(cell_px, 0.17, 9, 16), TEXT_COLOUR, "Q-values"))
    exits = [(x, y, f"<b>{_signed(r)}</b>") for (x, y), r in layout.terminals.items()]
    if exits:
        fig.add_trace(_text_trace(exits, _font(cell_px, 0.3, 11, 30), "white", "exit rewards"))
    corner = _font(cell_px, 0.17, 9, 16)
    labels = [(x - 0.32, y - 0.33, _signed(r)) for (x, y), r in layout.cell_rewards.items()]
    labels.append((layout.start[0] - 0.34, layout.start[1] - 0.33, "S"))
    fig.add_trace(_text_trace(labels, corner, "#555555", "cell labels"))


def _add_click_targets(fig: go.Figure, picture: GridPicture, cell_px: float) -> None:
    """One almost invisible square per cell, on top: a click on it selects the cell (``customdata`` = x, y)."""
    layout = picture.layout
    cells = [(x, y) for y in range(layout.height) for x in range(layout.width)]
    hover = []
    for cell in cells:
        kind = layout.kind(cell)
        state = layout.state_of(cell)
        if kind == "wall":
            hover.append(f"({cell[0]}, {cell[1]}) wall")
        elif kind == "terminal":
            hover.append(f"({cell[0]}, {cell[1]}) exit, reward {_signed(layout.terminals[cell])}")
        else:
            action = ACTION_NAMES[int(picture.policy[state])]
            hover.append(f"({cell[0]}, {cell[1]}) {kind}<br>V = {picture.values[state]:.4g}, greedy: {action}")
    fig.add_trace(
        go.Scatter(
            x=[c[0] for c in cells],
            y=[c[1] for c in cells],
            customdata=[list(c) for c in cells],
            mode="markers",
            marker={"size": cell_px * 0.9, "symbol": "square", "color": "#000000", "opacity": 0.01},
            selected={"marker": {"opacity": 0.01}},
            unselected={"marker": {"opacity": 0.01}},
            hovertext=hover,
            hoverinfo="text",
            name="cells",
        )
    )


def returns_figure(returns: Sequence[float]) -> go.Figure:
    """Return per episode (markers) and its moving average (bold line), episodes on the x axis."""
    data = np.asarray(returns, dtype=float)
    episodes = np.arange(1, data.size + 1)
    average = moving_average(data, RETURN_WINDOW)
    keep = thin_indices(data, average)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=episodes[keep],
            y=data[keep],
            mode="markers",
            name="return per episode",
            marker={"size": 6, "color": "#1f77b4", "opacity": 0.4},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=episodes[keep],
            y=average[keep],
            mode="lines",
            name=f"mean of last {RETURN_WINDOW}",
            line={"width": 4, "color": "#1f77b4"},
        )
    )
    fig.update_layout(
        title={"text": "Return per episode", "font": {"size": 20}},
        xaxis_title="episode",
        yaxis={"title": {"text": "return"}, **VALUE_AXIS},
        uirevision="returns",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=320,
        font={"size": 16},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
    )
    return fig
