"""Replay any moment: click a dot of the return curve and the policy as it was then plays its episode.

The returns chart selects single points (``on_select``); the clicked step is kept in the session, because a training
run's chart is redrawn every second and its selection with it. The replay plays the run's latest policy snapshot at
or before that step (:func:`agents.storage.snapshots.nearest_snapshot`), with an episode seed the person may change,
through :func:`agents.runs.replay.replay` (cached in the run's folder by step and seed).
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from agents.config.fields import SEED
from agents.runs.live import RunSnapshot
from agents.runs.replay import Replay, ReplayError, expected_length, replay
from agents.runs.run import Run, describe_failure
from agents.storage.snapshots import MAX_SNAPSHOTS, nearest_snapshot
from ui.common import plain
from ui.inputs import checked, number_input

log = logging.getLogger(__name__)
REPLAY_WIDTH_PX = 320


def _clicked_key(run_id: str) -> str:
    return f"replay_at_{run_id}"


def returns_selection(run: Run) -> dict[str, Any]:
    """What ``st.plotly_chart`` of the returns needs for a click to choose a moment (nothing for a run without a
    folder, which keeps no snapshots)."""
    if run.folder is None:
        return {}
    chart_key = f"returns-{run.id}"
    return {"on_select": lambda: _remember_click(run.id, chart_key), "selection_mode": "points"}


def _remember_click(run_id: str, chart_key: str) -> None:
    state = st.session_state.get(chart_key) or {}
    points = (state.get("selection") or {}).get("points") or []
    steps = [point.get("x") for point in points if isinstance(point.get("x"), int | float)]
    if steps:
        st.session_state[_clicked_key(run_id)] = int(steps[0])


def show_replay(run: Run, snap: RunSnapshot) -> None:
    """Under the returns chart: how to replay, or the replay of the moment clicked, with its step and return."""
    if run.folder is None or not snap.episode_steps:
        return
    steps = snap.policy_snapshots
    clicked = st.session_state.get(_clicked_key(run.id))
    if not steps:
        if not run.status.active:
            st.caption("This run kept no policy snapshots to replay (it trained headless, or before they existed).")
        return
    if clicked is None:
        st.caption(
            f"**Replay any moment**: click a dot of the curve and the policy as it was then plays an episode. "
            f"{_kept(steps)} (one with each evaluation clip; at most {MAX_SNAPSHOTS} per run, thinned evenly)."
            + (" While the run trains, *Hold the charts* keeps the curve still to click." if run.status.active else "")
        )
        return
    step = nearest_snapshot(steps, int(clicked))
    assert step is not None
    with st.container(border=True):
        top = st.columns([3, 1])
        with top[1]:
            slot = number_input(
                SEED,
                f"replay_seed_{run.id}",
                label="Episode seed",
                help="Where the episode starts and how the policy samples its actions: the same step and seed "
                "replay the same episode.",
            )
            seed = checked(SEED, st.session_state.get(f"replay_seed_{run.id}", 0), slot)
        with top[0]:
            st.markdown(f"**Replay** · you clicked step {int(clicked):,}")
            if step != clicked:
                where = "at or before it" if step < clicked else "(none is at or before it: the earliest)"
                st.caption(f"The nearest policy snapshot {where} is step {step:,}; that policy plays.")
        if seed is None:
            return
        result = _played(run, snap, step, int(seed))
        if result is None:
            return
        st.markdown(f"**{result.describe()}**")
        st.image(result.gif, width=REPLAY_WIDTH_PX, output_format="GIF")
        st.caption(f"Episode seed {result.seed}: acting as in training, sampling its actions.")


def _kept(steps: tuple[int, ...]) -> str:
    if len(steps) == 1:
        return f"1 snapshot kept, at step {steps[0]:,}"
    return f"{len(steps)} snapshots kept, from step {steps[0]:,} to {steps[-1]:,}"


def _played(run: Run, snap: RunSnapshot, step: int, seed: int) -> Replay | None:
    """The replay, from the session, the run's cache, or played now under a spinner; None after showing why not."""
    key = f"replay_{run.id}"
    kept = st.session_state.get(key)
    if isinstance(kept, Replay) and (kept.step, kept.seed) == (step, seed):
        return kept
    assert run.folder is not None
    try:
        with st.spinner(f"The policy of step {step:,} plays an episode..."):
            expected = expected_length(snap.episode_steps, snap.episode_lengths, step)
            result = replay(run.folder.path, run.config, step, seed, expected=expected, run_id=run.id)
    except ReplayError as error:
        st.warning(plain(str(error)) + " Click another dot.", icon=":material/history:")
        return None
    except Exception as error:  # a person sees a sentence, the server log the traceback
        log.exception("replaying step %d of run %s failed", step, run.id)
        st.error(f"The replay failed: {plain(describe_failure(error))}", icon=":material/error:")
        return None
    st.session_state[key] = result
    return result
