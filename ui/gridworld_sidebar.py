"""The GridWorld lab's session state, sidebar, lessons and share link.

The session's :class:`~ui.gridworld_lab.Lab` is the single source of truth. Before the sidebar is drawn its
widgets are set from the lab, and each widget's ``on_change`` callback writes the person's change back into
the lab (callbacks run before the script, so the page then draws the changed lab). That way a lesson, a
link or an edited cell can change the settings without fighting the widgets, and γ, α and ε apply to the
running agent at once, without a reset.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from agents.algos.tabular import AGENTS
from agents.algos.tabular.registry import DESCRIPTIONS
from agents.config.fields import SEED
from agents.config.schema import HyperParamError
from agents.lessons.gridworld import LESSONS
from envs.gridworld import LAYOUT_NOTES, LAYOUTS, resolve_layout
from envs.gridworld_layouts import MAX_STRING_LENGTH
from ui.common import plain
from ui.gridworld_lab import (
    STEP_REWARD,
    Lab,
    LabSettings,
    settings_for_setup,
    settings_from_query,
    settings_to_query,
)
from ui.inputs import accept, number_input, refusal, refuse, show_refusal

LAB_KEY = "gw_lab"
WARNINGS_KEY = "gw_warnings"
LESSON_KEY = "gw_lesson"
"""``(lesson id, set-up index)`` of the lesson last loaded, for its "watch for" box."""
SELECTED_KEY = "gw_selected"
RUNNING_KEY = "gw_running"
CUSTOM = "custom"
"""The layout picker's entry for a grid that is no longer one of the named layouts."""
SPEEDS = (1, 10, 100, 1000)
"""Steps (or sweeps) per tick when running."""


def get_lab() -> Lab:
    """This browser session's lab; on the session's first run it is built from the link's settings."""
    state = st.session_state
    if LAB_KEY not in state:
        settings, warnings = settings_from_query(st.query_params.to_dict())
        state[LAB_KEY] = Lab(settings)
        state[WARNINGS_KEY] = [f"This link's {warning}" for warning in warnings]
    return state[LAB_KEY]


def warn(message: str) -> None:
    """Queue a warning for the next run of the page (callbacks cannot draw)."""
    st.session_state.setdefault(WARNINGS_KEY, []).append(message)


def show_warnings() -> None:
    """Show queued warnings once; they may quote a link or typed text, so they are Markdown-escaped."""
    for message in st.session_state.pop(WARNINGS_KEY, []):
        st.warning(plain(message), icon=":material/warning:")


def mirror_url(lab: Lab) -> None:
    """Keep the address bar a share link of the lab as it is now."""
    for key, value in settings_to_query(lab.settings).items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


# --- callbacks: a widget's change goes into the lab --------------------------------------------------------


def _rebuild(settings: LabSettings) -> None:
    accept("gw_seed", "gw_step_reward")  # the widgets show the new settings
    lab = get_lab()
    lab.rebuild(settings)
    selected = st.session_state.get(SELECTED_KEY)
    if selected is not None and not (selected[0] < settings.layout.width and selected[1] < settings.layout.height):
        st.session_state[SELECTED_KEY] = None


def _on_layout_pick() -> None:
    name = st.session_state.gw_layout_name
    if name in LAYOUTS:
        _rebuild(replace(get_lab().settings, layout=LAYOUTS[name]))
        st.session_state[LESSON_KEY] = None


def _on_floor_change() -> None:
    lab = get_lab()
    try:
        step_reward = float(STEP_REWARD.parse(st.session_state.gw_step_reward))
    except HyperParamError as error:
        refuse("gw_step_reward", str(error))
        return
    accept("gw_step_reward")
    try:
        layout = replace(lab.layout, slip=float(st.session_state.gw_slip), step_reward=step_reward)
    except ValueError as error:
        warn(f"That floor setting was not applied: {error}")
        return
    lab.edit_layout(layout)


def _on_algo_or_seed() -> None:
    state = st.session_state
    try:
        seed = int(SEED.parse(state.gw_seed))
    except HyperParamError as error:
        refuse("gw_seed", str(error))
        return
    _rebuild(replace(get_lab().settings, algo=state.gw_algo, seed=seed))


def _on_tune() -> None:
    state = st.session_state
    get_lab().tune(gamma=state.gw_gamma, learning_rate=state.gw_learning_rate, epsilon=state.gw_epsilon)


def _on_layout_text() -> None:
    text = str(st.session_state.gw_layout_text)
    try:
        layout = resolve_layout(text)
    except ValueError as error:
        warn(f"That layout text could not be read: {error}")
        return
    _rebuild(replace(get_lab().settings, layout=layout))


def _load_setup(lesson_id: str, index: int) -> None:
    lesson = LESSONS[lesson_id]
    _rebuild(settings_for_setup(lesson.setups[index], seed=lesson.seeds[0]))
    st.session_state[LESSON_KEY] = (lesson_id, index)
    st.session_state[RUNNING_KEY] = False


def _sync_widgets(lab: Lab) -> None:
    """Set every sidebar widget from the lab (before the widgets are drawn in this run); a refused value
    stays in its field, with its reason under it, until it is corrected."""
    settings, state = lab.settings, st.session_state
    values = {
        "gw_layout_name": settings.layout_name or CUSTOM,
        "gw_slip": settings.layout.slip,
        "gw_step_reward": settings.layout.step_reward,
        "gw_algo": settings.algo,
        "gw_gamma": settings.gamma,
        "gw_learning_rate": settings.learning_rate,
        "gw_epsilon": settings.epsilon,
        "gw_seed": settings.seed,
        "gw_layout_text": settings.layout.to_string(),
    }
    for key, value in values.items():
        if refusal(key) is None:
            state[key] = value


