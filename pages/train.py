"""Train: configure a run in the sidebar, start it, and watch it learn."""

from __future__ import annotations

import streamlit as st

from agents.config.share import query_to_config
from agents.runs.manager import RUN_ID_PATTERN
from ui.common import plain, require_entrypoint, start_run, view_flag
from ui.config_form import config_sidebar, load_from_url_once, mirror_into_url
from ui.estimate import show_estimate
from ui.lessons_panel import current_lesson, lesson_intro, lesson_picker, lesson_reminder
from ui.run_view import show_run
from ui.train_extras import export_buttons, seeds_form, share_panel

require_entrypoint()
warnings = load_from_url_once()
hide_controls = view_flag("hide_controls", warnings)
run_id = st.query_params.get("run", "")
if run_id and not RUN_ID_PATTERN.match(run_id):
    st.warning("That link's run id is not valid; showing a new run's settings instead.")
    run_id = ""
for warning in warnings:
    st.warning(f"This link's {plain(warning)}")

if hide_controls:
    # An explainer's reader: no controls, just the author's configuration and one button.
    config = query_to_config(st.query_params.to_dict()).config
    if not run_id:
        st.markdown(f"### {config.env_info.title} · {config.algo_info.title} · seed {config.seed}")
        st.caption(config.env_info.description)
        if st.button("Start training", type="primary", icon=":material/play_arrow:"):
            run_id = start_run(config)
        show_estimate(config)
else:
    with st.sidebar:
        st.header("Configure")
        lesson_picker()
        config, _ = config_sidebar()
        start = st.button(
            "Start training", type="primary", disabled=config is None, width="stretch", icon=":material/play_arrow:"
        )
        if config is not None:
            show_estimate(config)
            seeds_form(config)
            with st.expander("Share and export", icon=":material/share:"):
                share_panel(config, run_id or None)
                export_buttons(config)
    if config is not None:
        mirror_into_url(config)
        if start:
            run_id = start_run(config)

lesson = current_lesson()
if run_id:
    if lesson:
        lesson_reminder(lesson)
    show_run(run_id)
elif lesson and not hide_controls:
    lesson_intro(lesson)
elif not hide_controls:
    st.title("Train an agent")
    st.markdown(
        "Pick an environment and an algorithm in the sidebar, then press **Start training**. The curve starts "
        "moving within seconds, and the agent's latest attempt plays beside it."
    )
