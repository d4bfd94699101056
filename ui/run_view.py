"""The live view of one run: status, controls, progress, charts and the latest evaluation episode.

While a run is active, a fragment re-draws it from a snapshot (the training thread never touches Streamlit):
every second for a browser that controls the run; every two seconds for one that only watches it, slower as more
tabs watch (:mod:`ui.viewers`: on 2 cores a classroom's thirty tabs redraw every 10 s, on 4 every 5 s, so the
training workers beside the server keep their cores). Watching tabs share one snapshot and one set of figures up to
half their interval old. Once the run ends, the page draws it one last time without a timer.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from agents.config.reference_curves import reference_for, reference_note
from agents.runs.live import SOLVE_WINDOW, RunSnapshot
from agents.runs.run import Run, RunStatus
from ui.chart_hold import hold_charts
from ui.common import can_control, format_duration, manager, plain, session_id
from ui.cost_view import show_cost
from ui.distill_panel import distill_panel
from ui.explain import lengths_caption, logged_values_help, metric_help, returns_caption
from ui.lessons_panel import flat_curve_hint
from ui.present import RUN_CHART_HEIGHT_PX, plotly_chart, present_mode
from ui.replay_view import returns_selection, show_replay
from ui.reward_model_view import show_reward_model
from ui.run_figures import run_figures
from ui.run_files import download_buttons, resume_button
from ui.schedule_panel import change_panel, run_changes, show_changes
from ui.value_map import show_value_map
from ui.viewers import FIGURE_AGE_S, figure_age_s, interval_for, viewers

REFRESH_S = 1.0
"""Seconds between redraws for the browser that controls the run."""
NO_EPISODE_YET = (
    "No episode has ended yet. The return of each episode, and its length, are drawn here from the first one on."
)
STATUS_BADGES = {
    RunStatus.QUEUED: ":orange-badge[queued]",
    RunStatus.STARTING: ":blue-badge[starting]",
    RunStatus.RUNNING: ":green-badge[training]",
    RunStatus.PAUSED: ":orange-badge[paused]",
    RunStatus.FINISHED: ":green-badge[finished]",
    RunStatus.STOPPED: ":gray-badge[stopped]",
    RunStatus.FAILED: ":red-badge[failed]",
    RunStatus.INTERRUPTED: ":orange-badge[interrupted]",
}
WAITING_BADGE = ":orange-badge[waiting for labels]"


def show_run(run_id: str, refresh_s: float | None = None) -> None:
    """Draw a run found by id; live while it trains, redrawn every ``refresh_s`` seconds (None:
    :data:`REFRESH_S` for a browser that controls the run, :func:`ui.viewers.interval_for` for one that watches)."""
    run = manager().get(run_id)
    if run is None:
        st.warning("No run with this id on this server: it may have ended long ago or the server restarted.")
        return
    adaptive = refresh_s is None
    if refresh_s is None:
        refresh_s = REFRESH_S if can_control(run) else _viewer_interval()
    if run.status.active:
        st.fragment(_live, run_every=refresh_s)(run_id, refresh_s if adaptive else None)
    else:
        _draw(run)


def _viewer_interval() -> float:
    """Count this tab as watching and say how often it redraws (:func:`ui.viewers.interval_for`)."""
    viewers.seen(session_id())
    return interval_for(viewers.count())


def _live(run_id: str, interval_s: float | None = None) -> None:
    """One timed redraw; ``interval_s``: the timer the page chose for this tab (None: the caller's own)."""
    run = manager().get(run_id)
    if run is None:
        return
    if interval_s is not None:
        wanted = REFRESH_S if can_control(run) else _viewer_interval()
        if wanted == REFRESH_S:
            viewers.forget(session_id())
        if wanted != interval_s:  # the class grew or shrank by a step, or this tab took control: a new timer
            st.rerun()
    watching = interval_s is not None and interval_s > REFRESH_S
    _draw(run, figure_age_s(interval_s) if watching else FIGURE_AGE_S, watching=watching)
    if not run.status.active:
        st.rerun()  # the whole page: draw the ended run once more without a timer, and refresh the controls


def _draw(run: Run, figure_age: float = FIGURE_AGE_S, *, watching: bool = False) -> None:
    """The run's view; ``figure_age``: seconds old its shared figures may be (:func:`ui.viewers.figure_age_s`).
    ``watching``: a tab that only watches, which shares the run's snapshot with the others (the numbers and the charts
    of one moment); the tab that controls the run takes a fresh one at every redraw."""
    if not run.status.active:
        figure_age, watching = 0.0, False  # an ended run's last draw shows what it ended with
    snap = run.snapshot(max_age_s=figure_age if watching else 0.0)
    config = run.config
    st.markdown(f"### {plain(run.name)} {status_badge(run)}")
    _controls(run)
    change_panel(run, snap)
    _status_message(run, snap)
    _progress(snap, run)
    _metrics(snap, config.env_info.solved_threshold)
    if not present_mode():  # on a projector the curve, the episode and the metrics come first, on one screen
        show_cost(snap.cost)
    learned = config.feedback is not None
    shaped = not config.shaping.is_identity() or learned
    made = run_changes(run, snap)
    figures = run_figures(
        run.id,
        snap,
        threshold=config.env_info.solved_threshold,
        show_shaped=shaped,
        algo=config.algo,
        learned=learned,
        changes=made,
        reference=None if made else reference_for(config),
        max_age_s=figure_age,
    )
    if run.status.active:
        figures = hold_charts(run.id, figures, snap.timesteps)
    left, right = st.columns([3, 2])
    with left:
        if snap.episode_steps:
            plotly_chart(
                figures["returns"],
                key=f"returns-{run.id}",
                height=RUN_CHART_HEIGHT_PX,
                shared=True,
                **returns_selection(run),
            )
            st.caption(returns_caption(config.env_info.solved_threshold, shaped=shaped, learned=learned))
            show_changes(made)
            if note := reference_note(config, changed_while_training=bool(made)):
                st.caption(note)
        else:  # axes with nothing on them say nothing: say in words why there is no curve yet
            st.info(NO_EPISODE_YET)
        flat_curve_hint(config.env_id, snap)
        if shaped:
            _divergence_note(snap, "learned" if learned else "shaped")
        show_replay(run, snap)
    with right:
        _evaluation(snap)
    show_value_map(run.id, snap.value_map, config.env_info, config.algo_info, run.status.active, figure_age)
    if learned:
        show_reward_model(run.id, snap.reward_reports)
    left, right = st.columns(2)
    with left:
        if snap.episode_steps:
            plotly_chart(figures["lengths"], key=f"lengths-{run.id}", shared=True)
            st.caption(lengths_caption())
    with right:
        if snap.losses:
            plotly_chart(figures["losses"], key=f"losses-{run.id}", shared=True)
            logged_values_help(snap.losses, config.algo)
    if not run.status.active:
        download_buttons(run)
        distill_panel(run)


def status_badge(run: Run) -> str:
    """The run's status as a badge; a run whose training waits for a person's labels says so (it is not hung)."""
    if run.status == RunStatus.RUNNING and waits_for_labels(run):
        return WAITING_BADGE
    return STATUS_BADGES[run.status]


def waits_for_labels(run: Run) -> bool:
    state = run.labelling.view().state
    return state is not None and state.waiting


def _controls(run: Run) -> None:
    if not run.status.active:
        return
    if not can_control(run):
        st.caption(
            "You are watching this run. Only the browser that started it, its control link or the server's "
            "operator can pause or stop it."
        )
        return
    cols = st.columns([1, 1, 4])
    # on_click callbacks act before the page is redrawn, so the buttons and badge show the new state at once.
    if run.status == RunStatus.PAUSED:
        cols[0].button(
            "Resume", key=f"resume-{run.id}", type="primary", icon=":material/play_arrow:", on_click=run.resume
        )
    else:
        cols[0].button("Pause", key=f"pause-{run.id}", icon=":material/pause:", on_click=run.pause)
    cols[1].button("Stop", key=f"stop-{run.id}", icon=":material/stop:", on_click=run.stop)


def _status_message(run: Run, snap: RunSnapshot) -> None:
    if run.status == RunStatus.QUEUED:
        position = manager().queue_position(run)
        st.info(
            f"Waiting for a free slot: number {position} in the queue. The server trains at most "
            f"{manager().max_concurrent} runs at once so each stays fast."
        )
    elif run.status == RunStatus.STARTING:
        st.info("Building the agent...")
    elif run.status == RunStatus.FAILED:
        st.error(f"This run failed: {plain(run.error)}")
    elif run.status == RunStatus.FINISHED:
        solved = f" Solved at step {snap.solved_at_step:,} ({snap.solved_at_s:.1f} s)." if snap.solved_at_step else ""
        st.success(f"Finished: {plain(run.end_reason)}.{solved}")
    elif run.status == RunStatus.STOPPED:
        resumes_at = run.checkpoint_timesteps
        earlier = (
            f" Resuming continues from step {resumes_at:,}, the end of its last whole update."
            if (resumes_at is not None and resumes_at < snap.timesteps and run.resumable)
            else ""
        )
        st.info(f"Stopped: {plain(run.end_reason)}.{earlier}")
    elif run.status == RunStatus.INTERRUPTED:
        st.warning(f"Interrupted: {plain(run.end_reason)}. Its last checkpoint can be resumed.")
    if run.status.active and run.where:
        st.caption(f"Training {plain(run.where)}.")
    if run.resume_note:
        st.info(plain(run.resume_note), icon=":material/history:")
    if not run.status.active:
        resume_button(run)


def _progress(snap: RunSnapshot, run: Run) -> None:
    st.progress(snap.progress, text=progress_text(snap, run.status, waiting=waits_for_labels(run)))


def progress_text(snap: RunSnapshot, status: RunStatus, *, waiting: bool = False) -> str:
    """The line under the progress bar: only what is known, as words (never a placeholder inside a sentence).
    ``waiting``: training waits for a person's labels (the feedback lab)."""
    parts = [f"{snap.timesteps:,} / {snap.total_timesteps:,} steps"]
    if snap.fps > 0:
        parts.append(f"{snap.fps:,.0f} steps/s")
    if status.active:
        parts.append(f"{format_duration(snap.elapsed_s)} elapsed")
        if status == RunStatus.PAUSED:
            parts.append("paused")
        elif waiting:
            parts.append("waiting for labels")
        elif status == RunStatus.RUNNING and snap.eta_s is not None:
            parts.append(f"about {format_duration(snap.eta_s)} left")
    else:
        parts.append(f"{format_duration(snap.elapsed_s)} of training")
    return " · ".join(parts)


def _metrics(snap: RunSnapshot, threshold: float | None) -> None:
    cols = st.columns(4)
    mean = snap.mean_last(snap.episode_true_returns)
    best = max(snap.episode_true_returns) if snap.episode_true_returns else None
    cols[0].metric("Episodes", f"{len(snap.episode_returns):,}", help=metric_help("episode"))
    cols[1].metric(
        f"Mean return, last {SOLVE_WINDOW}",
        "–" if mean is None else f"{mean:,.1f}",
        help=f"{metric_help('mean of last 20')} {metric_help('return')}",
    )
    cols[2].metric("Best episode", "–" if best is None else f"{best:,.1f}", help=metric_help("best episode"))
    solved = f"step {snap.solved_at_step:,}" if snap.solved_at_step is not None else "not yet"
    cols[3].metric("Solved", solved, help=metric_help("solved", threshold))


def _divergence_note(snap: RunSnapshot, kind: str = "shaped") -> None:
    """Say in words when the ``kind`` (shaped or learned) return and the true return tell different stories: that
    gap is the lesson."""
    if len(snap.episode_returns) < 2 * SOLVE_WINDOW:
        return
    shaped = np.asarray(snap.episode_returns[-SOLVE_WINDOW:])
    true = np.asarray(snap.episode_true_returns[-SOLVE_WINDOW:])
    early_shaped = np.asarray(snap.episode_returns[:SOLVE_WINDOW])
    early_true = np.asarray(snap.episode_true_returns[:SOLVE_WINDOW])
    shaped_trend = float(shaped.mean() - early_shaped.mean())
    true_trend = float(true.mean() - early_true.mean())
    scale = max(1e-9, float(np.abs(early_true).mean()), float(np.abs(true).mean()))
    if shaped_trend > 0 and true_trend < -0.1 * scale:
        st.warning(
            f"The {kind} return is rising while the true return is falling: the agent is learning what the "
            f"{kind} reward pays for, not the task. That is reward hacking."
        )
    elif shaped_trend > 0 and abs(true_trend) <= 0.05 * scale:
        helper = "the reward learned from labels" if kind == "learned" else "the shaping"
        st.info(f"The {kind} return rises but the true return has not moved: {helper} is not helping the task yet.")


def _evaluation(snap: RunSnapshot) -> None:
    evaluation = snap.evaluation
    if evaluation is None:
        st.caption("The agent's first evaluation episode appears here within a few seconds.")
        return
    # Served by URL from Streamlit's media store: the GIF changes every few seconds, while the page
    # redraws every second, and a URL keeps those redraws small for a room of thirty browsers.
    st.image(evaluation.gif, width="stretch", output_format="GIF")
    st.caption(
        f"Played at training step {evaluation.step:,} (evaluation episode {evaluation.index}): the policy of "
        f"that moment, acting as it does in training. Return {evaluation.episode_return:,.1f} over "
        f"{evaluation.length} steps."
    )
