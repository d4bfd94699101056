"""Hold a live run's charts still, so a person can zoom in while the run trains on.

Streamlit (1.67) gives a chart an identity derived from its content, so every redraw with new data mounts a new
Plotly chart and a zoom, a pan or a hidden trace is lost within a second (measured in Chromium: the x range went back
to autorange at the next redraw; Plotly's ``uirevision`` cannot help a chart that is mounted afresh; Streamlit's
pull request #16052 proposes a key-based identity). Holding keeps the figures of the moment the toggle was turned on:
the same spec every redraw, the same chart in the browser, the zoom kept. The page says at which step the charts
were held and where the run is now.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

_HELD_KEY = "held-charts-{}"


def hold_charts(run_id: str, figures: dict[str, go.Figure], step: int) -> dict[str, go.Figure]:
    """A toggle under a live run's title; while it is on, the figures held when it was turned on (else ``figures``)."""
    held_key = _HELD_KEY.format(run_id)
    on = st.toggle(
        "Hold the charts",
        key=f"hold-{run_id}",
        help="Stop redrawing the charts so you can zoom and pan: the run trains on. Turn it off to catch up.",
    )
    if not on:
        st.session_state.pop(held_key, None)
        return figures
    held = st.session_state.setdefault(held_key, (step, figures))
    st.caption(f"Charts held at step {held[0]:,}; the run is at step {step:,}.")
    return held[1]
