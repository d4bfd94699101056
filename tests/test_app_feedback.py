"""AppTest for the feedback lab page: its settings are checked in place, and Start trains on a learned reward."""

from __future__ import annotations

import json

from agents.runs.manager import get_manager
from tests.test_app_pages import _no_entrypoint_rerun, app_at, run_param  # noqa: F401  (autouse fixture)


def test_the_lab_explains_itself_and_offers_the_automated_labelers() -> None:
    at = app_at("pages/feedback.py")
    assert not at.exception
    assert "Feedback lab" in at.title[0].value
    explainer = " ".join(m.value for m in at.markdown)
    assert "R1" in explainer and "rule" in explainer and "3-5 seconds" in explainer
    assert [str(o) for o in at.radio(key="fb_labeler").options] == [
        "You: watch two clips, click the better one",
        "Oracle: reads the env's true return (Bradley-Terry, as in Christiano et al. 2017)",
        "Rule: you write what 'better' means, in the reward-expression language",
    ]
    start = at.button[0]
    assert start.label == "Start learning from labels" and not start.disabled
    assert at.selectbox(key="fb_env").value == "Pendulum-v1"  # the env where learning from labels works


def test_a_bad_rule_is_refused_under_the_form_and_start_stays_off() -> None:
    at = app_at("pages/feedback.py")
    at.radio(key="fb_labeler").set_value("rule").run()
    at.text_input(key="fb_rule").set_value("__import__('os')").run()
    assert not at.exception
    assert at.error and "rule" in at.error[0].value
    assert at.button[0].disabled


def test_start_trains_on_a_reward_learned_from_oracle_labels() -> None:
    at = app_at("pages/feedback.py")
    at.radio(key="fb_labeler").set_value("oracle").run()
    at.selectbox(key="fb_env").set_value("Pendulum-v1").run()
    at.number_input(key="fb_labels").set_value(10).run()
    at.number_input(key="fb_timesteps").set_value(1000).run()
    at.button[0].click().run()
    assert not at.exception
    run = get_manager().get(run_param(at))
    assert run is not None and run.config.feedback is not None
    assert run.config.feedback.feedback == "oracle" and run.config.feedback.labels == 10
    assert run.config.env_id == "Pendulum-v1"
    assert run.join(120)
    at.run()
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    names = {trace.get("name", "") for spec in specs for trace in spec["data"]}
    assert {"learned return (what the agent optimises), per episode", "true return, per episode"} <= names
    assert {"labels_used", "reward_model_accuracy", "reward_correlation"} <= names  # the reward model's own chart
    titles = {spec["layout"]["title"]["text"]: spec for spec in specs}
    returns = titles["True and learned return per episode"]
    assert {trace.get("yaxis") for trace in returns["data"] if "learned" in trace["name"]} == {"y2"}
    report = run.snapshot().reward_reports[-1]
    scatter = next(spec for title, spec in titles.items() if title.startswith("Learned vs true reward per step"))
    assert f"correlation {report.correlation:.2f}" in scatter["layout"]["title"]["text"]
    assert len(scatter["data"][0]["x"]) == len(report.true) > 0
    curve = titles["Label efficiency: held-out pair accuracy against labels used"]
    assert list(curve["data"][0]["x"]) == [
        r.labels_used for r in run.snapshot().reward_reports if r.accuracy is not None
    ]
    assert "shaped" not in " ".join(c.value for c in at.caption)  # a lab run's words: learned, not shaped


def test_the_labs_lessons_open_with_one_click_and_run_side_by_side() -> None:
    from agents.lessons.rewards import LESSONS

    at = app_at("pages/feedback.py")
    links = {link.label: link for link in at.get("page_link")}
    lab = {lesson_id: lesson for lesson_id, lesson in LESSONS.items() if lesson.lab}
    assert {"feedback_frozen", "feedback_noise", "feedback_labels", "r1_cost"} <= set(lab)
    assert {lesson.title for lesson in lab.values()} <= set(links), "each lesson is one click away"
    lesson_id, lesson = "feedback_noise", lab["feedback_noise"]
    at = app_at("pages/feedback.py", lesson=lesson_id)
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
    assert lesson.summary[:40] in shown and lesson.watch_for[:20] in shown
    assert [b.label for b in at.button if b.label.startswith("Run: ")] == [f"Run: {r.label}" for r in lesson.runs]
    next(b for b in at.button if b.label == "Run all side by side").click().run()
    assert not at.exception
    started = [r for r in get_manager().runs() if r.config.env_id == lesson.runs[0].env_id][: len(lesson.runs)]
    assert sorted(r.config.feedback.label_noise for r in started) == sorted(
        v.config().feedback.label_noise for v in lesson.runs
    )
    for run in started:
        run.stop()


def test_the_train_page_offers_only_lessons_about_shaping() -> None:
    from agents.lessons.rewards import LESSONS

    at = app_at("pages/train.py")
    options = [str(o) for o in at.selectbox(key="lesson_pick").options]
    assert options[0] == "Free play (no lesson)"
    assert set(options[1:]) == {lesson.title for lesson in LESSONS.values() if not lesson.lab}
