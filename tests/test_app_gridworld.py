"""AppTest for the GridWorld lab: stepping, editing, settings that apply at once, lessons and share links.

AppTest cannot click inside a plotly chart, so a selected cell is set the way the chart's callback sets it
(``gw_selected`` in the session state); the real click is in ``tests/browser/test_gridworld.py``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from agents.algos.tabular import AGENTS
from agents.lessons.gridworld import LESSONS
from envs.gridworld import LAYOUTS, GridLayout
from tests.test_app_pages import _no_entrypoint_rerun, app_at, shown  # noqa: F401  (autouse fixture)

PAGE = "pages/gridworld.py"


def lab_at(**query: str) -> AppTest:
    at = app_at(PAGE, **query)
    assert not at.exception
    return at


def grid_spec(at: AppTest) -> dict:
    """The grid figure as sent to the browser (the first plotly chart on the page)."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def heatmap(at: AppTest) -> np.ndarray:
    """The heatmap's values as drawn (None, for walls and exits, becomes nan)."""
    trace = grid_spec(at)["data"][0]
    assert trace["type"] == "heatmap"
    return np.array(trace["z"], dtype=float)


def trace_named(at: AppTest, name: str) -> dict | None:
    return next((t for t in grid_spec(at)["data"] if t.get("name") == name), None)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def press(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception
    return at


def query(at: AppTest, key: str) -> str:
    value = at.query_params[key]
    return value if isinstance(value, str) else value[0]


def test_every_named_layout_renders_and_steps() -> None:
    at = lab_at()
    for name, layout in LAYOUTS.items():
        at.selectbox(key="gw_layout_name").set_value(name).run()
        press(at, "Step")
        assert heatmap(at).shape == (layout.height, layout.width), name
        assert GridLayout.from_string(query(at, "layout")) == layout


def test_every_tabular_algorithm_renders_steps_and_plays_an_episode() -> None:
    at = lab_at()
    for algo in AGENTS:
        at.selectbox(key="gw_algo").set_value(algo).run()
        press(at, "Step")
        press(at, "Episode")
        assert len(at.get("plotly_chart")) == 2, algo  # the grid and the return per episode
        assert query(at, "algo") == algo


def test_step_moves_the_agent_and_leaves_a_trail() -> None:
    at = lab_at(layout="corridor")
    assert metrics(at)["Steps"] == "0" and trace_named(at, "trail") is None
    for _ in range(3):
        press(at, "Step")
    assert metrics(at)["Steps"] == "3"
    trail = trace_named(at, "trail")
    assert trail is not None and len(trail["x"]) == 4  # the start and three moves


def test_episode_adds_a_return_to_the_chart() -> None:
    at = press(lab_at(layout="corridor"), "Episode")
    assert metrics(at)["Episodes"] == "1"
    returns = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert returns["data"][0]["name"] == "return per episode"
    assert metrics(at)["Last return"] != "–"


def test_a_planner_step_is_one_sweep_and_changes_the_values() -> None:
    at = lab_at(algo="value_iteration")
    before = heatmap(at)
    press(at, "Step")
    assert metrics(at)["Sweeps"] == "1"
    assert not np.allclose(np.nan_to_num(heatmap(at)), np.nan_to_num(before))


def test_reset_forgets_what_was_learnt() -> None:
    at = lab_at(layout="corridor")
    for _ in range(2):
        press(at, "Episode")
    press(at, "Reset")
    assert metrics(at)["Episodes"] == "0" and metrics(at)["Steps"] == "0"
    assert np.nanmax(np.abs(heatmap(at))) == 0


def test_gamma_alpha_and_epsilon_apply_at_once_without_a_reset() -> None:
    at = lab_at(layout="corridor")
    for _ in range(3):
        press(at, "Episode")
    learnt = heatmap(at)
    assert np.nanmax(np.abs(learnt)) > 0
    at.slider(key="gw_gamma").set_value(0.5).run()
    at.slider(key="gw_learning_rate").set_value(0.5).run()
    at.slider(key="gw_epsilon").set_value(0.3).run()
    assert not at.exception
    agent = at.session_state["gw_lab"].agent
    assert agent.hyperparams["gamma"] == 0.5 and agent.hyperparams["learning_rate"] == 0.5
    assert metrics(at)["ε"] == "0.30" and metrics(at)["Episodes"] == "3"
    assert np.array_equal(heatmap(at), learnt, equal_nan=True)  # nothing learnt was lost
    assert (query(at, "gamma"), query(at, "learning_rate"), query(at, "epsilon")) == ("0.5", "0.5", "0.3")


def test_q_values_toggle_writes_four_values_per_open_cell() -> None:
    at = lab_at()  # 4x3: 9 open cells (12 minus a wall and two exits)
    assert trace_named(at, "Q-values") is None
    at.toggle(key="gw_show_q").set_value(True).run()
    q_trace = trace_named(at, "Q-values")
    assert q_trace is not None and len(q_trace["text"]) == 4 * 9


def test_run_steps_a_batch_per_tick_and_a_planner_pauses_when_converged() -> None:
    at = lab_at(layout="corridor")
    press(at, "Run")
    assert [b.label for b in at.button if b.label in ("Run", "Pause")] == ["Pause"]
    at.run()  # AppTest never fires the timer: each run is one tick
    assert int(metrics(at)["Steps"].replace(",", "")) >= 10
    press(at, "Pause")
    at.selectbox(key="gw_algo").set_value("value_iteration").run()
    press(at, "Run")
    for _ in range(5):
        at.run()
    assert [b.label for b in at.button if b.label in ("Run", "Pause")] == ["Run"]
    assert next(m for m in at.metric if m.label == "Sweeps").delta == "converged"


def test_editing_a_selected_cell_changes_the_grid_and_the_link() -> None:
    at = lab_at(algo="value_iteration")
    at.session_state["gw_selected"] = (1, 0)  # what a click on the grid's cell (1, 0) does
    at.run()
    assert any("Cell (1, 0): empty" in m.value for m in at.markdown)
    at.button_group(key="gw_kind").set_value("wall").run()
    assert not at.exception
    layout = GridLayout.from_string(query(at, "layout"))
    assert layout.kind((1, 0)) == "wall"
    assert np.isnan(heatmap(at)[0, 1])
    next(b for b in at.button if b.label == "Cycle").click().run()  # wall -> reward cell
    assert GridLayout.from_string(query(at, "layout")).kind((1, 0)) == "reward"
    at.number_input(key="gw_reward").set_value(2.5).run()
    assert GridLayout.from_string(query(at, "layout")).cell_rewards[(1, 0)] == 2.5


def test_removing_the_start_is_refused_with_a_warning() -> None:
    at = lab_at()
    at.session_state["gw_selected"] = LAYOUTS["4x3"].start
    at.run()
    at.button_group(key="gw_kind").set_value("wall").run()
    assert any("start cannot be removed" in shown(w.value) for w in at.warning)
    assert GridLayout.from_string(query(at, "layout")) == LAYOUTS["4x3"]


def test_a_planner_shows_the_bellman_backup_of_the_selected_cell() -> None:
    at = lab_at(algo="value_iteration")
    press(at, "Step")
    press(at, "Step")
    at.session_state["gw_selected"] = (2, 2)
    at.run()
    backup = at.code[0].value
    lab = at.session_state["gw_lab"]
    value = lab.agent.state_values()[lab.layout.state_of((2, 2))]
    assert backup.count("\n") == 3 and "← chosen" in backup  # one line per action
    assert f"= {value:.4g}  ← chosen" in backup


@pytest.mark.parametrize("lesson_id", ["cliff", "discount"])
def test_a_lesson_loads_its_layout_algorithm_and_settings(lesson_id: str) -> None:
    lesson = LESSONS[lesson_id]
    setup = lesson.setups[0]
    at = lab_at()
    at.selectbox(key="gw_lesson_pick").set_value(lesson_id).run()
    next(b for b in at.button if b.label == f"Load: {setup.label}").click().run()
    assert not at.exception
    assert GridLayout.from_string(query(at, "layout")) == setup.grid
    assert at.selectbox(key="gw_algo").value == setup.algo
    assert at.slider(key="gw_gamma").value == setup.hyperparams.get("gamma", 0.99)
    assert lesson.watch_for in "\n".join(m.value for m in at.markdown)


def test_a_share_link_restores_layout_and_settings() -> None:
    edited = LAYOUTS["bridge"].with_cell((0, 0), "wall").to_string()
    at = lab_at(layout=edited, algo="sarsa", gamma="0.9", learning_rate="0.3", epsilon="0.05", seed="7")
    assert not at.warning
    assert at.selectbox(key="gw_layout_name").value == "custom"
    assert at.selectbox(key="gw_algo").value == "sarsa"
    assert (at.slider(key="gw_gamma").value, at.slider(key="gw_epsilon").value) == (0.9, 0.05)
    assert at.number_input(key="gw_seed").value == 7
    assert np.isnan(heatmap(at)[0, 0]) and heatmap(at).shape == (5, 9)
    assert query(at, "layout") == edited


def test_a_malformed_link_warns_escaped_and_falls_back() -> None:
    at = app_at(PAGE, layout="S*..A~A1", algo="<b>x</b>", gamma="7")
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("layout could not be read" in w and "'\\*'" in w for w in warnings)  # shown as typed, inert
    assert any("\\<b\\>x\\</b\\>" in w for w in warnings)
    assert any("gamma was ignored" in w for w in warnings)
    assert at.selectbox(key="gw_layout_name").value == "4x3"
    assert at.selectbox(key="gw_algo").value == "q_learning"
    assert GridLayout.from_string(query(at, "layout")) == LAYOUTS["4x3"]
