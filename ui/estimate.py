"""Before Start: about how long the run will take, from the speeds measured on this kind of machine."""

from __future__ import annotations

import os

import streamlit as st

from agents.config.run_config import RunConfig
from agents.runs.estimate import Estimate, estimate, rough_duration
from ui.common import format_duration, manager

BUSY_LOAD_PER_CORE = 1.5
"""Above this load average per core the machine is busy with other work, and runs train slower than measured."""


def estimate_headline(config: RunConfig, est: Estimate) -> str:
    """The estimate itself, and for a long run what makes it shorter."""
    text = f"Estimated training time: **{rough_duration(est.seconds)}**."
    if est.capped:
        text += (
            f" The {format_duration(config.max_wall_s)} time limit ends it after about {est.steps_in_time:,} of its "
            f"{config.total_timesteps:,} steps."
        )
    if est.long:
        can_stop_early = not config.stop_when_solved and config.env_info.solved_threshold is not None
        text += f" Lower the step budget{' or turn on *Stop when solved*' if can_stop_early else ''} for a shorter run."
    return text


def estimate_basis(config: RunConfig, est: Estimate, *, busy_runs: int = 0, load_per_core: float = 0.0) -> str:
    """What the estimate rests on, and what can make the run faster or slower."""
    parts = [
        f"From the {est.steps_per_s:,.0f} steps/s measured for {config.env_info.title} · {config.algo_info.title} "
        f"with the {est.preset} preset ({est.machine}, {est.measured_on})."
    ]
    if not est.same_settings:
        parts.append("Your settings differ from that preset, so the run may be faster or slower.")
    if est.may_end_early:
        parts.append("It ends sooner if the agent solves the environment.")
    if busy_runs:
        runs = f"{busy_runs} run{'s' if busy_runs > 1 else ''}"
        parts.append(f"The server is training {runs} now, which share its cores.")
    if load_per_core > BUSY_LOAD_PER_CORE:
        parts.append("The machine is busy with other work, so expect it to take longer.")
    return " ".join(parts)


def show_estimate(config: RunConfig) -> None:
    """Under Start: the estimate (a warning when it is more than a few minutes) and what it rests on."""
    est = estimate(config)
    if est is None:
        st.caption("No training speed has been measured for this environment and algorithm, so no time estimate.")
        return
    headline = estimate_headline(config, est)
    basis = estimate_basis(
        config, est, busy_runs=manager().active_count(), load_per_core=os.getloadavg()[0] / (os.cpu_count() or 1)
    )
    if est.long:
        st.warning(headline, icon=":material/schedule:")
        st.caption(basis)
    else:
        st.caption(f"{headline} {basis}")
