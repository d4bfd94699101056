"""The Train page's value and policy map: drawn from the run's latest map for an env with a state slice, titled
with its step and slice, the action map alone (and why) for an algorithm without a critic, nothing elsewhere."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.test_app_learner import finished_run
from tests.test_app_pages import _no_entrypoint_rerun, app_at  # noqa: F401  (autouse fixture)


def specs(at: AppTest) -> dict[str, dict[str, Any]]:
    """Every plotly chart on the page by its title."""
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {spec["layout"]["title"]["text"]: spec for spec in charts}


def plotly_array(data: Any) -> np.ndarray:
    """An array of a figure's spec: a list, or plotly's typed array (``{"dtype", "bdata", "shape"}``, base64)."""
    if isinstance(data, dict):
        flat = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
        return flat.reshape([int(n) for n in str(data.get("shape", len(flat))).split(",")])
    return np.asarray(data, dtype=float)


def test_a_mountain_car_run_shows_what_its_critic_expects_and_what_it_would_do() -> None:
    run = finished_run("MountainCar-v0", "ppo", timesteps=2_000)
    value_map = run.snapshot().value_map
    assert value_map is not None
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    step = f"step {value_map.step:,}"
    assert any(f"Inside the agent at {step}" in m.value and "position × velocity" in m.value for m in at.markdown)
    charts = specs(at)
    values = charts[f"V(s), what it expects, {step}"]
    heatmap = values["data"][0]
    assert heatmap["type"] == "heatmap"
    np.testing.assert_allclose(plotly_array(heatmap["z"]), value_map.values, rtol=1e-6)
    assert values["layout"]["xaxis"]["title"]["text"] == "position (m)"
    path = next(trace for trace in values["data"] if trace.get("name", "").startswith("evaluation episode"))
    assert len(path["x"]) == len(value_map.path) > 1
    actions = charts[f"greedy action, what it would do, {step}"]
    legend = [trace["name"] for trace in actions["data"] if trace["type"] == "scatter" and trace.get("x") == [None]]
    assert legend == ["accelerate left", "don't accelerate", "accelerate right"]
    assert any("The white line is the latest evaluation episode" in c.value for c in at.caption)


def test_grpo_shows_its_policy_only_and_says_it_has_no_critic() -> None:
    run = finished_run("Pendulum-v1", "grpo", timesteps=2_000)
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    titles = list(specs(at))
    assert not any("what it expects" in title for title in titles)
    (action_map,) = [specs(at)[title] for title in titles if "what it would do" in title]
    heatmap = action_map["data"][0]
    assert heatmap["colorbar"]["title"]["text"] == "torque (N·m)" and (heatmap["zmin"], heatmap["zmax"]) == (-2, 2)
    assert any("GRPO has no value function (no critic)" in c.value for c in at.caption)


def test_an_env_without_a_state_slice_shows_no_map() -> None:
    run = finished_run("FrozenLake-v1", "dqn", timesteps=1_000)
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    assert run.snapshot().value_map is None
    assert not any("what it" in title for title in specs(at))
    assert not any("Inside the agent" in m.value for m in at.markdown)
