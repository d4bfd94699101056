"""The Compare page's pieces: which runs to show, the grouped chart with bands, and the table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from agents.analysis.compare import GroupCurve, RunCurve, aggregate, group_key
from agents.analysis.summary import summary_table
from agents.runs.live import SOLVE_WINDOW
from agents.runs.manager import RUN_ID_PATTERN
from agents.runs.run import Run
from ui.charts import MAX_POINTS, thin_indices

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
MAX_LINK_RUNS = 50


def run_label(run: Run) -> str:
    return f"{run.config.env_id} · {run.config.algo} · seed {run.config.seed} · {run.id[-6:]}"


def group_label(run: Run) -> str:
    """What a group of seeds has in common, in words."""
    config = run.config
    shaped = " · shaped" if not config.shaping.is_identity() else ""
    return f"{config.env_id} · {config.algo} · {config.preset or 'custom'}{shaped}"


def runs_from_link(raw: str) -> list[str]:
    """Run ids from a ``runs=a,b,c`` query value: well-formed ids only, at most ``MAX_LINK_RUNS``."""
    return [part for part in raw.split(",")[:MAX_LINK_RUNS] if RUN_ID_PATTERN.match(part)]


def default_selection(runs: list[Run]) -> list[str]:
    """The newest group with several seeds, or else the three newest runs."""
    groups: dict[str, list[Run]] = {}
    for run in runs:  # newest first
        groups.setdefault(group_key(run.config), []).append(run)
    for members in groups.values():
        if len(members) > 1:
            return [r.id for r in members]
    return [r.id for r in runs[:3]]


def curves_for(runs: list[Run]) -> list[RunCurve]:
    labels: dict[str, str] = {}
    curves = []
    for run in runs:
        key = group_key(run.config)
        label = labels.setdefault(key, _unique(group_label(run), labels.values()))
        snap = run.snapshot()
        curves.append(
            RunCurve.from_snapshot(run.id, snap, label=run_label(run), group=key, group_label=label, cpu_s=snap.cpu_s)
        )
    return curves


def _unique(label: str, taken: object) -> str:
    existing = set(taken)  # type: ignore[call-overload]
    if label not in existing:
        return label
    number = 2
    while f"{label} #{number}" in existing:
        number += 1
    return f"{label} #{number}"


def compare_figure(curves: list[RunCurve], *, x_axis: str, shaped: bool) -> go.Figure:
    """Per group: thin per-seed lines, the mean with its bootstrap band, and the IQM for 3+ seeds."""
    fig = go.Figure()
    groups: dict[str, list[RunCurve]] = {}
    for curve in curves:
        groups.setdefault(curve.group, []).append(curve)
    for index, members in enumerate(groups.values()):
        colour = PALETTE[index % len(PALETTE)]
        members = [m for m in members if m.episodes]
        if not members:
            continue
        group = aggregate(members, x=x_axis, shaped=shaped, min_runs=1, n_boot=500)  # type: ignore[arg-type]
        _draw_group(fig, group, members[0].group_label, colour)
    what = "shaped return" if shaped else "true return"
    fig.update_layout(
        title={"text": f"{what.capitalize()} (mean of last {SOLVE_WINDOW} episodes)", "font": {"size": 18}},
        xaxis_title="environment steps" if x_axis == "steps" else "training seconds",
        yaxis_title=what,
        height=460,
        uirevision="compare",
        font={"size": 14},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
    )
    return fig


def _draw_group(fig: go.Figure, group: GroupCurve, label: str, colour: str) -> None:
    n_runs = len(group.run_ids)
    for row in group.runs:
        keep = thin_indices(row)
        fig.add_trace(
            go.Scatter(
                x=group.x[keep],
                y=row[keep],
                mode="lines",
                line={"width": 1, "color": colour},
                opacity=0.3,
                showlegend=False,
                hoverinfo="skip",
            )
        )
    keep = thin_indices(
        group.mean, group.ci_low, group.ci_high, group.iqm, max_points=MAX_POINTS // 2
    )  # the band: twice
    x, mean, ci_low, ci_high, iqm = (
        values[keep] for values in (group.x, group.mean, group.ci_low, group.ci_high, group.iqm)
    )
    if n_runs > 1:
        band = ~np.isnan(ci_low)
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([x[band], x[band][::-1]]),
                y=np.concatenate([ci_high[band], ci_low[band][::-1]]),
                fill="toself",
                fillcolor=colour,
                opacity=0.2,
                line={"width": 0},
                hoverinfo="skip",
                name=f"{label}: 95% bootstrap CI of the mean",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=mean,
            mode="lines",
            line={"width": 3, "color": colour},
            name=f"{label}: mean of {n_runs} seed{'s' if n_runs > 1 else ''}",
        )
    )
    if n_runs >= 3:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=iqm,
                mode="lines",
                line={"width": 2, "color": colour, "dash": "dot"},
                name=f"{label}: IQM",
            )
        )


def summary_frame(curves: list[RunCurve]) -> pd.DataFrame:
    rows = []
    for row in summary_table(curves, n_boot=500):
        ci = (
            f"[{row.final_return_ci_low:.1f}, {row.final_return_ci_high:.1f}]"
            if row.final_return_ci_low is not None
            else ""
        )
        rows.append(
            {
                "": "group" if row.kind == "group" else "run",
                "label": row.label,
                "seeds": row.n_runs,
                "solved": f"{row.solved_runs}/{row.n_runs}",
                "steps to solve": row.steps_to_solve,
                "seconds to solve": row.seconds_to_solve,
                "final return": row.final_return,
                "95% CI": ci,
                "IQM": row.final_return_iqm,
                "CPU s": row.cpu_s,
            }
        )
    return pd.DataFrame(rows)
