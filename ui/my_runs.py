"""One run at a time unless asked: this browser's active runs, and what Start does while one trains.

Pressing Start while runs of yours still train or wait asks first: stop them and start the new one (the
new run then takes their slot instead of waiting behind them), or start it alongside. Your other active
runs stay in sight above the run in view, each with its progress, a link and a Stop button.
"""

from __future__ import annotations

import streamlit as st

from agents.config.run_config import RunConfig
from agents.runs.run import Run, RunStatus
from ui.common import can_control, manager

PENDING_KEY = "pending_start"
"""A configuration whose Start waits for the person's answer: stop the current run, or run alongside."""


def my_active_runs(exclude: str = "") -> list[Run]:
    """Runs this browser may control that are still training, paused or queued, newest first."""
    return [run for run in manager().runs() if run.status.active and run.id != exclude and can_control(run)]


def describe(run: Run) -> str:
    """``CartPole · PPO · seed 0: training, 12,000 / 120,000 steps`` or ``...: queued, 2nd in line``."""
    config = run.config
    name = f"{config.env_info.title} · {config.algo_info.title} · seed {config.seed}"
    if run.status == RunStatus.QUEUED:
        position = manager().queue_position(run)
        return f"{name}: queued" + (f", number {position} in line" if position else "")
    snap = run.snapshot()
    return f"{name}: {run.status}, {snap.timesteps:,} / {snap.total_timesteps:,} steps"


def ask_before_start(config: RunConfig) -> bool:
    """Start pressed: True to start now (no other run of yours is active); else keep ``config`` pending."""
    if not my_active_runs():
        return True
    st.session_state[PENDING_KEY] = config
    return False


def pending_choice() -> tuple[RunConfig | None, bool]:
    """Ask what to do with a pending Start; returns (the configuration to start now or None, whether to
    stop your other active runs first)."""
    config = st.session_state.get(PENDING_KEY)
    if config is None:
        return None, False
    active = my_active_runs()
    if not active:
        st.session_state.pop(PENDING_KEY, None)
        return config, False
    box = st.empty()  # emptied once answered: the page goes on without a rerun of its own
    with box.container(border=True):
        runs = "\n".join(f"- {describe(run)}" for run in active)
        count = "a run" if len(active) == 1 else f"{len(active)} runs"
        st.markdown(
            f"**You already have {count} training or waiting:**\n{runs}\n\n"
            "Stop it and start the new one, or train both at once (each then runs slower, or waits for a slot)?"
        )
        cols = st.columns(3)
        replace = cols[0].button("Stop it and start", type="primary", icon=":material/swap_horiz:", width="stretch")
        alongside = cols[1].button("Start alongside", icon=":material/add:", width="stretch")
        cancel = cols[2].button("Cancel", icon=":material/close:", width="stretch")
    if replace or alongside or cancel:
        st.session_state.pop(PENDING_KEY, None)
        box.empty()
    if replace:
        for run in active:
            run.stop()
        return config, True
    if alongside:
        return config, False
    return None, False


def other_runs_panel(run_id: str) -> None:
    """Above the run in view (``run_id``, "" for none): your other active runs, each with a link and a Stop button."""
    others = my_active_runs(exclude=run_id)
    if not others:
        return
    title = "Your other runs" if run_id else "Your runs"
    with st.expander(f"{title} still training or waiting ({len(others)})", icon=":material/pending:"):
        for run in others:
            cols = st.columns([5, 1, 1], vertical_alignment="center")
            cols[0].markdown(describe(run))
            link = {"run": run.id}
            cols[1].page_link("pages/train.py", label="Open", query_params=link, icon=":material/open_in_new:")
            cols[2].button("Stop", key=f"stop-other-{run.id}", icon=":material/stop:", on_click=run.stop)
