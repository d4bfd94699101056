"""Home: what reinforcement learning is, in two sentences, one click to see it happen, and where to start."""

from __future__ import annotations

import streamlit as st

from agents.config.run_config import build_config
from agents.lessons.gridworld import LESSONS as GRID_LESSONS
from agents.lessons.rewards import LESSONS as REWARD_LESSONS
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
st.subheader("Where to start")
# A lesson's title is a link; Streamlit cuts a long link at the column's edge ("... (MountainCar"): let it wrap.
st.html("<style>[data-testid='stMain'] [data-testid='stPageLink'] p { white-space: normal; }</style>")
left, right = st.columns(2)
with left:
    st.markdown(
        "**The GridWorld lab** is the gentlest start: a world small enough to see whole. Step through learning one "
        "move at a time and watch each cell's value and best move form, then change a reward or the discount "
        "and see the route change. It has lessons of its own (the discount factor, risk on the cliff, a "
        f"slippery floor, where a reward is placed: {len(GRID_LESSONS)} in all)."
    )
    st.page_link("pages/gridworld.py", label="Open the GridWorld lab", icon=":material/grid_on:")
with right:
    st.markdown(
        "**Lessons** load a whole configuration that makes one point about rewards, say what to watch for, "
        "and run their variants side by side:"
    )
    for lesson_id, lesson in REWARD_LESSONS.items():
        page = "pages/feedback.py" if lesson.lab else "pages/train.py"
        st.page_link(page, label=lesson.title, icon=":material/school:", query_params={"lesson": lesson_id})
st.markdown(
    "**Then experiment:** on the *Train* page pick another environment or algorithm, change one "
    "hyperparameter, and compare what happens. Every setting is in the page's address, so the link you copy "
    "reproduces your run."
)
