"""Downloads and actions for one run, shared by the Train and Runs pages.

Only files the server wrote itself are offered (the model checkpoint, metrics, the evaluation episode);
nothing is ever loaded from a file a person uploads.
"""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from agents.export.media import gif_to_mp4
from agents.runs.manager import RunActionError
from agents.runs.run import Run
from ui.common import manager, owner_token, owns, plain


def metrics_csv(run: Run) -> bytes:
    """Per-episode records: the step it ended at, shaped and true return, length, training seconds."""
    snap = run.snapshot()
    table = pd.DataFrame(
        {
            "timesteps": snap.episode_steps,
            "return": snap.episode_returns,
            "true_return": snap.episode_true_returns,
            "length": snap.episode_lengths,
            "train_s": snap.episode_wall_s,
        }
    )
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


@st.cache_data(max_entries=16, show_spinner="Encoding the episode as MP4...")
def _mp4(gif: bytes) -> bytes:
    return gif_to_mp4(gif)


def _model_help(run: Run) -> str:
    export_class = run.config.algo_info.export_class
    if export_class:
        return f"The trained agent; loads with stable-baselines3's {export_class}.load(path)."
    return "The trained agent, in the playground's own format (stable-baselines3 cannot load it)."


def download_buttons(run: Run) -> None:
    """Model, metrics and the latest evaluation episode, as files."""
    cols = st.columns(4)
    checkpoint = run.folder.checkpoint_path(run.config.algo_info.checkpoint_file) if run.folder else None
    if checkpoint is not None and checkpoint.exists() and not run.status.active:
        cols[0].download_button(
            "Model",
            checkpoint.read_bytes(),
            file_name=f"{run.id}-{run.config.algo}{checkpoint.suffix}",
            icon=":material/download:",
            help=_model_help(run),
            key=f"dl-model-{run.id}",
        )
    cols[1].download_button(
        "Metrics CSV",
        metrics_csv(run),
        file_name=f"{run.id}-episodes.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"dl-csv-{run.id}",
    )
    evaluation = run.snapshot().evaluation
    gif = evaluation.gif if evaluation else (run.folder.read_gif() if run.folder else None)
    if gif:
        # The name says which training step's policy the clip shows; the file's comment says it too.
        name = f"{run.id}-step{evaluation.step}-episode" if evaluation else f"{run.id}-episode"
        cols[2].download_button(
            "Episode GIF",
            gif,
            file_name=f"{name}.gif",
            mime="image/gif",
            icon=":material/download:",
            key=f"dl-gif-{run.id}",
        )
        if not run.status.active:  # encoding on demand; a live run's episode changes every few seconds
            cols[3].download_button(
                "Episode MP4",
                _mp4(gif),
                file_name=f"{name}.mp4",
                mime="video/mp4",
                icon=":material/download:",
                help="H.264, plays in browsers and slides.",
                key=f"dl-mp4-{run.id}",
            )


def resume_button(run: Run) -> None:
    """Continue an interrupted or stopped run from its last checkpoint (only its owner may: the resumed run is
    theirs)."""
    if not run.resumable or not run.is_owner(owner_token()):
        return
    if st.button("Resume from checkpoint", key=f"resume-ckpt-{run.id}", icon=":material/replay:", type="primary"):
        try:
            manager().resume(run.id, owner_token())
        except RunActionError as error:
            st.error(plain(str(error)))
        else:
            st.rerun()


def ownership_note(run: Run) -> str:
    """Why a run another browser started has no Resume or Delete here (ownership is that browser's cookie)."""
    can = "resume or delete" if run.resumable else "delete"
    return (
        f"Only the browser that started this run (or the server's operator) can {can} it; "
        "you can open it, compare it and download its files."
    )


def delete_button(run: Run) -> None:
    """Delete an ended run and its folder (its owner or the operator may)."""
    if run.status.active or not owns(run):
        return
    if st.button("Delete run", key=f"delete-{run.id}", icon=":material/delete:"):
        try:
            manager().delete(run.id)
        except RunActionError as error:
            st.error(plain(str(error)))
        else:
            st.rerun()
