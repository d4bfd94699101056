"""Lessons on the Train page and in the Feedback lab: load a whole configuration, read what to watch for, run it.

A lesson's variants share env, seed and budget and differ in what the lesson is about (shaping on the Train
page; feedback settings or the algorithm in the lab), so running them side by side on the Compare page shows
the point the lesson makes. Lessons whose runs learn from preferences live in the lab (:attr:`Lesson.lab`).
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
TRAIN_LESSONS = {lesson_id: lesson for lesson_id, lesson in LESSONS.items() if not lesson.lab}
LAB_LESSONS = {lesson_id: lesson for lesson_id, lesson in LESSONS.items() if lesson.lab}


def _on_pick() -> None:
    lesson_id = st.session_state.get("lesson_pick", "")
    if lesson_id in TRAIN_LESSONS:
        load_config_into_widgets(TRAIN_LESSONS[lesson_id].runs[0].config())
        st.session_state[LESSON_KEY] = lesson_id
    else:
        st.session_state.pop(LESSON_KEY, None)


def lesson_picker() -> None:
    """A sidebar control that loads a lesson's first variant into the widgets."""
    linked = st.query_params.get(LESSON_KEY)
    if LESSON_KEY not in st.session_state and linked in TRAIN_LESSONS:
        st.session_state[LESSON_KEY] = st.session_state.lesson_pick = linked
        if "env" not in st.query_params:  # a bare lesson link: start from the lesson's own configuration
            load_config_into_widgets(TRAIN_LESSONS[linked].runs[0].config())
    st.selectbox(
        "Lesson",
        ["", *TRAIN_LESSONS],
        key="lesson_pick",
        on_change=_on_pick,
        persist_state="session",
        format_func=lambda i: "Free play (no lesson)" if not i else TRAIN_LESSONS[i].title,
        help="Load a whole configuration that makes one point about rewards, with what to watch for.",
    )


def current_lesson() -> Lesson | None:
    lesson_id = st.session_state.get(LESSON_KEY)
    return TRAIN_LESSONS.get(lesson_id) if lesson_id else None


def lesson_intro(lesson: Lesson, page: str = "pages/train.py") -> None:
    """The lesson's text and one button per variant (its run opens on ``page``), plus one that runs them all
    side by side on Compare."""
    st.title(lesson.title)
    st.markdown(plain(lesson.summary))
    st.info(f"**What to watch for.** {plain(lesson.watch_for)}", icon=":material/visibility:")
    show_estimate(lesson.runs[0].config())
    cols = st.columns(len(lesson.runs) + 1)
    for col, variant in zip(cols, lesson.runs, strict=False):
        if col.button(f"Run: {variant.label}", key=f"lesson-run-{variant.label}", width="stretch"):
            ids = start_runs([variant.config()])
            if ids:
                st.switch_page(page, query_params={"run": ids[0], LESSON_KEY: lesson.id})
    if len(lesson.runs) > 1 and cols[-1].button(
        "Run all side by side", type="primary", width="stretch", icon=":material/stacked_line_chart:"
    ):
        ids = start_runs([v.config() for v in lesson.runs])
        if ids:
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


def lab_lesson() -> Lesson | None:
    """The Feedback lab's lesson named in the address (``?lesson=ID``), if it is one of the lab's."""
    return LAB_LESSONS.get(st.query_params.get(LESSON_KEY, ""))


def lab_lesson_links() -> None:
    """One link per lab lesson: a click opens it (its text and its Run buttons) on the lab page."""
    st.markdown("**Lessons.** Each runs its variants side by side with the same seed and shows what differs:")
    for lesson_id, lesson in LAB_LESSONS.items():
        st.page_link(
            "pages/feedback.py", label=lesson.title, icon=":material/school:", query_params={LESSON_KEY: lesson_id}
        )
