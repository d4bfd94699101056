"""Projector mode: ``present=1`` in any page's link, or the sidebar's *Projector mode* switch.

For a teacher at a 1280x720 projector: chart text at least :data:`CHART_FONT_PX` pixels (plotly's default is
12, ours 14, beside 38 px metrics), the sidebar and its configuration folded away, and the Train page's run
(curve, evaluation episode and metrics) on one screen. The mode belongs to the browser session: once on, it
stays on across page switches and is written back into every page's address, so a copied link opens in
projector mode too; ``present=0`` (or the switch) turns it off.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from agents.config.share import read_flag

PRESENT_PARAM = "present"
"""The link's field, a yes/no word of the one boolean vocabulary (1/0, true/false, yes/no, on/off)."""
CHART_FONT_PX = 20
"""Ticks, legends, axis titles and annotations in projector mode."""
CHART_TITLE_PX = 24
RUN_CHART_HEIGHT_PX = 360
"""The Train page's return chart in projector mode: tall enough to read, short enough that the metrics above
it and the chart end within a 720 px screen."""
LEGEND_ABOVE_MARGIN_PX = 110
"""Room above the plot for the title and a two-line legend."""
_STATE_KEY = "present_mode"
_SWITCH_KEY = "present_switch"
_COMPACT_CSS = """
<style>
/* Projector mode: the space above the page's content is for the page, not for padding. */
[data-testid="stMainBlockContainer"] { padding-top: 3rem; padding-bottom: 2rem; }
</style>
"""


def present_mode(warnings: list[str] | None = None) -> bool:
    """Whether this session shows pages for a projector (see the module's docstring).

    The link's ``present`` field, when there is one, sets the mode for the session; a value outside the
    boolean vocabulary counts as off, with a warning added to ``warnings``."""
    if PRESENT_PARAM in st.query_params:
        query = st.query_params.to_dict()
        st.session_state[_STATE_KEY] = read_flag(query, PRESENT_PARAM, [] if warnings is None else warnings)
    return bool(st.session_state.get(_STATE_KEY, False))


def keep_in_address(on: bool) -> None:
    """Write the mode back into the address (``app.py``, every page): a page switch drops the query."""
    if on and st.query_params.get(PRESENT_PARAM) != "1":
        st.query_params[PRESENT_PARAM] = "1"
    elif not on and PRESENT_PARAM in st.query_params:
        del st.query_params[PRESENT_PARAM]


def present_switch() -> None:
    """The sidebar's switch for the mode (under the page list), for those who do not edit addresses."""
    st.session_state[_SWITCH_KEY] = present_mode()
    st.sidebar.toggle(
        "Projector mode",
        key=_SWITCH_KEY,
        on_change=_switched,
        help="Large chart text and the run on one screen, with this sidebar folded away. Adds present=1 to the "
        "page's link, so a copied link opens the same way.",
    )


def _switched() -> None:
    on = bool(st.session_state[_SWITCH_KEY])
    st.session_state[_STATE_KEY] = on
    keep_in_address(on)  # before the rerun reads the address again


def compact_page() -> None:
    """Less padding above the page in projector mode (a constant style sheet; nothing from a link)."""
    if present_mode():
        st.html(_COMPACT_CSS)


def for_projector(fig: go.Figure, *, height: int | None = None) -> go.Figure:
    """``fig`` with projector-sized text (and ``height``, if given) in projector mode; else ``fig`` unchanged.

    Figures are cached and shared by every viewer of a run, so the larger text goes on a copy."""
    return projector_copy(fig, height=height) if present_mode() else fig


def projector_copy(fig: go.Figure, *, height: int | None = None) -> go.Figure:
    """A copy of ``fig`` with projector-sized text (and ``height``, if given)."""
    fig = go.Figure(fig)
    font = {"size": CHART_FONT_PX}
    fig.update_layout(font=font, legend={"font": font}, title={"font": {"size": CHART_TITLE_PX}})
    fig.update_xaxes(tickfont=font, title_font=font)
    fig.update_yaxes(tickfont=font, title_font=font)
    fig.update_annotations(font=font)
    fig.update_traces(colorbar={"tickfont": font, "title": {"font": font}}, selector={"type": "heatmap"})
    legend = fig.layout.legend
    if legend.yanchor == "bottom" and (legend.y or 0) >= 1:  # a legend above the plot, beside the title:
        # at this size it wraps and runs into the title, so the title goes to the top and the legend below it
        fig.update_layout(
            title={"y": 0.98, "yref": "container", "yanchor": "top"},
            legend={"x": 0, "xanchor": "left"},
            margin={"t": LEGEND_ABOVE_MARGIN_PX},
        )
    if height is not None:
        fig.update_layout(height=height)
    return fig


