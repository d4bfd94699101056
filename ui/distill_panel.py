"""Distil a finished run's policy into a tiny one, side by side with its teacher, and download it as numpy code.

Distilling runs in the page's own script thread under a spinner: its settings are bounded (at most 20 rounds of 10
episodes), so it takes seconds, and its result is kept in the session per run.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import streamlit as st

from agents.config.fields import SEED
from agents.distill.dagger import DISTILL_SCHEMA, DistillResult, distil
from agents.distill.student import student_script
from agents.distill.teacher import load_teacher
from agents.runs.run import Run, describe_failure
from ui.common import plain
from ui.inputs import checked, number_input

log = logging.getLogger(__name__)
SHOWN = ("hidden", "iterations", "episodes_per_iteration", "eval_episodes")
"""Settings offered on the page; the others keep the schema's defaults."""


def _key(run: Run, name: str) -> str:
    return f"distill_{name}_{run.id}"


def distill_panel(run: Run) -> None:
    """For an ended run with a checkpoint: the form, then teacher and student measured side by side."""
    if run.status.active or run.folder is None:
        return
    checkpoint = run.folder.checkpoint_path(run.config.algo_info.checkpoint_file)
    if not checkpoint.is_file():
        return
    with st.expander("Distil into a tiny policy", icon=":material/compress:"):
        st.caption(
            "As DeepSeek-R1 was distilled into small models, imitate this run's policy with a much smaller "
            "network: the student plays, the trained agent (the teacher) names the action it would take in every "
            "state the student visits, and the student is refitted on all of it (DAgger, Ross et al. 2011)."
        )
        values, seed = _form(run)
        if values is not None and seed is not None:
            with st.spinner("Distilling: the student plays, the teacher labels, the student refits..."):
                try:
                    teacher = load_teacher(run.config, checkpoint)
                    st.session_state[_key(run, "result")] = distil(teacher, run.config.env_info.make, values, seed=seed)
                except Exception as error:  # a person sees a sentence, the server log the traceback
                    log.exception("distilling run %s failed", run.id)
                    st.error(f"Distilling failed: {plain(describe_failure(error))}", icon=":material/error:")
        result = st.session_state.get(_key(run, "result"))
        if isinstance(result, DistillResult):
            _show(run, result)


def _form(run: Run) -> tuple[dict[str, object] | None, int | None]:
    """The settings, checked in place; (values, seed) when Distil was pressed with valid ones, else (None, None)."""
    values: dict[str, object] = {}
    ok = True
    with st.form(key=_key(run, "form"), border=False):
        cols = st.columns(len(SHOWN) + 1)
        for col, name in zip(cols, SHOWN, strict=False):
            param = DISTILL_SCHEMA.get(name)
            st.session_state.setdefault(_key(run, name), param.default)
            with col:
                if param.kind == "choice":
                    values[name] = st.selectbox(name, param.choices, key=_key(run, name), help=param.help)
                    continue
                slot = number_input(param, _key(run, name))
                values[name] = checked(param, st.session_state.get(_key(run, name), param.default), slot)
                ok = ok and values[name] is not None
        with cols[-1]:
            st.session_state.setdefault(_key(run, "seed"), run.config.seed)
            seed_slot = number_input(SEED, _key(run, "seed"))
            seed = checked(SEED, st.session_state.get(_key(run, "seed"), SEED.default), seed_slot)
        pressed = st.form_submit_button("Distil", icon=":material/compress:", type="primary")
    if not pressed or not ok or seed is None:
        return None, None
    return values, int(seed)


def _show(run: Run, result: DistillResult) -> None:
    teacher, student = result.teacher_report, result.student_report
    hidden = list(result.student.hidden) or "linear"
    table = pd.DataFrame(
        {
            "policy": [f"teacher ({run.config.algo_info.title})", f"student (hidden {hidden})"],
            "parameters": [teacher.parameters, student.parameters],
            "µs per step": [round(teacher.us_per_step, 1), round(student.us_per_step, 1)],
            "mean true return": [round(teacher.mean_return, 1), round(student.mean_return, 1)],
            "std": [round(float(np.std(teacher.returns)), 1), round(float(np.std(student.returns)), 1)],
        }
    )
    st.dataframe(table, hide_index=True)
    st.caption(
        f"{_size_sentence(result)} Both played the same {len(student.returns)} episodes (same reset seeds), "
        "greedily; µs per step is one predict() call: the teacher's own (torch), the student's plain numpy. "
        f"Distilling cost {result.cpu_s:.1f} CPU s, {result.env_steps:,} environment steps and as many teacher labels, "
        f"in {len(result.history)} rounds."
    )
    st.download_button(
        "Student (Python, numpy only)",
        student_script(result.student, run.config.env_id),
        file_name=f"{run.id}-student.py",
        mime="text/x-python",
        icon=":material/download:",
        help="The student's weights written into a script: act(obs) needs only numpy; run it to play episodes "
        "(with gymnasium), or with --stdio to read observations and write actions.",
        key=_key(run, "download"),
    )


def _size_sentence(result: DistillResult) -> str:
    """How the student's size compares with the teacher's (parameters needed to act: a critic is not counted)."""
    teacher, student = result.teacher_report.parameters, result.student_report.parameters
    if student >= teacher:
        return (
            f"The student has no fewer parameters than the teacher ({student:,} against {teacher:,}, those needed "
            "to act): a small table or network is already compact, so distilling saves nothing here."
        )
    share = f"{result.compression:.0f}" if result.compression >= 10 else f"{result.compression:.1f}"
    return f"The student has 1/{share} of the teacher's parameters (those needed to act: a critic is not counted)."
