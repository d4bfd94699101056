"""The Compare page's pieces: which runs to show, the grouped chart with bands, and the table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from agents.analysis.compare import GroupCurve, RunCurve, aggregate, group_key
from agents.analysis.seeds import SeedGroup, seed_groups
from agents.analysis.summary import summary_table
from agents.lessons.hints import lesson_variants, lessons_in_view
from agents.lessons.rewards import Lesson, LessonRun
from agents.runs.live import SOLVE_WINDOW
from agents.runs.manager import RUN_ID_PATTERN
from agents.runs.run import Run, RunStatus
from ui.charts import MAX_POINTS, VALUE_AXIS, thin_indices
from ui.common import manager
from ui.tables import RETURN, SECONDS, STEPS, show_table

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
MAX_LINK_RUNS = 50
LEARNED_UNITS = (
    "A run that learns from labels is trained on its own reward model's normalised reward: its line here is in "
    "those units, so compare its trend with the others', not its level."
)


def run_label(run: Run, variant: LessonRun | None = None) -> str:
    """The run's name, and the lesson variant it is (given, or the one lesson it can belong to)."""
    if variant is None:
        found = lesson_variants(run.config)
        variant = found[0][1] if len(found) == 1 else None
    return f"{run.name} · {variant.label}" if variant else run.name


def group_label(run: Run, variant: LessonRun | None = None) -> str:
    """What a group of seeds has in common, in words: a lesson's variant by its name; settings changed while
    training, with their steps (a run changed mid-run is an experiment of its own, never a seed of another)."""
    config = run.config
    if variant is not None:
        return f"{variant.label} ({config.env_info.title} · {config.algo_info.title})"
    shaped = " · shaped" if not config.shaping.is_identity() else ""
    learned = f" · learned from {config.feedback.describe()}" if config.feedback is not None else ""
    made = [change.label() for change in config.schedule_changes() if change.step > 0]  # step 0: its own start
    changed = f" · changed while training: {', '.join(made)}" if made else ""
    return f"{config.env_id} · {config.algo} · {config.preset_label()}{shaped}{learned}{changed}"


def runs_from_link(raw: str) -> list[str]:
    """Run ids from a ``runs=a,b,c`` query value: well-formed ids only, at most ``MAX_LINK_RUNS``."""
    return [part for part in raw.split(",")[:MAX_LINK_RUNS] if RUN_ID_PATTERN.match(part)]


def default_selection(runs: list[Run]) -> list[str]:
    """The newest group with several distinct seeds, or else the three newest runs."""
    groups: dict[str, list[Run]] = {}
    for run in runs:  # newest first
        groups.setdefault(group_key(run.config), []).append(run)
    for members in groups.values():
        if len({run.config.seed for run in members}) > 1:
            return [r.id for r in members]
    return [r.id for r in runs[:3]]


def curves_for(runs: list[Run]) -> list[RunCurve]:
    """One curve per run; a lesson's runs are labelled with their variant's name."""
    labels: dict[str, str] = {}
    curves = []
    _, variants = lessons_in_view([run.config for run in runs])
    for run, variant in zip(runs, variants, strict=True):
        key = group_key(run.config)
        label = labels.setdefault(key, _unique(group_label(run, variant), labels.values()))
        snap = run.snapshot()
        curves.append(
            RunCurve.from_snapshot(
                run.id,
                snap,
                label=run_label(run, variant),
                group=key,
                group_label=label,
                cpu_s=snap.cpu_s,
                seed=run.config.seed,
                cost=snap.cost,
            )
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
    """Per configuration: thin per-seed lines, the mean of its distinct seeds with a bootstrap band where every seed
    has data, and the IQM from 4 seeds on (below that it equals the mean); a single seed is drawn as itself."""
    fig = go.Figure()
    for index, group in enumerate(seed_groups(curves)):
        if group.seeds:
            line = aggregate(list(group.seeds), x=x_axis, shaped=shaped, min_runs=1, n_boot=500)  # type: ignore[arg-type]
            _draw_group(fig, line, group, PALETTE[index % len(PALETTE)])
    what = "shaped return" if shaped else "true return"
    fig.update_layout(
        title={"text": f"{what.capitalize()} (mean of last {SOLVE_WINDOW} episodes)", "font": {"size": 18}},
        xaxis_title="environment steps" if x_axis == "steps" else "training seconds",
        yaxis={"title": {"text": what}, **VALUE_AXIS},
        height=460,
        uirevision="compare",
        showlegend=True,  # plotly hides a lone trace's legend, which names what a single seed's line is
        font={"size": 14},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
    )
    return fig


def _draw_group(fig: go.Figure, line: GroupCurve, group: SeedGroup, colour: str) -> None:
    label = group.label
    if group.n_seeds == 1:
        keep = thin_indices(line.runs[0])
        name = f"{label}: seed {group.seeds[0].seed} (one run)"
        fig.add_trace(
            go.Scatter(
                x=line.x[keep], y=line.runs[0][keep], mode="lines", line={"width": 3, "color": colour}, name=name
            )
        )
        return
    for row in line.runs:
        keep = thin_indices(row)
        fig.add_trace(
            go.Scatter(
                x=line.x[keep],
                y=row[keep],
                mode="lines",
                line={"width": 1, "color": colour},
                opacity=0.3,
                showlegend=False,
                hoverinfo="skip",
            )
        )
    # Statistics only where every seed has data: elsewhere they would summarise a changing subset of the runs.
    complete = line.n_runs == group.n_seeds
    mean, ci_low, ci_high, iqm = (
        np.where(complete, values, np.nan) for values in (line.mean, line.ci_low, line.ci_high, line.iqm)
    )
    keep = thin_indices(mean, ci_low, ci_high, iqm, max_points=MAX_POINTS // 2)  # the band draws each x twice
    x, mean, ci_low, ci_high, iqm = (values[keep] for values in (line.x, mean, ci_low, ci_high, iqm))
    band = ~np.isnan(ci_low) & group.shows_ci  # 2 seeds: no interval (agents.analysis.seeds.MIN_SEEDS_FOR_CI)
    if band.any():
        _draw_band(fig, x[band], ci_low[band], ci_high[band], colour, f"{label}: 95% bootstrap CI of the mean")
    fig.add_trace(
        go.Scatter(
            x=x,
            y=mean,
            mode="lines",
            line={"width": 3, "color": colour},
            name=f"{label}: mean of {group.n_seeds} seeds",
        )
    )
    if group.shows_iqm:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=iqm,
                mode="lines",
                line={"width": 2, "color": colour, "dash": "dot"},
                name=f"{label}: IQM of {group.n_seeds} seeds",
            )
        )


