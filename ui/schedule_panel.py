"""*Change while training*: the settings a running run can change, and the list of what was changed.

The panel offers the settings that apply to the run's algorithm and shaping (:func:`RunConfig.live_params`), each
starting at the value in force now. What is typed stays in its field; a value out of bounds is refused under it
and **Apply** stays off until it is fixed, so nothing is sent. A change goes to the worker, applies at its next
step between updates, and comes back with the step it applied at: it is then listed here, marked on every chart
(:func:`ui.charts.mark_changes`) and kept in the run's schedule, which its link and exported script carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

import streamlit as st

from agents.config.run_config import RunConfig
from agents.config.schedule import Change, ScheduleError, base_value, changes, check_schedule, value_at
from agents.config.schema import HyperParam, HyperParamError, format_value
from agents.runs.live import RunSnapshot
from agents.runs.run import Run, RunStatus
from ui.common import can_control, manager, plain
from ui.inputs import checked, number_input, show_error

PANEL_TITLE = "Change while training"


def run_changes(run: Run, snap: RunSnapshot) -> list[Change]:
    """The run's changes of settings so far, each with the value it replaced (what the charts mark)."""
    config = run.config
    return changes(snap.schedule, config.hyperparams, config.shaping, config.total_timesteps)


def current_value(run: Run, snap: RunSnapshot, param: HyperParam) -> float | None:
    """The value ``param`` has now: the schedule's latest, or the run's own (DQN's decaying ε at this step)."""
    scheduled = value_at(snap.schedule, param.name, snap.timesteps)
    if scheduled is not None:
        return scheduled
    config = run.config
    return base_value(param.name, snap.timesteps, config.hyperparams, config.shaping, config.total_timesteps)


def _key(run: Run, name: str) -> str:
    return f"change-{run.id}-{name}"


def change_panel(run: Run, snap: RunSnapshot) -> None:
    """The expander with one field per live setting and **Apply** (the run's controller only, while it trains)."""
    params = run.config.live_params()
    if not params or not run.status.active or run.status == RunStatus.QUEUED or not can_control(run):
        return
    with st.expander(PANEL_TITLE, icon=":material/tune:"):
        st.caption(
            "Set a new value and press Apply: it takes effect at the next step between two updates, is marked "
            "on every chart, and is kept in this run's link and exported script, which replay it at the same step."
        )
        values: dict[str, float] = {}
        faults = False
        columns = st.columns(min(3, len(params)))
        for index, param in enumerate(params):
            key = _key(run, param.name)
            if key not in st.session_state:
                now = current_value(run, snap, param)
                st.session_state[key] = float(param.default if now is None else now)
            slot = number_input(param, key, where=columns[index % len(columns)].container())
            value = checked(param, st.session_state.get(key), slot)
            if value is None:
                faults = True
            else:
                values[param.name] = float(value)
        sent_key = f"change-sent-{run.id}"
        if st.button("Apply", key=f"change-apply-{run.id}", disabled=faults, icon=":material/check:"):
            sent = _send(run, snap, params, values)
            st.session_state[sent_key] = sent
        if faults:
            st.caption(":red[Apply is off: fix the value marked above.]")
        elif st.session_state.get(sent_key):
            paused = " (the run is paused: when it resumes)" if run.status == RunStatus.PAUSED else ""
            st.caption(f"Sent: {plain(st.session_state[sent_key])}. It applies at the next step{paused}.")


def _send(run: Run, snap: RunSnapshot, params: list[HyperParam], values: dict[str, float]) -> str:
    """Send each value that differs from the one in force; what was sent, in words ("" if nothing differed)."""
    sent: list[str] = []
    for param in params:
        value, now = values[param.name], current_value(run, snap, param)
        if now is not None and value == now:
            continue
        try:
            run.change_setting(param.name, value)
        except HyperParamError as error:  # the run ended meanwhile: say so, send nothing more
            show_error(None, str(error))
            break
        sent.append(f"{param.name} {format_value(value)}")
    return ", ".join(sent)


def show_changes(changes_made: list[Change]) -> None:
    """One line under the charts listing the changes (the dotted lines on every chart)."""
    if changes_made:
        marked = [change.label() for change in changes_made if change.step > 0]
        started = [change.label().removesuffix(" at 0") for change in changes_made if change.step == 0]
        parts = []
        if marked:
            parts.append("Changed while training (dotted lines on the charts): " + "; ".join(marked) + ".")
        if started:
            parts.append("Started with " + "; ".join(started) + " (from the run's schedule).")
        st.caption(plain(" ".join(parts)))


# --- the sidebar: a configuration's schedule ----------------------------------------------------------------


def with_schedule(
    config: RunConfig, raw: Mapping[str, Iterable[tuple[object, object]]], *, disabled: bool = False
) -> tuple[RunConfig | None, str | None]:
    """The sidebar's ``config`` with the schedule its link or run brought (``raw``, kept in session state), shown
    in a box with a button that removes it. A schedule that no longer fits (a budget cut below one of its steps,
    a shaping weight taken away) is refused in the box and Start stays off; nothing is dropped behind the back."""
    if not raw:
        return config, None
    box = st.container(border=True)
    box.caption("**Schedule**: settings this configuration changes while it trains (a change made live, replayed)")
    problem = None
    try:
        config = replace(config, schedule=check_schedule(raw, config.live_params(), config.total_timesteps))
        box.caption(plain("; ".join(change.label() for change in config.schedule_changes())))
    except ScheduleError as error:
        show_error(box, str(error))
        problem = str(error)
    box.button("Remove the schedule", key="cfg_schedule_remove", on_click=_remove_schedule, disabled=disabled)
    return (None, problem) if problem else (config, None)


def _remove_schedule() -> None:
    st.session_state.cfg_schedule = {}


def with_run_schedule(config: RunConfig | None, run_id: str) -> RunConfig | None:
    """``config`` with the schedule of the run in view when the sidebar shows that run's configuration: the changes
    made while it trains are part of it, so the address bar, share links and exports replay them."""
    run = manager().get(run_id) if run_id and config is not None else None
    if run is None or config is None or replace(run.config, schedule={}) != replace(config, schedule={}):
        return config
    return run.config
