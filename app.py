"""RL Playground: watch reinforcement-learning agents learn, live, in the browser.

    streamlit run app.py

This file only sets up navigation and shared chrome. ``import_libraries`` loads torch and stable-baselines3
at the first visit, not inside the first run's thread (where, under load, it
delayed the first training step by 5-45 s).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from agents.runs.warmup import import_libraries, warm_up_in_background

st.secrets.load_if_toml_exists()  # Community Cloud: root-level secrets become the settings' environment variables
import_libraries()  # torch and SB3 once, at the first visit, never in two sessions at once
from ui.common import plain, view_flag  # noqa: E402  (after the libraries: it imports SB3)
from ui.present import compact_page, keep_in_address, present_mode, present_switch  # noqa: E402

# Served by the app itself (a Material icon name would make every browser fetch it from a font host).
# No bare strings in this file: Streamlit's "magic" would draw them on every page.
ICON = str(Path(__file__).parent / "assets" / "icon.png")

hide_controls = view_flag("hide_controls")  # explainers hide the controls, as TF Playground does
link_warnings: list[str] = []
present = present_mode(link_warnings)  # projector mode: large chart text, the sidebar folded away
st.set_page_config(
    page_title="RL Playground",
    page_icon=ICON,
    layout="wide",
    initial_sidebar_state="collapsed" if hide_controls or present else "auto",
)
keep_in_address(present)
warm_up_in_background()
compact_page()
for warning in link_warnings:
    st.warning(f"This link's {plain(warning)}")
if not hide_controls:
    present_switch()

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/train.py", title="Train", icon=":material/monitoring:", url_path="train"),
    st.Page("pages/runs.py", title="Runs", icon=":material/list:", url_path="runs"),
    st.Page("pages/compare.py", title="Compare", icon=":material/stacked_line_chart:", url_path="compare"),
    st.Page("pages/sweeps.py", title="Sweeps", icon=":material/tune:", url_path="sweeps"),
    st.Page("pages/gridworld.py", title="GridWorld lab", icon=":material/grid_on:", url_path="gridworld"),
    st.Page("pages/feedback.py", title="Feedback lab", icon=":material/thumbs_up_down:", url_path="feedback"),
]
st.navigation(pages, position="hidden" if hide_controls else "sidebar").run()
