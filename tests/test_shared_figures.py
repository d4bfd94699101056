"""A run's cached figures are serialised once and every tab sends the same JSON as before, for less CPU."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools

from ui.present import CHART_FONT_PX, serialised


def _figure() -> go.Figure:
    steps = np.arange(1_500.0)
    figure = go.Figure([go.Scatter(x=steps, y=np.sin(steps / 50), name="return"), go.Heatmap(z=np.eye(41))])
    figure.update_layout(title="Episode return")
    return figure


def _as_streamlit_sends(figure: go.Figure) -> dict:
    """What ``st.plotly_chart`` puts in its proto's spec (streamlit/elements/plotly_chart.py)."""
    spec = plotly.tools.return_figure_from_figure_or_data(figure, validate_figure=True)
    return json.loads(pio.to_json(spec, validate=False))


def test_a_serialised_figure_reaches_the_browser_as_the_same_json() -> None:
    figure = _figure()
    assert _as_streamlit_sends(serialised(figure, projector=False, height=None)) == _as_streamlit_sends(figure)


def test_every_tab_gets_the_one_serialised_copy_until_the_figure_is_rebuilt() -> None:
    figure = _figure()
    first = serialised(figure, projector=False, height=None)
    assert serialised(figure, projector=False, height=None) is first
    assert serialised(_figure(), projector=False, height=None) is not first  # a new snapshot's figure


def test_projector_mode_serialises_its_own_larger_text_without_touching_the_shared_figure() -> None:
    figure = _figure()
    big = serialised(figure, projector=True, height=360).to_dict()
    assert big["layout"]["font"]["size"] == CHART_FONT_PX and big["layout"]["height"] == 360
    assert figure.layout.font.size is None and figure.layout.height is None
    assert serialised(figure, projector=False, height=360).to_dict()["layout"].get("height") is None