def _draw_band(fig: go.Figure, x: np.ndarray, low: np.ndarray, high: np.ndarray, colour: str, name: str) -> None:
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([x, x[::-1]]),
            y=np.concatenate([high, low[::-1]]),
            fill="toself",
            fillcolor=colour,
            opacity=0.2,
            line={"width": 0},
            hoverinfo="skip",
            name=name,
        )
    )


SUMMARY_FORMATS = {
    "steps to solve": STEPS,
    "seconds to solve": SECONDS,
    "final return": RETURN,
    "IQM": RETURN,
    "CPU s": SECONDS,
    "CPU s to solve": SECONDS,
    "env steps": STEPS,
    "params": STEPS,
    "labels": STEPS,
}


def summary_frame(curves: list[RunCurve]) -> pd.DataFrame:
    """The table's values, one row per run then one per group of distinct seeds (None where a value does not exist)."""
    rows = []
    for row in summary_table(curves, n_boot=500):
        ci = (
            f"[{row.final_return_ci_low:,.1f}, {row.final_return_ci_high:,.1f}]"
            if row.final_return_ci_low is not None and row.final_return_ci_high is not None
            else None
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
                "CPU s to solve": row.cpu_s_to_solve,
                "env steps": row.env_steps,
                "params": row.params,
                "labels": row.labels,
            }
        )
    return pd.DataFrame(rows)


SUMMARY_HEADERS = {  # short headers: every column fits a 1280x720 screen beside the sidebar, no sideways scroll
    "solved": {"help": "Seeds that solved the environment, of the distinct seeds."},
    "seconds to solve": {"label": "s to solve", "help": "Wall-clock seconds until solved."},
}


def show_summary(curves: list[RunCurve]) -> None:
    """:func:`summary_frame` as the page shows it: dashes for missing values, steps and seconds rounded; the
    seeds column is left out ("solved" says k of n seeds), and of the cost only CPU seconds (the ranking below
    has the cost to solve, parameters and labels), so that the table fits a 1280x720 screen; runs that learned
    from preferences bring their labels column."""
    frame = summary_frame(curves)
    learned = bool((frame["labels"].fillna(0) > 0).any()) if "labels" in frame else False
    hidden = ("seeds", "CPU s to solve", "env steps", "params", *(() if learned else ("labels",)))
    shown = [column for column in frame.columns if column not in hidden]
    show_table(
        frame, SUMMARY_FORMATS, hide_index=True, width="stretch", column_order=shown, column_config=SUMMARY_HEADERS
    )


def group_notes(curves: list[RunCurve]) -> list[str]:
    """What each group's statistics do not hold (repeated seeds, lengths, one seed, too few for the IQM), in words."""
    return [f"{group.label}: {note}" for group in seed_groups(curves) for note in group.notes()]


def progress_notes(runs: list[Run]) -> list[str]:
    """Which selected runs are still queued (and their place in the queue) or training, so a thin group is explained."""
    notes = []
    for run in runs:
        status = run.status
        if status == RunStatus.QUEUED:
            position = manager().queue_position(run)
            place = f"number {position} in the queue" if position else "in the queue"
            notes.append(f"{run_label(run)} is waiting to start: {place}.")
        elif status.active:
            snap = run.snapshot()
            verb = "paused" if status == RunStatus.PAUSED else "still training"
            notes.append(f"{run_label(run)} is {verb}: {snap.timesteps:,} of {run.config.total_timesteps:,} steps.")
    return notes


def run_labels(runs: list[Run]) -> dict[str, str]:
    """Every run's label by id, a lesson's runs with their variant among the lessons these runs show."""
    _, variants = lessons_in_view([run.config for run in runs])
    return {run.id: run_label(run, variant) for run, variant in zip(runs, variants, strict=True)}


def lessons_of(runs: list[Run]) -> list[Lesson]:
    """The lessons whose variants ``runs`` show side by side (:func:`agents.lessons.hints.lessons_in_view`)."""
    return lessons_in_view([run.config for run in runs])[0]
