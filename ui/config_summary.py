"""A configuration, read-only: what an explainer's reader (``hide_controls``) is about to train."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from agents.config.run_config import RunConfig
from agents.config.schema import format_value

PRESET_TITLES = {"demo": "Demo (fast on a CPU)", "zoo": "RL Zoo tuned", "defaults": "SB3 defaults"}


def config_summary(config: RunConfig) -> None:
    """The preset, then every setting and shaping term that differs from it, with the preset's value."""
    preset = config.preset_info
    rows = [
        {"setting": name, "value": format_value(value), "preset": format_value(preset_value)}
        for name, (value, preset_value) in config.preset_changes().items()
    ]
    if config.stop_when_solved:
        rows.append({"setting": "stop_when_solved", "value": "yes", "preset": "no"})
    for name, value in config.shaping.to_dict().items():
        rows.append({"setting": f"shaping: {name}", "value": format_value(value), "preset": "none"})
    title = PRESET_TITLES.get(preset.name, preset.name)
    budget = f"{config.total_timesteps:,} steps"
    if not rows:
        st.caption(f"Preset: {title}, unchanged; {budget}.")
        return
    st.caption(f"Preset: {title}, with these changes ({budget}):")
    st.table(pd.DataFrame(rows), hide_index=True, width="content")  # plain text, drawn at once
