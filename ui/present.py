"""Projector mode: ``present=1`` in any page's link, or the sidebar's *Projector mode* switch.

For a teacher at a 1280x720 projector: chart text at least :data:`CHART_FONT_PX` pixels (plotly's default is
12, ours 14, beside 38 px metrics), the sidebar and its configuration folded away, and the Train page's run
(curve, evaluation episode and metrics) on one screen. The mode belongs to the browser session: once on, it
stays on across page switches and is written back into every page's address, so a copied link opens in
projector mode too; ``present=0`` (or the switch) turns it off.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
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
    if not present_mode():
        return fig
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


def plotly_chart(fig: go.Figure, *, height: int | None = None, **kwargs: Any) -> Any:
    """``st.plotly_chart`` of :func:`for_projector` (``fig``); ``height`` applies in projector mode only."""
    return st.plotly_chart(for_projector(fig, height=height), **kwargs)
