"""Compare: overlay runs; seeds of one configuration become a mean with a bootstrap band and an IQM."""

from __future__ import annotations

import streamlit as st

from ui.address import AddressLog
from ui.common import manager, plain, require_entrypoint
from ui.compare_view import (
    LEARNED_UNITS,
    compare_figure,
    curves_for,
    default_selection,
    group_notes,
    lessons_of,
    progress_notes,
    run_labels,
    runs_from_link,
    show_summary,
)
from ui.cost_view import show_ranking
from ui.present import plotly_chart

require_entrypoint()
st.title("Compare runs")
st.caption(
    "Runs with the same configuration and different seeds are grouped: the bold line is the mean of the distinct "
    "seeds, the band its 95% bootstrap confidence interval, and from 4 seeds on the dotted line is the interquartile "
    "mean (IQM, as rliable recommends)."
)

runs = manager().runs()
if not runs:
    st.info('No runs yet. Start some on the Train page ("Run N seeds" queues one configuration with several seeds).')
    st.stop()

by_id = {run.id: run for run in runs}
addresses = AddressLog("compare")
link = {"runs": st.query_params["runs"]} if st.query_params.get("runs") else {}
if "compare_runs" not in st.session_state or addresses.is_link(link):  # a first visit, or a link to these runs
    linked = [run_id for run_id in runs_from_link(link.get("runs", "")) if run_id in by_id]
    st.session_state.compare_runs = linked or st.session_state.get("compare_runs") or default_selection(runs)

# persist_state: the selection and view survive a visit to another page (Streamlit drops them otherwise)
labels = run_labels(runs)
chosen = st.multiselect(
    "Runs", list(by_id), key="compare_runs", format_func=lambda i: labels[i], persist_state="session"
)
cols = st.columns([1, 1, 1], vertical_alignment="bottom")  # wide enough that no label is cut at 1280x720
shaped = cols[0].toggle(
    "Shaped return",
    key="compare_shaped",
    help="Show the reward the agents were trained on (shaped, or learned from labels) instead of the env's own.",
    persist_state="session",
)
x_axis = cols[1].radio(
    "Against",
    ["steps", "wall_s"],
    key="compare_x",
    horizontal=True,
    format_func=lambda x: "steps" if x == "steps" else "wall-clock",
    persist_state="session",
)
st.query_params["runs"] = ",".join(chosen)
addresses.wrote({"runs": st.query_params["runs"]})

if not chosen:
    st.info("Pick runs to compare.")
    st.stop()

for lesson in lessons_of([by_id[run_id] for run_id in chosen if run_id in by_id]):
    st.info(f"**{plain(lesson.title)}.** What to watch for: {plain(lesson.watch_for)}", icon=":material/visibility:")


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {plain(line)}" for line in lines)


def _chart_and_table() -> None:
    selected = [by_id[run_id] for run_id in chosen if run_id in by_id]
    waiting = progress_notes(selected)
    if waiting:
        st.info(_bullets(waiting))
    curves = curves_for(selected)
    plotly_chart(compare_figure(curves, x_axis=x_axis, shaped=shaped), key="compare_chart")
    if shaped and any(run.config.feedback is not None for run in selected):
        st.caption(LEARNED_UNITS)
    notes = group_notes(curves)
    if notes:
        st.warning(_bullets(notes))
    show_summary(curves)
    show_ranking(curves)


live = any(by_id[run_id].status.active for run_id in chosen)
st.fragment(run_every=2.0 if live else None)(_chart_and_table)()  # redraw only while some run still trains
