"""Train: configure a run in the sidebar, start it, and watch it learn."""

from __future__ import annotations

import streamlit as st

from agents.config.share import query_to_config
from ui.common import accept_control_link, plain, require_entrypoint, start_run, view_flag
from ui.config_form import config_sidebar
from ui.config_summary import config_summary
from ui.config_url import TRAIN, mirror_into_url, open_where_it_belongs, show_run_in_url, sync_from_url
from ui.estimate import show_estimate
from ui.lessons_panel import current_lesson, lesson_intro, lesson_picker, lesson_reminder
from ui.my_runs import ask_before_start, other_runs_panel, pending_choice
from ui.run_view import show_run
from ui.schedule_panel import with_run_schedule
from ui.train_extras import export_buttons, seeds_form, share_panel

require_entrypoint()
open_where_it_belongs(TRAIN)  # a lab run, or a lab link, opens in the feedback lab
warnings, run_id = sync_from_url()
hide_controls = view_flag("hide_controls", warnings)
if accept_control_link(run_id):
    st.success("You opened this run's control link: you can pause, resume and stop it.")

for warning in warnings:
    st.warning(f"This link's {plain(warning)}")

start = False
if hide_controls:
    # An explainer's reader: no controls, just the author's configuration, read-only, and one button.
    config = query_to_config(st.query_params.to_dict()).config
    if not run_id:
        st.markdown(f"### {config.env_info.title} · {config.algo_info.title} · seed {config.seed}")
        st.caption(config.env_info.description)
        config_summary(config)
        start = st.button("Start training", type="primary", icon=":material/play_arrow:")
        show_estimate(config)
else:
    with st.sidebar:
        st.header("Configure")
        start_slot = st.container()  # drawn first, filled once the configuration is checked: Start stays in view
        lesson_picker()
        config, problem = config_sidebar()
        config = with_run_schedule(config, run_id)  # the run in view's changes made while training
        with start_slot:
            start = st.button(
                "Start training",
                type="primary",
                disabled=config is None,
                width="stretch",
                icon=":material/play_arrow:",
            )
            if problem:
                st.caption(f":red[Start is off: {plain(problem)}.]")
            elif config is not None:
                show_estimate(config)
        if config is not None:
            seeds_form(config)
            with st.expander("Share and export", icon=":material/share:"):
                share_panel(config, run_id or None)
                export_buttons(config)

to_start = config if start and config is not None and ask_before_start(config) else None
chosen, _ = pending_choice()
to_start = to_start or chosen
if to_start is not None:
    started = start_run(to_start)
    if started:
        run_id = started
        show_run_in_url(run_id)
if not hide_controls:
    mirror_into_url(config, run_id)

lesson = current_lesson()
if run_id:
    if lesson:
        lesson_reminder(lesson)
    other_runs_panel(run_id)
    show_run(run_id)
elif lesson and not hide_controls:
    lesson_intro(lesson)
elif not hide_controls:
    other_runs_panel("")
    st.title("Train an agent")
    st.markdown(
        "Pick an environment and an algorithm in the sidebar, then press **Start training**. The curve starts "
        "moving within seconds, and the agent's latest attempt plays beside it."
    )