class SerialisedFigure(go.Figure):
    """A figure already turned into plotly's JSON form, which ``st.plotly_chart`` sends as it is.

    ``st.plotly_chart`` calls ``plotly.tools.return_figure_from_figure_or_data``, which takes a figure's
    ``to_dict()`` (a deep copy) as already validated, then ``plotly.io.to_json`` (arrays to base64). Here
    ``to_dict()`` returns the stored spec, whose arrays are already base64 strings: the same JSON reaches the
    browser for a fraction of the CPU (measured: 5.6 ms against 0.4 ms for six 1,500-point traces and a
    41x41 heatmap). Never mutate it: it is shared by every tab.
    """

    def __init__(self, spec: dict[str, Any]) -> None:  # no super().__init__: nothing else of a figure is used
        object.__setattr__(self, "_spec", spec)

    def to_dict(self) -> dict[str, Any]:
        return self._spec  # type: ignore[no-any-return]


_serialised: OrderedDict[tuple[int, bool, int | None], tuple[go.Figure, SerialisedFigure]] = OrderedDict()
_serialised_lock = threading.Lock()
_serialising_lock = threading.Lock()
SERIALISED_FIGURES = 24
"""Shared figures kept serialised (a few runs' charts and maps); each holds its figure so its id stays unique."""


def serialised(fig: go.Figure, *, projector: bool, height: int | None) -> SerialisedFigure:
    """``fig`` (as :func:`for_projector` shows it) serialised once, then the same object for every tab."""
    key = (id(fig), projector, height)
    with _serialised_lock:
        hit = _lookup(key, fig)
    if hit is not None:
        return hit
    # One tab serialises a new figure while the others that want it wait for it (not serialise it too: thirty
    # reruns falling due together did the same work thirty times). The GIL runs one of them at a time anyway.
    with _serialising_lock:
        with _serialised_lock:
            hit = _lookup(key, fig)
        if hit is not None:
            return hit
        shown = projector_copy(fig, height=height) if projector else fig
        prepared = SerialisedFigure(integral_arrays_as_int32(json.loads(pio.to_json(shown, validate=False))))
        with _serialised_lock:
            _serialised[key] = (fig, prepared)
            while len(_serialised) > SERIALISED_FIGURES:
                _serialised.popitem(last=False)
    return prepared


INT32_MAX = 2**31 - 1


def integral_arrays_as_int32(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (plotly's JSON form) with each float64 array of whole numbers (training steps, episode lengths, a
    CartPole return) sent as int32: the same values in half the bytes. Plotly.js reads both typed arrays alike
    (plotly.py itself sends an int32 numpy array so). The charts every tab receives carry mostly steps on their x
    axes: a long run's 200 kB a redraw became 165 kB (``tests/test_shared_figures.py``). Changes ``spec`` in place
    and returns it."""
    for trace in spec.get("data", ()):
        for key, value in trace.items():
            if isinstance(value, dict) and value.get("dtype") == "f8" and isinstance(value.get("bdata"), str):
                numbers = np.frombuffer(base64.b64decode(value["bdata"]), dtype="<f8")
                whole = numbers.size and np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers))
                if whole and np.abs(numbers).max() <= INT32_MAX:
                    packed = numbers.astype("<i4").tobytes()  # keeps any other key (a heatmap's "shape")
                    trace[key] = {**value, "dtype": "i4", "bdata": base64.b64encode(packed).decode("ascii")}
    return spec


def _lookup(key: tuple[int, bool, int | None], fig: go.Figure) -> SerialisedFigure | None:
    hit = _serialised.get(key)
    if hit is None or hit[0] is not fig:
        return None
    _serialised.move_to_end(key)
    return hit[1]


def plotly_chart(fig: go.Figure, *, height: int | None = None, shared: bool = False, **kwargs: Any) -> Any:
    """``st.plotly_chart`` of :func:`for_projector` (``fig``); ``height`` applies in projector mode only.

    ``shared``: ``fig`` is a cached figure that many tabs draw (a run's charts, its value map): it is serialised
    once and every tab sends the same spec. Thirty tabs watching a run otherwise spent most of the server's CPU
    copying, encoding and hashing the same figure (``benchmarks/bench_classroom.py``, profiled with py-spy)."""
    if shared:
        return st.plotly_chart(serialised(fig, projector=present_mode(), height=height), **kwargs)
    return st.plotly_chart(for_projector(fig, height=height), **kwargs)
