"""The GridWorld lab's live panel: controls, metrics, the clickable grid, the cell editor and the return chart.

:func:`lab_panel` runs as a fragment: a click on Step, a cell or the editor reruns only this panel, and
while running the fragment reruns itself every :data:`TICK_S` seconds, doing a batch of steps per tick.
It only has a timer while running, so a paused lab costs nothing.
"""

from __future__ import annotations

import streamlit as st

from agents.config.schema import HyperParamError
from envs.gridworld import ACTION_ARROWS, ACTION_NAMES, Cell, follow_policy
from envs.gridworld_layouts import CYCLE
from ui.gridworld_lab import CELL_REWARD, Lab
from ui.gridworld_sidebar import RUNNING_KEY, SELECTED_KEY, SPEEDS, get_lab, warn
from ui.gridworld_view import (
    NARROW_PLOT_WIDTH,
    WIDE_PLOT_WIDTH,
    GridPicture,
    grid_figure,
    is_wide,
    q_values_fit,
    returns_figure,
)
from ui.inputs import accept, number_input, refusal, refuse, show_refusal
from ui.present import plotly_chart

TICK_S = 0.35
"""Seconds between two batches while running."""
FULL_RERUN_KEY = "gw_full_rerun"
KIND_LABELS = {"empty": "Empty", "wall": "Wall", "reward": "Reward", "terminal": "Exit", "start": "Start"}


def run_lab_panel() -> None:
    """Draw the panel as a fragment that ticks only while the lab runs."""
    running = bool(st.session_state.get(RUNNING_KEY, False))
    st.fragment(run_every=TICK_S if running else None)(lab_panel)()


def lab_panel() -> None:
    if st.session_state.pop(FULL_RERUN_KEY, False):
        st.rerun(scope="app")  # an edited grid: the sidebar and the address bar must show it too
    lab = get_lab()
    running = bool(st.session_state.get(RUNNING_KEY, False))
    unit = "sweep" if lab.is_planner else "move"
    cols = st.columns([1, 1, 1, 1, 1.1, 1.1], vertical_alignment="center")
    step = cols[0].button(
        "Step", type="primary", icon=":material/skip_next:", width="stretch", help=f"One {unit} of the agent."
    )
    episode = cols[1].button(
        "Episode",
        icon=":material/replay:",
        width="stretch",
        help="Follow the plan for one episode." if lab.is_planner else "Play (and learn from) one whole episode.",
    )
    toggle = cols[2].button(
        "Pause" if running else "Run",
        icon=":material/pause:" if running else ":material/play_arrow:",
        width="stretch",
        help="Keep stepping at the speed chosen in the sidebar.",
    )
    reset = cols[3].button("Reset", icon=":material/restart_alt:", width="stretch", help="Forget everything learnt.")
    show_q = cols[4].toggle(
        "Q-values", key="gw_show_q", help="Show the value of each action at the cell's edges.", persist_state="session"
    )
    show_route = cols[5].toggle(
        "Route", value=True, key="gw_show_route", help="Where the greedy policy leads.", persist_state="session"
    )

    if toggle:
        st.session_state[RUNNING_KEY] = not running
        st.rerun(scope="app")  # the fragment's timer is set when the page runs
    if reset:
        lab.reset()
        if running:
            st.session_state[RUNNING_KEY] = False
            st.rerun(scope="app")
    if step:
        lab.step(1)
    if episode:
        lab.episode()
    if running:
        lab.step(int(st.session_state.get("gw_speed", SPEEDS[1])))
        if lab.converged:
            st.session_state[RUNNING_KEY] = False
            st.rerun(scope="app")

    if is_wide(lab.layout):  # the cliff: the grid across the page, the editor and the chart below it
        _metrics(lab, per_row=4)
        _grid(lab, show_q=show_q, show_route=show_route, plot_width=WIDE_PLOT_WIDTH)
        left, right = st.columns(2, gap="medium")
        with left:
            _editor(lab)
        with right:
            _returns(lab)
    else:  # the metrics beside the grid, so that its bottom row stays on a 720 px screen
        left, right = st.columns([3, 2], gap="medium")
        with left:
            _grid(lab, show_q=show_q, show_route=show_route, plot_width=NARROW_PLOT_WIDTH)
        with right:
            _metrics(lab, per_row=2)
            _editor(lab)
            _returns(lab)


