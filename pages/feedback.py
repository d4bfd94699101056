"""Feedback lab: an agent learns what "better" means from labelled pairs of its own clips, not the env's reward."""

from __future__ import annotations

import streamlit as st

from ui.common import accept_control_link, plain, require_entrypoint, start_run
from ui.config_url import mirror_into_url, open_where_it_belongs, show_run_in_url, sync_from_url
from ui.feedback_lab import EXPLAINER, LAB, feedback_form
from ui.labelling_panel import labelling_panel, run_refresh_s
from ui.lessons_panel import lab_lesson, lab_lesson_links, lesson_intro, lesson_reminder
from ui.run_view import show_run
from ui.train_extras import share_panel

require_entrypoint()
open_where_it_belongs(LAB)  # an ordinary run's link opens on the Train page
warnings, run_id = sync_from_url(LAB)
if accept_control_link(run_id):
    st.success("You opened this run's control link: you can pause, resume and stop it.")
for warning in warnings:
    st.warning(f"This link's {plain(warning)}")
st.title("Feedback lab")
st.caption(
    "Teach an agent by preferences: it is paid by a reward learned from labels, and you watch whether that "
    "reward is the task."
)
with st.expander("What is going on, and what DeepSeek-R1 has to do with it", expanded=False):
    st.markdown(EXPLAINER)

with st.sidebar:
    st.header("Set up")
    start_slot = st.container()
    config, problem = feedback_form()
    with start_slot:
        start = st.button("Start learning from labels", type="primary", disabled=config is None, width="stretch")
    if config is not None:
        with st.expander("Share", icon=":material/share:"):
            share_panel(config, run_id or None, page="feedback")

if start and config is not None:
    started = start_run(config)
    if started:
        run_id = started
        show_run_in_url(run_id, LAB)
mirror_into_url(config, run_id, LAB)
lesson = lab_lesson()
if run_id:
    if lesson:
        lesson_reminder(lesson)
    labelling_panel(run_id)
    show_run(run_id, refresh_s=run_refresh_s(run_id))
elif lesson:
    lesson_intro(lesson, page="pages/feedback.py")
else:
    st.info(
        "Press **Start learning from labels**: you will see two short clips of the agent side by side and click the "
        "one closer to what you want. Or let an oracle or a rule label instead (sidebar, *Who labels*)."
    )
    lab_lesson_links()
