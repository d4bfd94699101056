"""Projector mode (``present=1``): large chart text on every page, the mode kept across page switches and
written back into the address, turned off by ``present=0`` or the sidebar switch; charts shared with other
viewers keep their normal text."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.test_app_gridworld import press
from tests.test_app_learner import finished_run
from tests.test_app_pages import APP, TIMEOUT, _no_entrypoint_rerun, app_at  # noqa: F401  (autouse fixture)
from ui.present import CHART_FONT_PX


def chart_fonts(at: AppTest) -> list[tuple[object, ...]]:
    """(font, x tick font, y tick font, legend font) of every plotly chart on the page, from its spec."""
    fonts = []
    for chart in at.get("plotly_chart"):
        layout = json.loads(chart.proto.spec)["layout"]
        fonts.append(
            (
                layout.get("font", {}).get("size"),
                layout.get("xaxis", {}).get("tickfont", {}).get("size"),
                layout.get("yaxis", {}).get("tickfont", {}).get("size"),
                layout.get("legend", {}).get("font", {}).get("size"),
            )
        )
    return fonts


def present_param(at: AppTest) -> str | None:
    value = at.query_params.get("present")
    return value[-1] if isinstance(value, list) else value


def app(**query: str) -> AppTest:
    """The whole app (``app.py``, its chrome and the default page), as a browser opens it."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at.run()


def test_a_link_opens_projector_mode_and_the_address_keeps_saying_it() -> None:
    at = app(present="on")
    assert not at.exception
    assert at.session_state["present_mode"] is True
    assert present_param(at) == "1", "the address holds the mode in one word"
    assert at.toggle(key="present_switch").value is True


def test_run_charts_get_projector_text_and_the_shared_figures_keep_theirs() -> None:
    run = finished_run(timesteps=1_000)
    at = app_at("pages/train.py", run=run.id, present="1")
    assert not at.exception
    fonts = chart_fonts(at)
    assert fonts, "the run's charts are drawn"
    for font, x_ticks, y_ticks, legend in fonts:
        assert font >= 18 and x_ticks >= 18 and y_ticks >= 18 and legend >= 18, fonts  # type: ignore[operator]
    returns = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert returns["height"] <= 360, "the return chart leaves room for the metrics above it on a 720 px screen"

    plain = app_at("pages/train.py", run=run.id)  # another viewer, same cached figures: normal text
    assert all(font[0] < 18 for font in chart_fonts(plain)), chart_fonts(plain)


def test_compare_and_gridworld_charts_get_projector_text() -> None:
    run = finished_run(timesteps=1_000)
    at = app_at("pages/compare.py", runs=run.id, present="1")
    assert not at.exception
    ((font, x_ticks, y_ticks, legend),) = chart_fonts(at)
    assert min(font, x_ticks, y_ticks, legend) >= CHART_FONT_PX  # type: ignore[type-var]
    at = press(app_at("pages/gridworld.py", layout="corridor", present="1"), "Episode")  # a return to chart
    assert all(font[0] >= 18 for font in chart_fonts(at)) and len(chart_fonts(at)) == 2


def test_the_switch_and_present_0_turn_the_mode_off() -> None:
    """(That the mode survives a page switch, whose address has no query, is checked in a real browser:
    AppTest runs the page alone after its first run, without ``app.py``.)"""
    at = app(present="1")
    at.toggle(key="present_switch").set_value(False).run()
    assert at.session_state["present_mode"] is False and present_param(at) is None

    at = app(present="0")
    assert at.session_state["present_mode"] is False and present_param(at) is None
    assert at.toggle(key="present_switch").value is False


def test_a_present_value_outside_the_vocabulary_is_refused_with_a_warning() -> None:
    at = app(present="loud")
    assert not at.exception
    assert at.session_state["present_mode"] is False
    assert any("present" in warning.value and "loud" in warning.value for warning in at.warning)
