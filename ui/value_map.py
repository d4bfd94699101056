"""The value and policy map of a run: what the agent expects from each state of a 2-D slice, and what it would do.

Drawn from the latest :class:`~agents.runs.value_map.ValueMap` the worker sent (the server holds no model): a
heatmap of the value (the critic's V(s), DQN's max Q, SAC's Q(s, μ(s))) and one of the greedy action (a colour
per discrete action with the env's names in the legend, or a diverging colour of a continuous action), each with
the latest evaluation episode's path. An algorithm without a critic (GRPO) gets the action map only, and the page
says why. Figures are built once per map and shared by every viewer, so each tick of the live view sends the same
bytes (Streamlit's message cache then sends none); a tab takes figures built up to ``max_age_s`` ago from an older
map (:func:`ui.viewers.figure_age_s`), and says that map's step.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from agents.algos.registry import AlgoInfo
from agents.runs.value_map import ValueMap
from envs.registry import EnvInfo
from envs.state_slice import StateSlice
from ui.common import plain
from ui.glossary import TERMS
from ui.present import plotly_chart
from ui.viewers import FIGURE_AGE_S

MAP_HEIGHT_PX = 360
ACTION_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
"""One colour per discrete action (plotly's D3 palette), in the order of the env's actions."""
PATH_COLOUR = "#ffffff"
CACHED_RUNS = 32

_cache: OrderedDict[str, tuple[tuple[int, int], float, ValueMap, dict[str, go.Figure]]] = OrderedDict()
_cache_lock = threading.Lock()


def show_value_map(
    run_id: str,
    value_map: ValueMap | None,
    env: EnvInfo,
    algo: AlgoInfo,
    active: bool,
    max_age_s: float = FIGURE_AGE_S,
) -> None:
    """The map's section of a run's view: nothing for an env without a state slice."""
    state_slice = env.state_slice
    if state_slice is None:
        return
    if value_map is None:
        if active:
            st.caption("A map of what the agent has learned appears here with its first evaluation episode.")
        return
    value_map, figures = map_figures(run_id, value_map, env, state_slice, max_age_s)
    st.markdown(f"**Inside the agent at step {value_map.step:,}**: {plain(state_slice.name)}")
    if "values" in figures:
        left, right = st.columns(2)
        with left:
            plotly_chart(figures["values"], key=f"value-map-{run_id}", height=MAP_HEIGHT_PX, shared=True)
        with right:
            plotly_chart(figures["actions"], key=f"action-map-{run_id}", height=MAP_HEIGHT_PX, shared=True)
        st.caption(f"{TERMS['value map']} {TERMS['greedy action']} {TERMS['map path']}")
    else:
        plotly_chart(figures["actions"], key=f"action-map-{run_id}", height=MAP_HEIGHT_PX, shared=True)
        st.caption(
            f"{algo.title} has no value function (no critic): this map shows its policy only. "
            f"{TERMS['greedy action']} {TERMS['map path']}"
        )


def map_figures(
    run_id: str, value_map: ValueMap, env: EnvInfo, state_slice: StateSlice, max_age_s: float = 0.0
) -> tuple[ValueMap, dict[str, go.Figure]]:
    """The map shown and its figures ``{"values": ..., "actions": ...}`` (no ``"values"`` without a critic), built
    once per map of a run; figures of an older map built up to ``max_age_s`` seconds ago are returned with that map."""
    version = (value_map.index, value_map.step)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(run_id)
        if hit is not None and (hit[0] == version or now - hit[1] < max_age_s):
            return hit[2], hit[3]
    figures = {"actions": action_figure(value_map, env, state_slice)}
    if value_map.values is not None:
        figures = {"values": value_figure(value_map, state_slice), **figures}
    with _cache_lock:
        _cache[run_id] = (version, now, value_map, figures)
        _cache.move_to_end(run_id)
        while len(_cache) > CACHED_RUNS:
            _cache.popitem(last=False)
    return value_map, figures


def value_figure(value_map: ValueMap, state_slice: StateSlice) -> go.Figure:
    """A heatmap of ``value_map.values`` over the slice, with the episode's path."""
    assert value_map.values is not None
    name = value_map.value_name or "value"
    heatmap = go.Heatmap(
        x=value_map.xs,
        y=value_map.ys,
        z=value_map.values,
        colorscale="Viridis",
        colorbar=_colorbar(name),
        hovertemplate=_hover(state_slice, f"{name} %{{z:.4g}}"),
        name=name,
        showlegend=False,
    )
    return go.Figure([heatmap, *_path(value_map)], _layout(f"{name}, what it expects", state_slice, value_map.step))


def action_figure(value_map: ValueMap, env: EnvInfo, state_slice: StateSlice) -> go.Figure:
    """The greedy action over the slice: a colour per discrete action (named in the legend), or a diverging colour
    centred on 0 for a continuous one; with the episode's path."""
    traces: list[go.BaseTraceType] = []
    if value_map.discrete:
        count = max(len(env.action_names), int(value_map.actions.max()) + 1)
        names = [env.action_names[a] if a < len(env.action_names) else f"action {a}" for a in range(count)]
        colours = [ACTION_COLOURS[a % len(ACTION_COLOURS)] for a in range(count)]
        traces.append(
            go.Heatmap(
                x=value_map.xs,
                y=value_map.ys,
                z=value_map.actions,
                colorscale=_categorical_scale(colours),
                zmin=-0.5,
                zmax=count - 0.5,
                showscale=False,
                showlegend=False,
                hovertemplate=_hover(state_slice, "action %{z}"),
            )
        )
        square = {"symbol": "square", "size": 14}
        traces += [  # a legend entry per action: a heatmap has a colour bar, not a legend
            go.Scatter(x=[None], y=[None], mode="markers", name=name, marker={**square, "color": colour})
            for name, colour in zip(names, colours, strict=True)
        ]
    else:
        label = env.action_names[0] if env.action_names else "action"
        low, high = value_map.action_range or (-1.0, 1.0)
        bound = max(abs(low), abs(high)) or 1.0  # the action's whole range: a pale map is a timid policy
        traces.append(
            go.Heatmap(
                x=value_map.xs,
                y=value_map.ys,
                z=value_map.actions,
                colorscale="RdBu",
                zmid=0.0,
                zmin=-bound,
                zmax=bound,
                colorbar=_colorbar(label),
                hovertemplate=_hover(state_slice, f"{label} %{{z:.3g}}"),
                showlegend=False,
            )
        )
    return go.Figure(
        [*traces, *_path(value_map)], _layout("greedy action, what it would do", state_slice, value_map.step)
    )


def _path(value_map: ValueMap) -> list[go.Scatter]:
    """The episode's path (NaN rows break the line where an angle wraps), its start and its end."""
    path = value_map.path
    if len(path) == 0:
        return []
    xs = [None if np.isnan(x) else float(x) for x in path[:, 0]]
    ys = [None if np.isnan(y) else float(y) for y in path[:, 1]]
    outline = {"color": "#000000", "width": 1}
    return [
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            name=f"evaluation episode {value_map.index}",
            showlegend=False,  # the caption says what the white line is
            line={"color": PATH_COLOUR, "width": 2},
            hoverinfo="skip",
        ),
        go.Scatter(
            x=[xs[0], xs[-1]],
            y=[ys[0], ys[-1]],
            mode="markers",
            showlegend=False,
            marker={"symbol": ["circle", "x"], "size": 11, "color": PATH_COLOUR, "line": outline},
            hovertext=["start", "end"],
            hoverinfo="text",
        ),
    ]


