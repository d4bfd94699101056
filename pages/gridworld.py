"""GridWorld lab: watch tabular agents plan and learn on a grid you can edit, one step at a time."""

from __future__ import annotations

import streamlit as st

from agents.algos.tabular import AGENTS
from ui.common import require_entrypoint
from ui.gridworld_panel import run_lab_panel
from ui.gridworld_sidebar import get_lab, lab_sidebar, lesson_box, mirror_url, show_warnings

require_entrypoint()
lab = get_lab()
lab_sidebar(lab)
mirror_url(lab)

st.title("GridWorld lab")
st.caption(
    f"{AGENTS[lab.settings.algo].title} on the {(lab.settings.layout_name or 'edited').replace('_', ' ')} grid. "
    "Step it, run it, change γ, α or ε while it learns, and click a cell to change the world."
)
show_warnings()
lesson_box(lab)
run_lab_panel()