# --- drawing ----------------------------------------------------------------------------------------------


def lab_sidebar(lab: Lab) -> None:
    """Layout, algorithm, γ α ε, seed, speed and lessons."""
    _sync_widgets(lab)
    planner = lab.is_planner
    with st.sidebar:
        st.header("GridWorld lab")
        st.selectbox(
            "Grid",
            [*LAYOUTS, CUSTOM],
            key="gw_layout_name",
            format_func=lambda name: "edited grid" if name == CUSTOM else name.replace("_", " "),
            on_change=_on_layout_pick,
        )
        st.caption(LAYOUT_NOTES.get(lab.settings.layout_name or "", "An edited grid: click a cell to change it."))
        cols = st.columns(2)
        cols[0].slider(
            "Slip",
            0.0,
            1.0,
            step=0.05,
            key="gw_slip",
            on_change=_on_floor_change,
            help="Probability that a move goes sideways instead (half to each side).",
        )
        step_reward = number_input(
            STEP_REWARD,
            "gw_step_reward",
            label="Reward per step",
            where=cols[1],
            step=0.01,
            on_change=_on_floor_change,
        )
        st.selectbox(
            "Algorithm",
            list(AGENTS),
            key="gw_algo",
            format_func=lambda algo: AGENTS[algo].title,
            on_change=_on_algo_or_seed,
        )
        st.caption(DESCRIPTIONS[AGENTS[lab.settings.algo]])
        st.slider("γ  discount", 0.0, 1.0, step=0.01, key="gw_gamma", on_change=_on_tune, help=_help("gamma"))
        planner_note = " Planners use the model, not experience: no α or ε." if planner else ""
        st.slider(
            "α  learning rate",
            0.001,
            1.0,
            step=0.001,
            format="%.3f",
            key="gw_learning_rate",
            on_change=_on_tune,
            disabled=planner,
            help=_help("learning_rate") + planner_note,
        )
        st.slider(
            "ε  exploration",
            0.0,
            1.0,
            step=0.01,
            key="gw_epsilon",
            on_change=_on_tune,
            disabled=planner,
            help="Probability of a random action, constant over time." + planner_note,
        )
        show_refusal("gw_step_reward", step_reward)
        cols = st.columns(2)
        seed = number_input(SEED, "gw_seed", label="Seed", where=cols[0], on_change=_on_algo_or_seed, help="")
        show_refusal("gw_seed", seed)
        cols[1].select_slider(
            "Speed",
            SPEEDS,
            value=SPEEDS[1],
            key="gw_speed",
            persist_state="session",
            format_func=lambda n: f"{n}/tick",
            help="Steps (sweeps for planners) per tick of Run, about three ticks a second.",
        )
        _lesson_picker()
        with st.expander("Layout as text", icon=":material/text_fields:"):
            st.text_input(
                "Layout string",
                key="gw_layout_text",
                on_change=_on_layout_text,
                max_chars=MAX_STRING_LENGTH,
                help="The grid as the share link carries it: rows split by _, . empty, W wall, S start, "
                "A-Z exits, a-z reward cells, values after ~. Paste one and press Enter.",
            )
            st.caption("The address bar always holds the grid and these settings: copy it to share this lab.")


def _help(name: str) -> str:
    return next(p.help for p in AGENTS["q_learning"].schema if p.name == name)


def _lesson_picker() -> None:
    st.subheader("Lessons")
    lesson_id = st.selectbox(
        "Lesson",
        [None, *LESSONS],
        key="gw_lesson_pick",
        format_func=lambda i: "choose a lesson…" if i is None else LESSONS[i].title,
        label_visibility="collapsed",
    )
    if lesson_id is None:
        return
    lesson = LESSONS[lesson_id]
    st.caption(lesson.question)
    for index, setup in enumerate(lesson.setups):
        st.button(
            f"Load: {setup.label}",
            key=f"gw_setup_{index}",
            on_click=_load_setup,
            args=(lesson_id, index),
            width="stretch",
            icon=":material/school:",
        )


def lesson_box(lab: Lab) -> None:
    """The loaded lesson: its question, what to watch for, and what this set-up should show."""
    loaded = st.session_state.get(LESSON_KEY)
    if not loaded:
        return
    lesson_id, index = loaded
    lesson = LESSONS[lesson_id]
    setup = lesson.setups[index]
    others = " or ".join(f"**{s.label}**" for i, s in enumerate(lesson.setups) if i != index)
    label = f"**Lesson: {lesson.title}** · {setup.label} — should show: {setup.expect}"
    with st.expander(label, expanded=True, icon=":material/school:"):
        st.markdown(f"{lesson.question}  \n**Watch for:** {lesson.watch_for}")
        how = "press **Run** until it converges" if lab.is_planner else f"learn about {setup.timesteps:,} steps"
        st.markdown(f"To see it, {how}; then load {others} to compare. Collapse this box to see the whole grid.")
        with st.container(horizontal=True):
            if setup.timesteps and not lab.is_planner:
                if st.button(f"Learn {setup.timesteps:,} steps now", icon=":material/fast_forward:"):
                    lab.step(setup.timesteps)
            elif lab.is_planner and st.button("Plan to convergence", icon=":material/fast_forward:"):
                lab.step(10_000)
            if st.button("Close lesson", icon=":material/close:"):
                st.session_state[LESSON_KEY] = None
                st.rerun()