def _layout(what: str, state_slice: StateSlice, step: int) -> dict[str, object]:
    """A map's layout, given to ``go.Figure`` with its traces (3.9 ms a map against 6.0 ms with ``update_layout``
    after, ``benchmarks/bench_figures.py``)."""
    return {
        "title": {"text": f"{what}, step {step:,}", "font": {"size": 16}},
        "xaxis": {"title": {"text": state_slice.x.title}, "range": [state_slice.x.low, state_slice.x.high]},
        "yaxis": {"title": {"text": state_slice.y.title}, "range": [state_slice.y.low, state_slice.y.high]},
        "legend": {"x": 1.02, "xanchor": "left", "y": 1.0, "yanchor": "top"},  # where a colour bar would be
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "height": MAP_HEIGHT_PX,
        "font": {"size": 14},
        "uirevision": "keep",
    }


def _colorbar(title: str) -> dict[str, object]:
    return {"title": {"text": title, "side": "top"}, "thickness": 14}


def _hover(state_slice: StateSlice, what: str) -> str:
    return f"{state_slice.x.name} %{{x:.3g}}<br>{state_slice.y.name} %{{y:.3g}}<br>{what}<extra></extra>"


def _categorical_scale(colours: list[str]) -> list[tuple[float, str]]:
    """A colour scale of flat bands, one per integer from 0 to len(colours) - 1 (with zmin -0.5, zmax n - 0.5)."""
    count = len(colours)
    scale: list[tuple[float, str]] = []
    for index, colour in enumerate(colours):
        scale += [(index / count, colour), ((index + 1) / count, colour)]
    return scale