def _returns(lab: Lab) -> None:
    if lab.agent.episode_returns:
        plotly_chart(returns_figure(lab.agent.episode_returns), key="gw_returns", config={"displaylogo": False})
    else:
        st.caption("The return of every finished episode is plotted here.")


def _metrics(lab: Lab, *, per_row: int) -> None:
    agent = lab.agent
    returns = agent.episode_returns
    last = f"{returns[-1]:.3g}" if returns else "–"
    cols = [col for _ in range(4 // per_row) for col in st.columns(per_row)]
    if lab.is_planner:
        sweep = lab.last_sweep
        converged = {"delta": "converged", "delta_color": "off", "delta_arrow": "off"} if lab.converged else {}
        cols[0].metric("Sweeps", f"{lab.sweeps:,}", help="A sweep backs up every state once.", **converged)
        cols[1].metric("Largest change", f"{sweep.delta:.3g}" if sweep else "–", help="Of any value in the last sweep.")
        cols[2].metric("Episodes played", f"{len(returns):,}")
        cols[3].metric("Last return", last)
    else:
        cols[0].metric("Episodes", f"{len(returns):,}")
        cols[1].metric("Last return", last)
        cols[2].metric("ε", f"{lab.epsilon:.2f}", help="Probability of a random action.")
        cols[3].metric("Steps", f"{agent.num_timesteps:,}")


def _grid(lab: Lab, *, show_q: bool, show_route: bool, plot_width: float) -> None:
    layout, agent = lab.layout, lab.agent
    policy = agent.greedy_policy()
    trail = [layout.cell_of(s) for s in agent.trail]
    if agent.state is not None:
        position: Cell | None = layout.cell_of(agent.state)
    else:  # a learner waits at the start; a planner only moves when it plays an episode
        position = None if lab.is_planner else layout.start
    picture = GridPicture(
        layout=layout,
        values=agent.state_values(),
        policy=policy,
        q_table=agent.q_table,
        agent=position,
        trail=trail,
        route=follow_policy(layout, policy).cells if show_route else (),
        selected=_selected(lab),
        show_q=show_q,
        plot_width=plot_width,
    )
    plotly_chart(
        grid_figure(picture),
        key="gw_grid",
        on_select=_on_grid_select,
        selection_mode="points",
        config={"displayModeBar": False},
    )
    if show_q and not q_values_fit(picture):
        st.caption("The cells are too small for their Q-values: click a cell to see them in the editor.")
    if st.session_state.get(RUNNING_KEY):
        st.caption("Pause to edit cells: a click can be missed while the grid redraws.")
    st.caption(
        "Colour and numbers: the value of each cell. Arrows: the greedy action. Blue ring: the agent, with its "
        "episode's trail; dashed orange: the greedy route. Click a cell to edit it."
    )


def _selected(lab: Lab) -> Cell | None:
    cell = st.session_state.get(SELECTED_KEY)
    if cell is None or not (0 <= cell[0] < lab.layout.width and 0 <= cell[1] < lab.layout.height):
        return None
    return (int(cell[0]), int(cell[1]))


def _on_grid_select() -> None:
    """A click on the grid: remember the cell (the chart's own selection is gone once the figure changes)."""
    event = st.session_state.get("gw_grid") or {}
    points = (event.get("selection") or {}).get("points") or []
    for point in points:
        data = point.get("customdata")
        if isinstance(data, list | tuple) and len(data) == 2 and all(isinstance(v, int | float) for v in data):
            st.session_state[SELECTED_KEY] = (int(data[0]), int(data[1]))
            accept("gw_reward")  # another cell: its own reward, not the one refused for the last
            return


# --- the cell editor --------------------------------------------------------------------------------------


def _edit(change: str) -> None:
    """Apply an edit of the selected cell from the editor's widgets (a callback)."""
    lab, state = get_lab(), st.session_state
    cell = _selected(lab)
    if cell is None:
        return
    try:
        if change == "cycle":
            layout = lab.layout.cycle_cell(cell)
        elif change == "kind":
            layout = lab.layout.with_cell(cell, state.gw_kind)
        else:
            try:
                reward = float(CELL_REWARD.parse(state.gw_reward))
            except HyperParamError as error:
                refuse("gw_reward", str(error))
                return
            accept("gw_reward")
            layout = lab.layout.with_cell(cell, lab.layout.kind(cell), reward)
    except ValueError as error:
        warn(f"Cell {cell} was not changed: {error}")
        return
    if layout != lab.layout:
        lab.edit_layout(layout)
        state[FULL_RERUN_KEY] = True


def _close_editor() -> None:
    st.session_state[SELECTED_KEY] = None


def _editor(lab: Lab) -> None:
    cell = _selected(lab)
    if cell is None:
        st.info("Click a cell of the grid to edit it" + (" and see its Bellman backup." if lab.is_planner else "."))
        return
    layout = lab.layout
    kind = layout.kind(cell)
    reward = layout.reward_at(cell)
    state = st.session_state
    state.gw_kind = kind
    if reward is not None and refusal("gw_reward") is None:
        state.gw_reward = reward
    with st.container(border=True):
        st.markdown(f"#### Cell ({cell[0]}, {cell[1]}): {KIND_LABELS[kind].lower()}")
        st.segmented_control(
            "Kind",
            CYCLE,
            key="gw_kind",
            required=True,
            format_func=KIND_LABELS.get,
            on_change=_edit,
            args=("kind",),
            width="stretch",
        )
        if reward is not None:
            slot = number_input(
                CELL_REWARD,
                "gw_reward",
                label="Exit reward" if kind == "terminal" else "Reward for entering (every time)",
                step=0.1,
                on_change=_edit,
                args=("reward",),
            )
            show_refusal("gw_reward", slot)
        cols = st.columns(2)
        cols[0].button(
            "Cycle", icon=":material/autorenew:", on_click=_edit, args=("cycle",), width="stretch",
            help="Empty → wall → reward → exit → start.",
        )  # fmt: skip
        cols[1].button("Done", icon=":material/check:", on_click=_close_editor, width="stretch")
        if lab.is_planner:
            _bellman(lab, cell)
        else:
            _q_values(lab, cell)


def _bellman(lab: Lab, cell: Cell) -> None:
    layout = lab.layout
    if cell in layout.walls or cell in layout.terminals:
        st.caption("Walls are never entered and exits end the episode: their value stays 0.")
        return
    state = layout.state_of(cell)
    backup = lab.agent.bellman_backup(state)  # type: ignore[attr-defined]
    value = float(lab.agent.state_values()[state])
    st.markdown(f"**V = {value:.4g}**, the sum for **{ACTION_NAMES[backup.chosen]}** (γ = {backup.gamma:g}):")
    st.code("\n".join(backup.lines(ACTION_NAMES)), language=None, wrap_lines=True)
    if lab.sweeps == 0:
        note = "No sweep yet: these are the sums the first sweep will compute."
    elif abs(backup.value - value) > 1e-9 * max(1.0, abs(value)):
        note = "The grid or γ changed since the last sweep: press Step to sweep again."
    else:
        note = "Each term is probability × (reward + γ × value of the cell landed in), from the previous sweep."
    st.caption(note)


def _q_values(lab: Lab, cell: Cell) -> None:
    layout = lab.layout
    if cell in layout.walls or cell in layout.terminals:
        st.caption("Walls are never entered and exits end the episode: nothing is learnt there.")
        return
    q = lab.agent.q_table[layout.state_of(cell)]
    best = int(q.argmax())
    marks = [" ← greedy" if a == best else "" for a in range(len(q))]
    rows = "\n".join(f"| {ACTION_ARROWS[a]} {ACTION_NAMES[a]} | {q[a]:.4g}{marks[a]} |" for a in range(len(q)))
    st.markdown(f"| action | Q(s, a) |\n|---|---|\n{rows}")
