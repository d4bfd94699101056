"""Sweeps: grid or random search over hyperparameters, times seeds; every trial an ordinary run."""

from __future__ import annotations

import streamlit as st

from agents.runs.workers import server_on_ray
from agents.sweeps.definition import SweepError
from agents.sweeps.runner import SWEEPS, new_sweep
from ui.common import manager, owner_token, plain, require_entrypoint
from ui.sweep_form import load_link, sweep_form
from ui.sweep_records import find_sweep, keep_record, past_sweeps
from ui.sweep_view import show_sweep

require_entrypoint()
load_link()
with st.sidebar:
    st.header("Sweep")
    start_slot = st.container()
    form = sweep_form()
    with start_slot:
        start = st.button(
            "Start the sweep", type="primary", icon=":material/play_arrow:", disabled=form.definition is None
        )
        if form.problem:
            st.caption(f":red[Start is off: {plain(form.problem)}]")

if start and form.definition is not None:
    token, runs = owner_token(), manager()
    started = new_sweep(
        form.definition,
        form.trials,
        lambda config: runs.start(config, owner=token),
        parallel=min(runs.max_concurrent, runs.max_per_owner),
        owner=token,
        on_ray=server_on_ray(),
        early_stop=form.early_stop,
    )
    try:
        SWEEPS.add(started, owner=token)
    except SweepError as error:
        st.error(f"Not started: {plain(str(error))}.")
    else:
        started.start_feeding(on_poll=keep_record(started))
        st.query_params["sweep"] = started.id

sweep = find_sweep(st.query_params.get("sweep"))
if sweep is not None:
    show_sweep(sweep)
else:
    st.title("Sweep hyperparameters")
    st.markdown(
        "Choose hyperparameters in the sidebar and the values to try (each starts around its default), "
        "grid or random search, and how many seeds each configuration trains with; then **Start the sweep**. "
        "Every trial is an ordinary run on Runs and Compare; the table and the parallel-coordinates chart fill in "
        "as they train, and the best configuration opens on the Train page or downloads as an RL Zoo entry."
    )
    past_sweeps()
