"""Home: what reinforcement learning is, in two sentences, and one click to see it happen."""

from __future__ import annotations

import streamlit as st

from agents.config.run_config import build_config
from ui.common import require_entrypoint, start_runs

require_entrypoint()
st.title("RL Playground")
st.markdown(
    "In **reinforcement learning** an *agent* acts in an *environment* and receives a *reward* after each action. "
    "It is never told the right move: it changes its strategy, by trial and error, to collect as much reward "
    "as it can over time."
)
st.markdown("Watch it happen: a cart learns to balance a pole, usually within ten seconds.")

if st.button("Train CartPole now", type="primary", icon=":material/play_arrow:"):
    started = start_runs([build_config("CartPole-v1", "ppo")])
    if started:
        st.switch_page(
            "pages/train.py",
            query_params={"run": started[0], "env": "CartPole-v1", "algo": "ppo"},
        )

st.divider()
st.markdown(
    "**Then experiment:** on the *Train* page pick another environment or algorithm, change one "
    "hyperparameter, and compare what happens. Every setting is in the page's address, so the link you copy "
    "reproduces your run."
)
