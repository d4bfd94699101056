"""Plotly figures of a run's progress, built from a :class:`~agents.runs.live.RunSnapshot`.

Plotly sends the whole figure on every update (2,000 points are ~26 kB, 200,000 are ~2.25 MB), so long
histories are thinned out for the wire here (:func:`~agents.runs.downsample.minmax_indices`: each bucket
keeps its lowest and highest point, so a crash is never thinned away), after the moving average is computed on
the full data; the raw data stays on the server. A redraw with new data resets a zoom (Streamlit mounts the chart
afresh); :mod:`ui.chart_hold` holds the charts still for a person who wants to zoom.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
import plotly.graph_objects as go

from agents.config.reference_curves import ReferenceCurve
from agents.config.schedule import Change
from agents.runs.downsample import minmax_indices
from agents.runs.live import SOLVE_WINDOW, RunSnapshot
from agents.runs.series import StepValues
from ui.glossary import GROUP_BY_ID, ordered, solved_text

MAX_POINTS = 1500
"""Points per line sent to the browser."""
MARKER_POINTS = 600
"""Markers of the return chart's episodes sent to the browser. Plotly draws each marker as an SVG element, and a
live chart is mounted afresh at every redraw (:mod:`ui.chart_hold`): 1,500 markers took 58 ms of Chromium's main
thread a mount, 600 take 34 ms, a line of 1,500 points 1 ms (``benchmarks/bench_browser.py``). Each bucket's lowest and
highest episode stay: 300 buckets across a chart about 800 px wide, under 3 px each for a 4 px marker."""
SMALL_CHART_POINTS = 600
"""Points per line of the small charts of logged values (each about 300 px wide: two points per pixel column still
keep every column's extremes; their JSON was 350 kB of the 480 kB every watching tab received per redraw)."""
VALUE_AXIS: dict[str, str] = {"exponentformat": "e"}
"""Tick labels of an axis of values (returns, lengths, losses): plotly's default SI prefixes read a loss of 4e-7
as "400n" and a learning rate of 3e-4 as "300µ"; scientific notation ("4e-7") is what TensorBoard shows."""
TRUE_COLOUR, SHAPED_COLOUR, LENGTH_COLOUR = "#1f77b4", "#ff7f0e", "#2ca02c"
CHANGE_COLOUR = "#7f7f7f"
REFERENCE_FILL, REFERENCE_LINE = "rgba(120, 120, 120, 0.18)", "rgba(90, 90, 90, 0.7)"


def thin_indices(*series: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of the points to draw from ``series`` sharing one x: each bucket's extremes, at most ``max_points``."""
    return minmax_indices(*series, max_points=max_points)


FLOAT32_SAFE = (1e-30, 1e30)
"""Magnitudes float32 holds to 7 significant digits (its normal range is about 1.2e-38 to 3.4e38)."""


def as_shown(values: np.ndarray) -> np.ndarray:
    """A small chart's values as float32 when float32 holds each to 7 significant digits (every finite nonzero
    magnitude within :data:`FLOAT32_SAFE`; NaN and infinities stay what they are), else as they are. Its hover shows 4
    digits (``%{y:.4g}``) and its line is 170 px tall, so nothing shown changes, and a redraw of a long run carries
    10 x 600 values in half the bytes (``benchmarks/bench_figures.py``)."""
    finite = np.abs(values[np.isfinite(values)])
    nonzero = finite[finite > 0]
    if nonzero.size and (nonzero.min() < FLOAT32_SAFE[0] or nonzero.max() > FLOAT32_SAFE[1]):
        return values
    return values.astype(np.float32)


def step_value_array(points: Sequence[tuple[int, float]]) -> np.ndarray:
    """``[(step, value), ...]`` as a float array of shape (n, 2). A run's logged values are already that array
    (:class:`~agents.runs.series.StepValues`, no copy); for other sequences ``np.fromiter`` over the flattened
    pairs is about three times quicker than ``np.asarray`` of a list of tuples (6 ms against 18 ms for 17,000)."""
    if isinstance(points, StepValues):
        return points.array()
    flat = np.fromiter(chain.from_iterable(points), dtype=float, count=2 * len(points))
    return flat.reshape(-1, 2)


def moving_average(values: Sequence[float], window: int = SOLVE_WINDOW) -> np.ndarray:
    """Trailing mean over the last ``window`` values (shorter at the start), as the solved test uses."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return data
    cumsum = np.cumsum(np.insert(data, 0, 0.0))
    counts = np.minimum(np.arange(1, data.size + 1), window)
    starts = np.arange(1, data.size + 1) - counts
    return (cumsum[1:] - cumsum[starts]) / counts


def _layout(title: str, y_title: str, x_title: str = "environment steps", legend_below: bool = False) -> dict:
    """The layout of a run's chart, as a dict given to ``go.Figure`` with its traces: plotly validates it in less time
    than ``update_layout`` takes on a built figure (a long run's return chart 3.0 ms against 5.1 ms, its five figures
    19 ms against 43 ms, ``benchmarks/bench_figures.py``); thirty watching tabs share what a rebuild makes."""
    legend = (
        {"orientation": "h", "yanchor": "top", "y": -0.25, "xanchor": "left", "x": 0.0}
        if legend_below
        else {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0}
    )
    return {
        "title": {"text": title, "font": {"size": 18}},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}, **VALUE_AXIS},
        "uirevision": "keep",  # keeps a zoom across redraws of the same chart (a held one, ui/chart_hold.py)
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "height": 400 if legend_below else 340,
        "legend": legend,
        "font": {"size": 14},
    }


def reference_traces(reference: ReferenceCurve, until_step: int) -> list[go.Scatter]:
    """The preset's reference band (10th-90th percentile over seeds, light) and its median (dashed), first, so they
    lie behind the run's own curve; up to the first stored step at or past ``until_step``, so the axis follows the
    run and the band shows where the preset went next."""
    steps = np.asarray(reference.steps)
    known = np.asarray([value is not None for value in reference.median])
    shown = known & (steps <= steps[min(int(np.searchsorted(steps, until_step)), len(steps) - 1)])
    if not shown.any():
        return []
    x = steps[shown]
    low, median, high = (np.asarray(values, dtype=float)[shown] for values in reference.bands)
    hover = f"{reference.label}<br>{reference.source}<br>step %{{x:,}}: %{{y:.4g}}<extra></extra>"
    common = {"x": x, "mode": "lines", "legendgroup": "reference", "hovertemplate": hover}
    return [
        go.Scatter(y=high, line={"width": 0}, showlegend=False, name="reference 90%", **common),
        go.Scatter(y=low, line={"width": 0}, fill="tonexty", fillcolor=REFERENCE_FILL, name=reference.label, **common),
        go.Scatter(
            y=median,
            line={"width": 2, "dash": "dot", "color": REFERENCE_LINE},
            showlegend=False,
            name="reference median",
            **common,
        ),
    ]


def returns_figure(
    snap: RunSnapshot,
    *,
    threshold: float | None,
    show_shaped: bool,
    learned: bool = False,
    reference: ReferenceCurve | None = None,
) -> go.Figure:
    """Return per episode (thin markers) and its moving average (bold line); shaped beside true if asked.

    ``learned``: the agent's reward is learned from preferences, so its return is called the learned return, and it
    has an axis of its own on the right: the learned reward is normalised, so its units are not the env's.
    ``reference``: the band the run's preset reached over seeds (:mod:`agents.config.reference_curves`), drawn
    behind the curve; give it only for a run configured exactly as measured (``reference_for``)."""
    traces = [] if reference is None else reference_traces(reference, snap.timesteps)
    steps = np.asarray(snap.episode_steps)
    series = [("true return", snap.episode_true_returns, TRUE_COLOUR, "y")]
    if show_shaped or learned:
        name = "learned return (what the agent optimises)" if learned else "shaped return (what the agent optimises)"
        series.append((name, snap.episode_returns, SHAPED_COLOUR, "y2" if learned else "y"))
    for name, values, colour, axis in series:
        raw = np.asarray(values, dtype=float)
        average = moving_average(raw)
        keep, dots = thin_indices(raw, average), thin_indices(raw, max_points=MARKER_POINTS)
        traces.append(
            go.Scatter(
                x=steps[dots],
                y=raw[dots],
                mode="markers",
                name=f"{name}, per episode",
                marker={"size": 4, "color": colour, "opacity": 0.35},
                yaxis=axis,
            )
        )
        traces.append(
            go.Scatter(
                x=steps[keep],
                y=average[keep],
                mode="lines",
                name=f"{name}, mean of last {SOLVE_WINDOW}",
                line={"width": 3, "color": colour},
                yaxis=axis,
            )
        )
    if threshold is not None:
        # A line in the legend, not a label inside the plot: a label there sits where a solved run's curve runs
        # (FrozenLake's mean climbs to its 0.7 right under it). Hovering the line explains it.
        span = [int(steps[0]), int(steps[-1])] if len(steps) else [None]
        traces.append(
            go.Scatter(
                x=span,
                y=[threshold] * len(span),
                mode="lines",
                name=f"solved at {threshold:g}",
                line={"dash": "dash", "color": "#888", "width": 2},
                hovertemplate=f"{solved_text(threshold)}<extra></extra>",
            )
        )
    if not learned:
        layout = _layout("Return per episode", "return", legend_below=True)
    else:
        layout = _layout("True and learned return per episode", "true return", legend_below=True)
        layout["yaxis"]["title"]["font"] = {"color": TRUE_COLOUR}
        layout["yaxis2"] = {
            "title": {"text": "learned return (normalised)", "font": {"color": SHAPED_COLOUR}},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            **VALUE_AXIS,
        }
    # a click selects one episode's dot (the replay of that moment, ui/replay_view.py); set here, not left to Streamlit,
    # whose frontend drops its own click mode when a live chart's spec changes every second
    layout["clickmode"] = "event+select"
    return go.Figure(data=traces, layout=layout)


def lengths_figure(snap: RunSnapshot) -> go.Figure:
    """Episode length: for many envs (CartPole) the clearest sign of learning."""
    steps = np.asarray(snap.episode_steps)
    average = moving_average(np.asarray(snap.episode_lengths, dtype=float))
    keep = thin_indices(average)
    trace = go.Scatter(
        x=steps[keep], y=average[keep], mode="lines", name="episode length", line={"width": 3, "color": LENGTH_COLOUR}
    )
    return go.Figure(data=[trace], layout=_layout(f"Episode length (mean of last {SOLVE_WINDOW})", "steps per episode"))


def losses_figure(snap: RunSnapshot, algo: str = "") -> go.Figure:
    """Every ``train/*`` value the algorithm logs, each on its own small chart with its own y axis.

    Values differ by orders of magnitude (a value loss in the thousands beside a KL divergence of 0.01), so
    one shared axis would flatten all but the largest. The small charts come group by group, the most
    informative first (:func:`ui.glossary.ordered`); a name the glossary does not know is still charted,
    last. Counters (``n_updates``) and empty series are left out. All x axes zoom together.
    """
    arrays = {key: step_value_array(points) for key, points in snap.losses.items()}
    series = {key.removeprefix("train/"): points for key, points in arrays.items() if len(points)}
    values = ordered(algo, list(series))
    cols = 2 if len(values) > 1 else 1
    rows = max(1, -(-len(values) // cols))
    traces: list[dict] = []
    layout: dict = {
        "title": {"text": "What the algorithm logs, each on its own scale", "font": {"size": 18}},
        "annotations": [],
        "uirevision": "keep",
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "height": 80 + 170 * rows,
        "showlegend": False,
        "font": {"size": 13},
    }
    broken: list[str] = []
    for index, value in enumerate(values):
        row, col = divmod(index, cols)
        suffix = "" if index == 0 else str(index + 1)
        # Each small chart's cell, in fractions of the figure: a gap between columns, room above for its title
        x_domain = [col / cols + (0.07 if col else 0.0), (col + 1) / cols - (0.03 if col + 1 < cols else 0.0)]
        y_domain = [1.0 - (row + 0.88) / rows, 1.0 - (row + 0.22) / rows]
        data = series[value.name]
        finite = np.isfinite(data[:, 1])
        if not finite.all():  # a run ends when a logged value diverges: say so rather than draw a shorter line
            first = int(np.flatnonzero(~finite)[0])
            broken.append(f"{value.name} became {data[first, 1]} at step {int(data[first, 0]):,}")
            data = data[finite]
        keep = thin_indices(data[:, 1], max_points=SMALL_CHART_POINTS)
        group = GROUP_BY_ID[value.group]
        traces.append(
            {
                "type": "scatter",
                "x": data[keep, 0],
                "y": as_shown(data[keep, 1]),
                "mode": "lines",
                "name": value.name,
                "line": {"width": 2, "color": group.colour},
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "hovertemplate": f"{value.label}: %{{y:.4g}}<br>step %{{x:,}}<extra>{group.title}</extra>",
            }
        )
        layout[f"xaxis{suffix}"] = {
            "domain": x_domain,
            "anchor": f"y{suffix}",
            "showticklabels": index + cols >= len(values),  # the bottom chart of each column
            **({"matches": "x"} if index else {}),  # all zoom together
        }
        layout[f"yaxis{suffix}"] = {"domain": y_domain, "anchor": f"x{suffix}", "nticks": 4, **VALUE_AXIS}
        layout["annotations"].append(
            {
                "text": f"<b>{value.label}</b>",
                "xref": "paper",
                "yref": "paper",
                "x": x_domain[0],
                "y": y_domain[1],
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 14, "color": group.colour},
            }
        )
    if broken:
        layout["annotations"].append(
            {
                "text": "Not drawn: " + "; ".join(broken),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 1,
                "xanchor": "left",
                "yanchor": "bottom",
                "yshift": 24,
                "showarrow": False,
                "font": {"size": 14, "color": "#d62728"},
            }
        )
    return go.Figure(data=traces, layout=layout)


def mark_changes(fig: go.Figure, changes: Sequence[Change]) -> go.Figure:
    """A dotted vertical line at each step where a setting changed while training, on every x axis of ``fig`` (the
    small charts of the logged values too), labelled on the first: ``lr 0.0003 -> 0.0001 at 20k``. Changes at one
    step share a line and a label. A step-0 entry is the run's starting value, not a change: left unmarked."""
    by_step: dict[int, list[str]] = {}
    for change in changes:
        if change.step > 0:
            by_step.setdefault(change.step, []).append(change.label())
    if not by_step:
        return fig
    axes = sorted(key for key in fig.layout.to_plotly_json() if key.startswith("xaxis")) or ["xaxis"]
    for step, labels in by_step.items():
        for axis in axes:
            suffix = axis.removeprefix("xaxis")
            line = {"color": CHANGE_COLOUR, "width": 1.5, "dash": "dot"}
            fig.add_shape(type="line", x0=step, x1=step, y0=0, y1=1, xref=f"x{suffix}", yref=f"y{suffix} domain",
                          line=line, name="setting changed")  # fmt: skip
        fig.add_annotation(
            x=step,
            xref="x",
            y=1,
            yref="y domain",
            text=", ".join(labels),
            showarrow=False,
            textangle=-90,
            xanchor="right",
            yanchor="top",
            font={"size": 12, "color": CHANGE_COLOUR},
            name="setting changed",
        )
    return fig
