"""Reward-shaping lessons on the Train page: load a whole configuration, read what to watch for, run it.

A lesson's variants share env, algorithm, seed and budget and differ only in their shaping, so running
them side by side on the Compare page shows the point the lesson makes.
"""

from __future__ import annotations

import streamlit as st

from agents.lessons.hints import flat_by_design, lesson_for_flat_curve
from agents.lessons.rewards import LESSONS, Lesson
from agents.runs.live import RunSnapshot
from ui.common import plain, start_runs
from ui.config_form import load_config_into_widgets
from ui.estimate import show_estimate

LESSON_KEY = "lesson"
"""Query and session key of the lesson in view (a view key: it says what to show, not what to train)."""


def _on_pick() -> None:
    lesson_id = st.session_state.get("lesson_pick", "")
    if lesson_id in LESSONS:
        load_config_into_widgets(LESSONS[lesson_id].runs[0].config())
        st.session_state[LESSON_KEY] = lesson_id
    else:
        st.session_state.pop(LESSON_KEY, None)


def lesson_picker() -> None:
    """A sidebar control that loads a lesson's first variant into the widgets."""
    linked = st.query_params.get(LESSON_KEY)
    if LESSON_KEY not in st.session_state and linked in LESSONS:
        st.session_state[LESSON_KEY] = st.session_state.lesson_pick = linked
        if "env" not in st.query_params:  # a bare lesson link: start from the lesson's own configuration
            load_config_into_widgets(LESSONS[linked].runs[0].config())
    st.selectbox(
        "Lesson",
        ["", *LESSONS],
        key="lesson_pick",
        on_change=_on_pick,
        persist_state="session",
        format_func=lambda i: "Free play (no lesson)" if not i else LESSONS[i].title,
        help="Load a whole configuration that makes one point about rewards, with what to watch for.",
    )


def current_lesson() -> Lesson | None:
    lesson_id = st.session_state.get(LESSON_KEY)
    return LESSONS.get(lesson_id) if lesson_id else None


def lesson_intro(lesson: Lesson) -> None:
    """The lesson's text and one button per variant, plus one that runs them all side by side."""
    st.title(lesson.title)
    st.markdown(plain(lesson.summary))
    st.info(f"**What to watch for.** {plain(lesson.watch_for)}", icon=":material/visibility:")
    show_estimate(lesson.runs[0].config())
    cols = st.columns(len(lesson.runs) + 1)
    for col, variant in zip(cols, lesson.runs, strict=False):
        if col.button(f"Run: {variant.label}", key=f"lesson-run-{variant.label}", width="stretch"):
            ids = start_runs([variant.config()])
            if ids:
                st.switch_page("pages/train.py", query_params={"run": ids[0], LESSON_KEY: lesson.id})
    if len(lesson.runs) > 1 and cols[-1].button(
        "Run all side by side", type="primary", width="stretch", icon=":material/stacked_line_chart:"
    ):
        ids = start_runs([v.config() for v in lesson.runs])
        if ids:
            st.session_state.pop("compare_runs", None)
            st.switch_page("pages/compare.py", query_params={"runs": ",".join(ids)})


def lesson_reminder(lesson: Lesson) -> None:
    """Above a running lesson: what to look at."""
    st.info(f"**{plain(lesson.title)}.** {plain(lesson.watch_for)}", icon=":material/visibility:")


def flat_curve_hint(env_id: str, snap: RunSnapshot) -> None:
    """Under a return curve that is flat by design (no episode has reached the goal yet): why, and the lesson."""
    lesson = lesson_for_flat_curve(env_id)
    if lesson is None or lesson == current_lesson() or not flat_by_design(snap, env_id):
        return
    st.info(
        f"**Flat by design.** {plain(lesson.flat_curve_hint)} The lesson shows what helps:",
        icon=":material/lightbulb:",
    )
    st.page_link("pages/train.py", label=lesson.title, icon=":material/school:", query_params={LESSON_KEY: lesson.id})
