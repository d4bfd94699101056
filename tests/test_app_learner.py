"""AppTest: the words a learner meets on the pages (explanations, estimates, hints, run names, lessons)."""

from __future__ import annotations

import json

from agents.config.run_config import build_config
from agents.lessons.rewards import LESSONS as REWARD_LESSONS
from agents.runs.manager import get_manager
from tests.test_app_pages import app_at, shown, texts
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
    assert "steps/s measured for CartPole · PPO with the demo preset" in caption, "and what it rests on"
    assert not [w for w in at.sidebar.warning if "Estimated" in w.value]

    at = app_at("pages/train.py", env="MountainCar-v0", algo="dqn")
    assert not at.exception
    (warning,) = [w.value for w in at.sidebar.warning if "Estimated training time" in w.value]
    assert " min**" in warning and "Lower the step budget or turn on *Stop when solved*" in warning
    assert any("steps/s measured for MountainCar · DQN with the zoo preset" in c.value for c in at.sidebar.caption)


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


def test_home_names_the_gridworld_lab_and_the_lessons_as_places_to_start() -> None:
    at = app_at()
    assert not at.exception
    assert "The GridWorld lab" in texts(at) and "gentlest start" in texts(at)
    links = [(link.proto.label, link.proto.page) for link in at.get("page_link")]
    assert ("Open the GridWorld lab", "gridworld") in links
    for lesson in REWARD_LESSONS.values():
        assert any(label == lesson.title for label, _ in links), lesson.title


def test_a_lesson_box_speaks_to_the_learner_and_leaves_test_details_to_the_readme() -> None:
    lesson = REWARD_LESSONS["mountaincar_shaping"]
    at = app_at("pages/train.py", lesson="mountaincar_shaping")
    assert not at.exception
    shown = texts(at)
    assert lesson.summary[:60] in shown and lesson.watch_for[:60] in shown
    assert "Checked by the tests" not in shown and lesson.claim[:40] not in shown
    assert "Estimated training time" in shown, "how long the lesson's runs take, before starting them"


def test_a_flat_mountaincar_curve_points_to_its_shaping_lesson() -> None:
    run = finished_run("MountainCar-v0", "ppo", timesteps=4_200, preset="defaults")  # one env: 21 episodes
    snap = run.snapshot()
    assert len(snap.episode_lengths) >= 20 and min(snap.episode_lengths[-20:]) == 200, "no flag reached: flat"
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    lesson = REWARD_LESSONS["mountaincar_shaping"]
    assert any("Flat by design" in i.value and lesson.flat_curve_hint[:40] in i.value for i in at.info)
    links = [(link.proto.label, link.proto.query_string) for link in at.get("page_link")]
    assert (lesson.title, "lesson=mountaincar_shaping") in links

    at = app_at("pages/train.py", run=finished_run(timesteps=1_000).id)
    assert not any("Flat by design" in i.value for i in at.info), "CartPole's curve is not flat by design"


def test_compare_labels_a_lessons_runs_by_their_variants_and_repeats_what_to_watch_for() -> None:
    lesson = REWARD_LESSONS["cartpole_speed_hack"]
    runs = [get_manager().start(variant.config(), owner="learner-" * 3) for variant in lesson.runs]
    for run in runs:
        run.stop()
        assert run.join(30)
    at = app_at("pages/compare.py", runs=",".join(run.id for run in runs))
    assert not at.exception
    options = at.multiselect[0].options
    for run, variant in zip(runs, lesson.runs, strict=True):
        assert f"{run.name} · {variant.label}" in options
    assert any(lesson.title in shown(i.value) and lesson.watch_for[:50] in shown(i.value) for i in at.info)
