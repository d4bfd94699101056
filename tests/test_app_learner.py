"""AppTest: the words a learner meets on the pages (explanations, estimates, hints, run names, lessons)."""

from __future__ import annotations

import json

from agents.config.run_config import build_config
from agents.runs.manager import get_manager
from tests.test_app_pages import app_at, texts
from ui.common import plain
from ui.glossary import TERMS, logged_value


def finished_run(env_id: str = "CartPole-v1", algo: str = "ppo", timesteps: int = 3_000, **kwargs: object):  # type: ignore[no-untyped-def]
    run = get_manager().start(build_config(env_id, algo, timesteps=timesteps, **kwargs), owner="learner-" * 3)  # type: ignore[arg-type]
    assert run.join(120), "the run did not finish"
    return run


def test_a_runs_numbers_and_charts_are_explained_where_they_appear() -> None:
    run = finished_run()
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    helps = {m.label: m.help for m in at.metric}
    assert helps["Episodes"] == TERMS["episode"]
    assert (
        TERMS["mean of last 20"] in helps["Mean return, last 20"] and TERMS["return"] in helps["Mean return, last 20"]
    )
    assert "475" in helps["Solved"]
    shown = texts(at)
    assert "Each dot is one episode's **return**" in shown and "dashed line at 475" in shown
    assert TERMS["episode length"] in shown and TERMS["logged values"] in shown

    spec = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if "own scale" in json.loads(c.proto.spec)["layout"]["title"]["text"]
    )
    names = [trace["name"] for trace in spec["data"]]
    assert names[:2] == ["explained_variance", "value_loss"], "the informative values come first"
    assert len({trace["yaxis"] for trace in spec["data"]}) == len(names), "each on its own scale"
    (expander,) = [e for e in at.expander if e.label == "What these values mean"]
    explained = "\n".join(m.value for m in expander.markdown)
    for name in names:
        assert f"`{name}`" in explained and logged_value("ppo", name).text in explained


def test_the_train_page_estimates_the_run_time_before_start_and_warns_of_a_long_one() -> None:
    at = app_at("pages/train.py", env="CartPole-v1", algo="ppo")
    assert not at.exception
    (caption,) = [c.value for c in at.sidebar.caption if "Estimated training time" in c.value]
    assert "steps/s measured for CartPole · PPO with the demo preset" in caption
    assert not [w for w in at.sidebar.warning if "Estimated" in w.value]

    at = app_at("pages/train.py", env="MountainCar-v0", algo="dqn")
    assert not at.exception
    (warning,) = [w.value for w in at.sidebar.warning if "Estimated training time" in w.value]
    assert " min**" in warning and "Lower the step budget or turn on *Stop when solved*" in warning


def test_an_embedded_reader_sees_the_estimate_too() -> None:
    at = app_at("pages/train.py", env="CartPole-v1", algo="ppo", hide_controls="1")
    assert not at.exception
    assert any("Estimated training time" in c.value for c in at.caption)


def test_a_run_is_shown_by_its_readable_name_on_train_runs_and_compare() -> None:
    run = finished_run(timesteps=1_000)
    assert run.name.startswith("CartPole · PPO · seed 0 · #")
    at = app_at("pages/train.py", run=run.id)
    assert any(m.value.startswith(f"### {plain(run.name)} ") for m in at.markdown)
    at = app_at("pages/runs.py")
    table = at.dataframe[0].value
    assert table[table["run"] == run.id].iloc[0]["name"] == run.name
    at = app_at("pages/compare.py", runs=run.id)
    assert not at.exception
    assert run.name in at.multiselect[0].options
