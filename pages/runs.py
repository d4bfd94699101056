"""Runs: every run on this server, live or finished; open, resume, delete, download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from agents.runs.run import Run
from ui.common import can_control, format_duration, manager, owns, plain, require_entrypoint
from ui.cost_view import COST_FORMATS, COST_HELP, cost_columns
from ui.glossary import TERMS
from ui.operator import operator_sign_in
from ui.reward_model_view import show_reward_model
from ui.run_files import delete_button, download_buttons, ownership_note, resume_button
from ui.tables import RETURN, STEPS, show_table

require_entrypoint()
st.title("Runs")
st.caption("Every run on this server, newest first. Runs are kept on disk and survive a server restart.")
operator_sign_in()


RUNS_FORMATS = {
    "steps": STEPS,
    "best return": RETURN,
    "last return (mean of 20)": RETURN,
    "solved at step": STEPS,
    **COST_FORMATS,
}


HIDDEN_COLUMNS = ("run", "CPU s to solve", "env steps", "params", "labels")


def _row(run: Run) -> dict[str, object]:
    snap = run.snapshot()
    returns = snap.episode_true_returns
    return {
        "name": run.name,
        "status": str(run.status),
        "steps": snap.timesteps,
        "best return": max(returns) if returns else None,
        "last return (mean of 20)": snap.mean_last(returns),
        "solved at step": snap.solved_at_step,
        "wall time": format_duration(snap.elapsed_s),
        **cost_columns(snap.cost),
        "run": run.id,
    }


runs = manager().runs()
if not runs:
    st.info("No runs yet. Start one on the Train page.")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/monitoring:")
    st.stop()

table = pd.DataFrame([_row(run) for run in runs])
lab_runs = any(r.config.feedback for r in runs)
hidden = [c for c in HIDDEN_COLUMNS if c != "labels" or not lab_runs]  # lab runs: their labels are shown...
if lab_runs:
    hidden.append("wall time")  # ...in the room of the wall time (CPU s stays: the cost to rank on)
selection = show_table(
    table,
    RUNS_FORMATS,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="runs_table",
    # Short headers and no id column (the panel below gives it): the table fits a 1280x720 screen beside the
    # sidebar instead of hiding columns behind a horizontal scroll. show_table formats the numbers.
    # Of the cost, CPU seconds only: the rest is on Compare and on the run's page.
    column_order=[column for column in table.columns if column not in hidden],
    column_config={
        "name": st.column_config.Column(
            # at most "medium": a lab run's name ("Pendulum · PPO · 50 labels by you · seed 0 · #1") would
            # otherwise widen the table past a 1280x720 screen
            width="medium",
            help="Environment, algorithm, seed, and which repeat of them.",
        ),
        "steps": st.column_config.Column(help=TERMS["steps"]),
        "best return": st.column_config.Column(help=TERMS["best episode"]),
        "last return (mean of 20)": st.column_config.Column("mean of last 20", help=TERMS["mean of last 20"]),
        "solved at step": st.column_config.Column("solved at", help=TERMS["solved"]),
        "CPU s": st.column_config.Column(help=COST_HELP),
    },
)
chosen_rows = selection.selection.rows if selection else []
if not chosen_rows:
    st.caption("Select a run in the table to open, resume, delete or download it.")
    st.stop()

run = manager().get(str(table.iloc[chosen_rows[0]]["run"]))
if run is None:
    st.warning("That run is gone (it was deleted or pruned).")
    st.stop()

st.subheader(plain(run.name))
st.caption(f"Run id {run.id}: its folder and its links use it. {plain(run.end_reason)}")
lab = run.config.feedback is not None  # a run that learns from labels opens in the feedback lab
cols = st.columns(3)
with cols[0]:
    st.page_link(
        "pages/feedback.py" if lab else "pages/train.py",
        label="Open in the feedback lab" if lab else "Open on the Train page",
        icon=":material/open_in_new:",
        query_params={"run": run.id},
    )
with cols[1]:
    resume_button(run)
    if run.status.active and can_control(run):
        st.button("Stop", key=f"runs-stop-{run.id}", icon=":material/stop:", on_click=run.stop)
with cols[2]:
    delete_button(run)
if not run.status.active and not owns(run):
    st.caption(ownership_note(run))
if lab:
    show_reward_model(run.id, run.snapshot().reward_reports)
download_buttons(run)
