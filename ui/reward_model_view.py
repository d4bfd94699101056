"""Seeing the reward model of a run that learns from preferences: how well it agrees with the task, and with its labels.

Two charts from the reports the worker sends after each refit (:class:`~agents.feedback.report.RewardReport`; the
server holds no model): the learned reward against the env's true reward, step by step, on the latest clips, with
their correlation in the title; and the label-efficiency curve, the reward model's accuracy on held-out pairs against
the labels used (Christiano et al. 2017, figure 3). The learned and true return per episode share the run's return
chart (:func:`ui.charts.returns_figure`).
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import streamlit as st

from agents.feedback.report import RewardReport
from ui.charts import SHAPED_COLOUR, TRUE_COLOUR, VALUE_AXIS
from ui.present import plotly_chart

NO_REPORT_YET = (
    "The reward model's charts appear after its first fit, once the first labels are in: how well the learned reward "
    "follows the true one, and how its accuracy grows with the labels."
)
SCATTER_CAPTION = (
    "Each dot is one step of a recent clip: across, the environment's own reward (which the agent never sees); up, "
    "the reward the model learned from labels, as the agent is paid it (normalised). Dots along a rising line mean "
    "the learned reward ranks steps as the task does; a correlation near 1 is the goal. Near 0, or negative, the "
    "agent is being taught something else."
)
EFFICIENCY_CAPTION = (
    "The label-efficiency curve: after each refit, the fraction of held-out pairs (labelled, never trained on) the "
    "reward model orders as the labeler did, against the labels used so far. 0.5 is a coin flip. Where it flattens, "
    "more labels of the same kind buy little."
)


def correlation_text(report: RewardReport) -> str:
    """The scatter's title: the correlation, and over how many steps it was measured."""
    if report.correlation is None:
        return "Learned vs true reward per step: no correlation (one of them is constant on these clips)"
    return f"Learned vs true reward per step: correlation {report.correlation:.2f} (over {report.sample_of:,} steps)"


def reward_scatter_figure(report: RewardReport) -> go.Figure:
    """Learned (y) against true (x) reward per step, from ``report``'s sample; the correlation in the title."""
    fig = go.Figure(
        go.Scatter(
            x=list(report.true),
            y=list(report.learned),
            mode="markers",
            name="one step of a recent clip",
            marker={"size": 5, "color": SHAPED_COLOUR, "opacity": 0.5},
            hovertemplate="true %{x:.3g}, learned %{y:.3g}<extra></extra>",
        )
    )
    shown = f"{len(report.learned):,} of {report.sample_of:,} steps shown" if report.learned else "no steps yet"
    fig.update_layout(
        title={"text": correlation_text(report), "font": {"size": 16}},
        xaxis={"title": {"text": f"true reward (the env's own) · {shown}"}, **VALUE_AXIS},
        yaxis={"title": {"text": "learned reward (normalised)"}, **VALUE_AXIS},
        uirevision="keep",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=340,
        showlegend=False,
        font={"size": 14},
    )
    return fig


def label_efficiency_figure(reports: Sequence[RewardReport]) -> go.Figure:
    """Held-out pair accuracy against labels used, one point per refit, with chance (0.5) dashed."""
    points = [(r.labels_used, r.accuracy, r.step) for r in reports if r.accuracy is not None]
    fig = go.Figure(
        go.Scatter(
            x=[p[0] for p in points],
            y=[p[1] for p in points],
            customdata=[p[2] for p in points],
            mode="lines+markers",
            name="held-out pair accuracy",
            line={"width": 3, "color": TRUE_COLOUR},
            hovertemplate="%{y:.0%} of held-out pairs after %{x:,} labels (step %{customdata:,})<extra></extra>",
        )
    )
    span = [min(r.labels_used for r in reports), max(r.labels_used for r in reports)] if reports else [0, 1]
    fig.add_trace(
        go.Scatter(
            x=span,
            y=[0.5, 0.5],
            mode="lines",
            name="chance (a coin flip)",
            line={"dash": "dash", "color": "#888", "width": 2},
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        title={"text": "Label efficiency: held-out pair accuracy against labels used", "font": {"size": 16}},
        xaxis={"title": {"text": "labels used"}},
        yaxis={"title": {"text": "held-out pair accuracy"}, "range": [0, 1.02], "tickformat": ".0%"},
        uirevision="keep",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=340,
        legend={"orientation": "h", "yanchor": "bottom", "y": 0.0, "xanchor": "right", "x": 1.0},
        font={"size": 14},
    )
    return fig


def show_reward_model(run_id: str, reports: Sequence[RewardReport]) -> None:
    """The two charts side by side with a line under each; a sentence instead while there is no report yet."""
    if not reports:
        st.info(NO_REPORT_YET)
        return
    left, right = st.columns(2)
    with left:
        plotly_chart(reward_scatter_figure(reports[-1]), key=f"reward-scatter-{run_id}")
        st.caption(SCATTER_CAPTION)
    with right:
        if any(r.accuracy is not None for r in reports):
            plotly_chart(label_efficiency_figure(reports), key=f"label-efficiency-{run_id}")
            st.caption(EFFICIENCY_CAPTION)
        else:
            st.caption("The label-efficiency curve starts once a held-out pair has a decided label (every 5th pair).")
