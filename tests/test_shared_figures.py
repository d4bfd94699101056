"""A run's cached figures are serialised once and every tab sends the same JSON as before, for less CPU."""

from __future__ import annotations

import base64
import json
import threading
import time
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools
import pytest

from agents.runs.value_map import ValueMap
from envs.registry import ENVS
from tests.test_charts import snapshot
from ui import run_figures as figure_cache
from ui.charts import step_value_array
from ui.present import CHART_FONT_PX, serialised
from ui.value_map import map_figures


def _figure() -> go.Figure:
    steps = np.arange(1_500.0)
    figure = go.Figure([go.Scatter(x=steps, y=np.sin(steps / 50), name="return"), go.Heatmap(z=np.eye(41))])
    figure.update_layout(title="Episode return")
    return figure


def _as_streamlit_sends(figure: go.Figure) -> dict:
    """What ``st.plotly_chart`` puts in its proto's spec (streamlit/elements/plotly_chart.py)."""
    spec = plotly.tools.return_figure_from_figure_or_data(figure, validate_figure=True)
    return json.loads(pio.to_json(spec, validate=False))


def _decoded(value: object) -> object:
    """A spec with each typed array (``{"dtype", "bdata"[, "shape"]}``) decoded to a list of floats."""
    if isinstance(value, dict) and "bdata" in value:
        numbers = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).astype(float)
        shape = value.get("shape")
        return (numbers.reshape([int(n) for n in shape.split(",")]) if shape else numbers).tolist()
    if isinstance(value, dict):
        return {key: _decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decoded(item) for item in value]
    return value


def test_a_serialised_figure_reaches_the_browser_with_the_same_values_in_fewer_bytes() -> None:
    figure = _figure()
    sent, plain = _as_streamlit_sends(serialised(figure, projector=False, height=None)), _as_streamlit_sends(figure)
    assert _decoded(sent) == _decoded(plain)
    steps, sine, grid = sent["data"][0]["x"], sent["data"][0]["y"], sent["data"][1]["z"]
    assert steps["dtype"] == "i4" and grid["dtype"] == "i4" and grid["shape"] == "41, 41"  # whole numbers
    assert sine["dtype"] == "f8"  # fractions stay float64: nothing rounded
    assert len(json.dumps(sent)) < 0.8 * len(json.dumps(plain))


def test_arrays_that_int32_cannot_hold_exactly_stay_float64() -> None:
    figure = go.Figure(go.Scatter(x=np.array([0.0, 2.0**31, 3.0]), y=np.array([1.0, np.nan, 2.0])))
    sent = _as_streamlit_sends(serialised(figure, projector=False, height=None))
    assert sent["data"][0]["x"]["dtype"] == "f8" and sent["data"][0]["y"]["dtype"] == "f8"


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
    newer = snapshot(40)
    seen: list[dict] = []
    builder = threading.Thread(
        target=lambda: seen.append(
            figure_cache.run_figures("herd-test", newer, threshold=None, show_shaped=False, max_age_s=0.0)
        )
    )
    builder.start()
    deadline = time.monotonic() + 10
    while not builds and time.monotonic() < deadline:
        time.sleep(0.01)
    others = [
        figure_cache.run_figures("herd-test", newer, threshold=None, show_shaped=False, max_age_s=0.0) for _ in range(5)
    ]
    release.set()
    builder.join(5)
    assert builds == [newer.timesteps]  # built once, by the first tab
    assert all(figures is first for figures in others)  # the others drew the figures they had
    assert (
        seen[0] is not first
        and figure_cache.run_figures("herd-test", newer, threshold=None, show_shaped=False, max_age_s=0.0) is seen[0]
    )


def test_losses_become_a_step_value_array_whatever_their_length() -> None:
    assert step_value_array([]).shape == (0, 2)
    assert step_value_array([(1, 0.5), (2, float("nan"))]).tolist()[0] == [1.0, 0.5]
    assert np.isnan(step_value_array([(1, 0.5), (2, float("nan"))])[1, 1])


def test_a_tab_that_accepts_older_figures_gets_the_shared_ones_and_a_fresh_tab_gets_new_ones() -> None:
    old, newer = snapshot(30), snapshot(40)
    first = figure_cache.run_figures("age-test", old, threshold=None, show_shaped=False, max_age_s=0.0)
    assert figure_cache.run_figures("age-test", newer, threshold=None, show_shaped=False, max_age_s=60) is first
    rebuilt = figure_cache.run_figures("age-test", newer, threshold=None, show_shaped=False, max_age_s=0.0)
    assert rebuilt is not first and len(rebuilt["lengths"].data[0].x) == 40


def test_a_live_runs_return_chart_follows_each_redraw_and_its_other_charts_every_third_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The browser mounts a redrawn chart afresh: the episode lengths and the logged values are rebuilt (and so
    mounted) every third second of a controlling tab's redraws, the return chart every second, an ended run's last
    draw all three from its last snapshot."""
    clock = [100.0]
    monkeypatch.setattr(figure_cache, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    drawn = []
    for second in range(4):
        clock[0] = 100.0 + second
        drawn.append(figure_cache.run_figures("cadence-test", snapshot(30 + second), threshold=None, show_shaped=False))
    assert [len(figures["returns"].data[0].x) for figures in drawn] == [30, 31, 32, 33]
    assert drawn[1]["lengths"] is drawn[2]["lengths"] is drawn[0]["lengths"]
    assert drawn[1]["losses"] is drawn[2]["losses"] is drawn[0]["losses"]
    assert len(drawn[3]["lengths"].data[0].x) == 33 and drawn[3]["losses"] is not drawn[0]["losses"]
    clock[0] += 0.5
    ended = figure_cache.run_figures("cadence-test", snapshot(34), threshold=None, show_shaped=False, max_age_s=0.0)
    assert len(ended["lengths"].data[0].x) == 34 and ended["losses"] is not drawn[3]["losses"]


def _value_map(step: int, index: int) -> ValueMap:
    grid = np.linspace(-1.0, 1.0, 5)
    return ValueMap(
        step=step, index=index, xs=grid, ys=grid, values=np.zeros((5, 5), np.float32),
        actions=np.zeros((5, 5), np.int16), discrete=True, value_name="V(s)", path=np.zeros((3, 2), np.float32),
    )  # fmt: skip


def test_a_maps_figures_are_shared_up_to_the_age_a_tab_accepts_and_come_with_the_map_they_show() -> None:
    env = ENVS["CartPole-v1"]
    first, newer = _value_map(1_000, 1), _value_map(2_000, 2)
    shown, figures = map_figures("map-age-test", first, env, env.state_slice)
    assert shown is first and "step 1,000" in figures["values"].layout.title.text
    shown, again = map_figures("map-age-test", newer, env, env.state_slice, max_age_s=60)
    assert shown is first and again is figures  # the page then says step 1,000, as its figures do
    shown, fresh = map_figures("map-age-test", newer, env, env.state_slice)
    assert shown is newer and "step 2,000" in fresh["actions"].layout.title.text
