"""A run's cached figures are serialised once and every tab sends the same JSON as before, for less CPU."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools

from tests.test_charts import snapshot
from ui import run_figures as figure_cache
from ui.charts import step_value_array
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


def test_tabs_whose_reruns_fall_due_together_build_a_runs_figures_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """While one tab rebuilds a run's figures, the others draw the previous ones instead of rebuilding them too."""

    builds: list[int] = []
    release = threading.Event()
    real = figure_cache.losses_figure

    def slow_losses(snap, algo=""):  # type: ignore[no-untyped-def]
        builds.append(snap.timesteps)
        release.wait(5)
        return real(snap, algo)

    old = snapshot(30)
    release.set()
    first = figure_cache.run_figures("herd-test", old, threshold=None, show_shaped=False)
    release.clear()
    monkeypatch.setattr(figure_cache, "losses_figure", slow_losses)
    monkeypatch.setattr(figure_cache, "MAX_FIGURE_AGE_S", 0.0)
    newer = snapshot(40)
    seen: list[dict] = []
    builder = threading.Thread(
        target=lambda: seen.append(figure_cache.run_figures("herd-test", newer, threshold=None, show_shaped=False))
    )
    builder.start()
    deadline = time.monotonic() + 10
    while not builds and time.monotonic() < deadline:
        time.sleep(0.01)
    others = [figure_cache.run_figures("herd-test", newer, threshold=None, show_shaped=False) for _ in range(5)]
    release.set()
    builder.join(5)
    assert builds == [newer.timesteps]  # built once, by the first tab
    assert all(figures is first for figures in others)  # the others drew the figures they had
    assert (
        seen[0] is not first
        and figure_cache.run_figures("herd-test", newer, threshold=None, show_shaped=False) is seen[0]
    )


def test_losses_become_a_step_value_array_whatever_their_length() -> None:
    assert step_value_array([]).shape == (0, 2)
    assert step_value_array([(1, 0.5), (2, float("nan"))]).tolist()[0] == [1.0, 0.5]
    assert np.isnan(step_value_array([(1, 0.5), (2, float("nan"))])[1, 1])
