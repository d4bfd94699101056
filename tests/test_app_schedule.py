"""The Train page's *Change while training* panel: the run's own settings, a bad value refused under its field with
nothing sent, a change applied, listed and marked on every chart; watchers get no panel."""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest

from agents.config.run_config import build_config
from agents.runs.manager import get_manager
from agents.runs.run import Run
from tests.conftest import wait_until as wait_for
from tests.test_app_pages import _no_entrypoint_rerun, app_at, run_param, shown, texts, wait_until  # noqa: F401  (autouse fixture)
from tests.tiny import TINY

OWNER = "schedule-owner-token-0123"


def running_paused(**settings: object) -> Run:
    """A PPO run with episodes and logged values on its charts, paused so the test decides when it goes on."""
    config = build_config("CartPole-v1", "ppo", preset="defaults", overrides=TINY["ppo"], timesteps=200_000, **settings)  # type: ignore[arg-type]
    run = get_manager().start(config, owner=OWNER)
    assert wait_for(lambda: run.snapshot().episode_steps and run.snapshot().losses, timeout=120), run.error
    run.pause()
    return run


def controlled(run: Run) -> AppTest:
    from ui.common import control_link_token

    return app_at("pages/train.py", run=run.id, control=control_link_token(run))


def field(at: AppTest, run: Run, name: str) -> Any:
    return at.number_input(key=f"change-{run.id}-{name}")


def apply_button(at: AppTest) -> Any:
    return next(b for b in at.button if b.label == "Apply")


def specs(at: AppTest) -> dict[str, dict[str, Any]]:
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {spec["layout"]["title"]["text"]: spec for spec in charts}


def test_a_change_is_refused_out_of_bounds_then_applied_listed_and_marked_on_every_chart() -> None:
    run = running_paused()
    try:
        at = controlled(run)
        assert not at.exception
        assert any(e.label == "Change while training" for e in at.expander)
        assert field(at, run, "learning_rate").value == 0.0003, "each field starts at the value in force"
        assert field(at, run, "clip_range").value == 0.2 and field(at, run, "ent_coef").value == 0.0
        assert not any(n.key == f"change-{run.id}-exploration_rate" for n in at.number_input), "not PPO's"

        field(at, run, "learning_rate").set_value(5.0).run()
        assert any("learning_rate must be between 1e-06 and 1, not 5" in shown(e.value) for e in at.error)
        assert apply_button(at).disabled and "Apply is off" in texts(at)
        assert field(at, run, "learning_rate").value == 5.0, "what was typed stays in its field"
        assert run.config.schedule == {}, "nothing was sent"

        field(at, run, "learning_rate").set_value(0.01).run()
        assert not at.error
        apply_button(at).click().run()
        assert "Sent: learning_rate 0.01" in texts(at) and "when it resumes" in texts(at)
        run.resume()
        assert wait_for(lambda: run.snapshot().schedule, timeout=60), run.error
        ((step, value),) = run.snapshot().schedule["learning_rate"]
        assert value == 0.01
        assert run.config.schedule == {"learning_rate": ((step, 0.01),)}

        at = wait_until(at, lambda a: "Changed while training" in texts(a))
        assert "Changed while training (dotted lines on the charts): lr 0.0003 -> 0.01 at" in texts(at)
        charts = specs(at)
        returns, losses = charts["Return per episode"], charts["What the algorithm logs, each on its own scale"]
        for spec in (returns, losses, charts[next(t for t in charts if t.startswith("Episode length"))]):
            lines = [s for s in spec["layout"]["shapes"] if s.get("name") == "setting changed"]
            assert lines and all(s["x0"] == s["x1"] == step for s in lines)
        axes = [key for key in losses["layout"] if key.startswith("xaxis")]
        assert len([s for s in losses["layout"]["shapes"] if s.get("name") == "setting changed"]) == len(axes) > 1
        (note,) = [a for a in returns["layout"]["annotations"] if a.get("name") == "setting changed"]
        assert note["text"].startswith("lr 0.0003 -> 0.01 at ") and note["text"] in texts(at), "as listed"
    finally:
        run.stop()
        run.join(30)


def test_a_watcher_sees_the_changes_but_no_panel() -> None:
    run = running_paused(schedule={"ent_coef": [(64, 0.01)]})
    try:
        at = app_at("pages/train.py", run=run.id)
        assert not at.exception
        assert not any(e.label == "Change while training" for e in at.expander)
        assert "ent_coef 0 -> 0.01 at 64" in texts(at)
    finally:
        run.stop()
        run.join(30)


def test_a_link_with_a_schedule_starts_a_run_that_applies_it_and_the_sidebar_says_so() -> None:
    at = app_at("pages/train.py", env="CartPole-v1", algo="ppo", schedule="learning_rate=0:0.001,5000:0.0001")
    assert not at.exception and not at.warning
    assert "lr 0.002 -> 0.001 at 0; lr 0.001 -> 0.0001 at 5k" in texts(at), "from the demo preset's 0.002"
    assert at.query_params["schedule"] in ("learning_rate=0:0.001,5000:0.0001", ["learning_rate=0:0.001,5000:0.0001"])

    at.number_input(key="cfg_timesteps").set_value(4_000).run()  # the schedule's step 5,000 is past the budget
    assert any("step must be between 0 and 4_000" in shown(e.value) for e in at.error)
    assert [b.disabled for b in at.button if b.label == "Start training"] == [True], "Start stays off"
    next(b for b in at.button if b.label == "Remove the schedule").click().run()
    assert not at.error and "Schedule" not in texts(at) and "schedule" not in at.query_params

    at = app_at("pages/train.py", env="CartPole-v1", algo="ppo", schedule="learning_rate=0:0.001,5000:0.0001")
    next(b for b in at.button if b.label == "Start training").click().run()
    run = get_manager().get(
        at.query_params["run"] if isinstance(at.query_params["run"], str) else at.query_params["run"][0]
    )
    assert run is not None and run.config.schedule == {"learning_rate": ((0, 0.001), (5_000, 0.0001))}
    run.stop()
    run.join(30)


def test_the_share_link_of_a_run_in_view_carries_the_changes_made_while_it_trained() -> None:
    run = running_paused()
    try:
        run.change_setting("clip_range", 0.15)
        run.resume()
        assert wait_for(lambda: run.snapshot().schedule, timeout=60), run.error
        at = controlled(run)
        step = run.config.schedule["clip_range"][0][0]
        links = [c.value for c in at.code if "/train?" in c.value]
        assert any(f"schedule=clip_range%3D{step}%3A0.15" in link for link in links), links
        assert at.query_params["schedule"] in (f"clip_range={step}:0.15", [f"clip_range={step}:0.15"])
    finally:
        run.stop()
        run.join(30)
