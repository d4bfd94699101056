"""The cost meter as pages show it: a line on the Train page, columns of the Runs table, Compare's ranking."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from agents.analysis.compare import RunCurve
from agents.analysis.ranking import WHY_CPU, rank_by_cpu_to_solve
from agents.storage.cost import PERSON, Cost
from ui.tables import MISSING, SECONDS, STEPS, show_table

COST_HELP = (
    "What this run has cost. CPU s: processor seconds of the run's own worker (training, evaluation clips, a reward "
    "model), the fair measure across runs, since wall time moves two to three times with machine load. Env steps: "
    "every step taken in an environment, by part (training, evaluation clips, feedback clips). Parameters: the "
    "numbers it trains, by network (policy, value function, reward model) or table. Labels: preference labels, by a "
    "person or automated (0 unless the run learns from preferences)."
)
COST_FORMATS = {"CPU s": SECONDS, "CPU s to solve": SECONDS, "env steps": STEPS, "params": STEPS, "labels": STEPS}


def _parts(parts: dict[str, int]) -> str:
    shown = [f"{name} {count:,}" for name, count in parts.items() if count]
    return f" ({', '.join(shown)})" if len(shown) > 1 else ""


def cost_line(cost: Cost) -> str:
    """One line of the run's cost, each total with its named parts: what the Train page shows under the metrics."""
    labels = cost.total_labels
    who = f" ({cost.labels.get(PERSON, 0):,} by a person)" if labels else ""
    line = (
        f"**Cost:** CPU {cost.cpu_s:,.1f} s · wall {cost.wall_s:,.1f} s · "
        f"{cost.total_env_steps:,} env steps{_parts(dict(cost.env_steps))} · "
        f"{cost.total_params:,} parameters{_parts(dict(cost.params))} · {labels:,} labels{who}"
    )
    if cost.solved:
        line += (
            f" · **to solve:** CPU {cost.cpu_s_to_solve or 0:,.1f} s, wall {cost.wall_s_to_solve or 0:,.1f} s, "
            f"{cost.steps_to_solve or 0:,} steps"
        )
    return line


def show_cost(cost: Cost | None) -> None:
    """The Train page's cost line (a dash before the worker's first report)."""
    text = cost_line(cost) if cost is not None else f"**Cost:** {MISSING} (the worker reports it within a second)"
    st.markdown(text, help=COST_HELP)


def cost_columns(cost: Cost | None) -> dict[str, object]:
    """The Runs table's cost columns of one run (None where it has no cost meter)."""
    if cost is None:
        return dict.fromkeys(COST_FORMATS)
    return {
        "CPU s": cost.cpu_s,
        "CPU s to solve": cost.cpu_s_to_solve,
        "env steps": cost.total_env_steps,
        "params": cost.total_params,
        "labels": cost.total_labels,
    }


WHY_LABELS = (
    "Runs that learn from preferences pay in labels too: *labels to solve* is how many they had used when they "
    "solved (their clips' steps count in the steps to solve, the reward model in the CPU seconds). Labels by a "
    "person take 3-5 s each: 200 are 10-17 minutes of someone's time."
)
RANKING_FORMATS = {
    "CPU s to solve (median)": SECONDS,
    "steps to solve (median)": STEPS,
    "wall s to solve (median)": SECONDS,
    "CPU s (median)": SECONDS,
    "params": STEPS,
    "labels": STEPS,
    "labels to solve (median)": STEPS,
}


def ranking_frame(curves: list[RunCurve]) -> pd.DataFrame:
    """Compare's ranking of configurations by CPU seconds to solve, as a table."""
    return pd.DataFrame(
        [
            {
                "rank": row.rank,
                "configuration": row.label,
                "solved": f"{row.solved}/{row.seeds}",
                "CPU s to solve (median)": row.cpu_s_to_solve,
                "steps to solve (median)": row.steps_to_solve,
                "wall s to solve (median)": row.wall_s_to_solve,
                "CPU s (median)": row.cpu_s,
                "params": row.params,
                "labels": row.labels,
                "labels to solve (median)": row.labels_to_solve,
            }
            for row in rank_by_cpu_to_solve(curves)
        ]
    )


def show_ranking(curves: list[RunCurve]) -> None:
    """The ranking table with the sentence that says what it ranks on and why."""
    frame = ranking_frame(curves)
    if frame.empty:
        return
    st.markdown("**Cost to solve**")
    learned = bool((frame["labels"].fillna(0) > 0).any())
    st.caption(WHY_CPU + (f" {WHY_LABELS}" if learned else ""))
    hidden = ("wall s to solve (median)", *(() if learned else ("labels to solve (median)",)))
    show_table(  # short headers, the medians' wall seconds left out: the table fits a 1280x720 screen
        frame,
        RANKING_FORMATS,
        hide_index=True,
        width="stretch",
        key="cost_ranking",
        column_order=[column for column in frame.columns if column not in hidden],
        column_config={
            "CPU s to solve (median)": st.column_config.Column("CPU s to solve"),
            "steps to solve (median)": st.column_config.Column("steps to solve"),
            "CPU s (median)": st.column_config.Column("CPU s"),
            "labels to solve (median)": st.column_config.Column("labels to solve"),
        },
    )
