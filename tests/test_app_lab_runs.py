"""AppTest: a lab run is an ordinary run. Its link opens the lab with every feedback field, a bad rule in a link is
refused in words, its run opens in the lab from the Train page and from Runs, and Runs and Compare show its labels."""

from __future__ import annotations

import json

import pytest

from agents.config.run_config import RunConfig, build_config
from agents.config.share import config_to_query
from agents.runs.manager import get_manager
from agents.runs.run import RunStatus
from tests.test_app_pages import _no_entrypoint_rerun, app_at, run_param, texts  # noqa: F401  (autouse fixture)

TINY_PPO = {"n_steps": 64, "batch_size": 32, "n_epochs": 1, "net_arch": "32"}


def _lab_config(seed: int = 0) -> RunConfig:
    feedback = {
        "feedback": "oracle",
        "labels": "10",
        "initial_labels": "10",
        "fragment_length": "10",
        "label_noise": "0.1",
    }
    return build_config("Pendulum-v1", "ppo", seed=seed, timesteps=640, overrides=TINY_PPO, feedback=feedback)


@pytest.fixture(scope="module")
def lab_run_id() -> str:
    run = get_manager().start(_lab_config())
    assert run.join(120) and run.status == RunStatus.FINISHED, run.error
    return run.id


def test_a_share_link_fills_the_lab_with_every_feedback_field_and_starts_that_run() -> None:
    config = build_config(
        "FixedHorizonCartPole-v0",
        "ppo",
        seed=4,
        timesteps=1_000,
        feedback={
            "feedback": "rule",
            "rule": "-abs(theta)",
            "labels": "12",
            "initial_labels": "12",
            "fragment_length": "30",
        },
    )
    at = app_at("pages/feedback.py", **config_to_query(config))
    assert not at.exception and not at.warning
    assert at.radio(key="fb_labeler").value == "rule" and at.text_input(key="fb_rule").value == "-abs(theta)"
    assert at.number_input(key="fb_labels").value == 12 and at.number_input(key="fb_fragment_length").value == 30
    assert at.number_input(key="fb_seed").value == 4
    assert at.query_params["feedback"] in ("rule", ["rule"])  # the address stays a share link
    at.button[0].click().run()
    run = get_manager().get(run_param(at))
    assert run is not None and run.config == config
    run.stop()
    run.join(30)


def test_a_bad_rule_in_a_link_is_refused_in_words_and_the_oracle_labels() -> None:
    at = app_at("pages/feedback.py", env="FixedHorizonCartPole-v0", feedback="rule", rule="__import__('os')")
    assert not at.exception
    assert any("rule" in w.value and "oracle labels instead" in w.value for w in at.warning)
    assert at.radio(key="fb_labeler").value == "oracle"
    assert "rule" not in at.query_params and at.query_params["feedback"] in ("oracle", ["oracle"])  # what runs


def test_a_lab_run_opened_on_the_train_page_opens_in_the_lab(lab_run_id: str) -> None:
    at = app_at("pages/train.py", run=lab_run_id)
    assert not at.exception
    assert at.title[0].value == "Feedback lab"
    assert at.selectbox(key="fb_env").value == "Pendulum-v1" and at.number_input(key="fb_labels").value == 10
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    assert "True and learned return per episode" in titles
    assert any(title.startswith("Learned vs true reward per step") for title in titles)


def test_runs_lists_a_lab_run_with_its_labels_and_shows_its_reward_model(lab_run_id: str) -> None:
    at = app_at("pages/runs.py")
    table = at.dataframe[0].value
    row = table[table["run"] == lab_run_id].iloc[0]
    assert "10 oracle labels" in row["name"]
    assert int(row["labels"]) == 10
    position = list(table["run"]).index(lab_run_id)
    at.session_state["runs_table"] = {"selection": {"rows": [position], "columns": []}}
    at.run()
    assert not at.exception
    assert [link.proto.label for link in at.get("page_link")] == ["Open in the feedback lab"]
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    assert any(title.startswith("Learned vs true reward per step: correlation") for title in titles)
    assert "Label efficiency: held-out pair accuracy against labels used" in titles


def test_compare_shows_a_lab_run_with_its_labeler_and_labels(lab_run_id: str) -> None:
    at = app_at("pages/compare.py", runs=lab_run_id)
    assert not at.exception
    legend = [trace.get("name", "") for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert any("learned from 10 oracle labels" in name for name in legend)
    summary = at.dataframe[0].value
    assert int(summary.iloc[0]["labels"]) == 10
    assert "pay in labels too" in texts(at)
    at.toggle(key="compare_shaped").set_value(True).run()
    assert "normalised reward" in texts(at)


def test_a_lab_lesson_link_shows_the_lesson_not_the_run_viewed_before(
    lab_run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.lessons_panel

    lesson_id, lesson = next(iter(ui.lessons_panel.LESSONS.items()))  # any lesson, offered as one of the lab's
    monkeypatch.setitem(ui.lessons_panel.LAB_LESSONS, lesson_id, lesson)
    at = app_at("pages/feedback.py", run=lab_run_id)
    at.query_params.clear()
    at.query_params["lesson"] = lesson_id
    at.run()
    assert not at.exception
    assert at.title[-1].value == lesson.title
