"""Before Start: about how long the run will take, from the speeds measured on this kind of machine."""

from __future__ import annotations

import streamlit as st

from agents.config.run_config import RunConfig
from agents.runs.estimate import Estimate, estimate, rough_duration
from ui.common import format_duration, manager


def estimate_text(config: RunConfig, est: Estimate, busy: int = 0) -> str:
    """The estimate in words, with what it rests on and what can change it."""
    parts = [
        f"Estimated training time: **{rough_duration(est.seconds)}**, at the {est.steps_per_s:,.0f} steps/s measured "
        f"for {config.env_info.title} · {config.algo_info.title} with the {est.preset} preset "
        f"({est.machine}, {est.measured_on})."
    ]
    if not est.same_settings:
        parts.append("Your settings differ from that preset, so the run may be faster or slower.")
    if est.capped:
        parts.append(
            f"The {format_duration(config.max_wall_s)} time limit ends it after about {est.steps_in_time:,} of its "
            f"{config.total_timesteps:,} steps."
        )
    if est.may_end_early:
        parts.append("It ends sooner if the agent solves the environment.")
    if busy:
        parts.append(f"The server is training {busy} other run{'s' if busy > 1 else ''} now, which slows it down.")
    return " ".join(parts)


def show_estimate(config: RunConfig) -> None:
    """A caption under Start; a warning when the run will take more than a few minutes."""
    est = estimate(config)
    if est is None:
        st.caption("No training speed has been measured for this environment and algorithm, so no time estimate.")
        return
    text = estimate_text(config, est, busy=manager().active_count())
    if est.long:
        can_stop_early = not config.stop_when_solved and config.env_info.solved_threshold is not None
        advice = " or turn on *Stop when solved*" if can_stop_early else ""
        st.warning(f"{text} Lower the step budget{advice} for a shorter run.", icon=":material/schedule:")
    else:
        st.caption(text)
