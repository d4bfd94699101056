"""AppTest for every page: what a person sees and can do, without a browser.

``run_every`` never fires under AppTest, so each ``at.run()`` is one full rerun; runs the tests start are
stopped by the autouse fixture in ``conftest.py``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agents.config.run_config import build_config
from agents.runs.manager import get_manager
from agents.runs.run import RunStatus

TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def _no_entrypoint_rerun(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest resets Streamlit's legacy ``pages/`` flag before every run, so the production guard
    (rerun once through app.py on a fresh server) would rerun every AppTest run and swallow its clicks."""
    import ui.common

    monkeypatch.setattr(ui.common, "require_entrypoint", lambda: None)


def app_at(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    if page:
        at.switch_page(page)
    return at.run()


def shown(markdown: str) -> str:
    """Text as the reader sees it: untrusted text is Markdown-escaped before it is drawn."""
    return markdown.replace("\\", "")


def run_param(at: AppTest) -> str:
    """The ``run`` query parameter the page set (AppTest keeps a string or a list, by version)."""
    value = at.query_params["run"]
    return value if isinstance(value, str) else value[0]


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for kind in (at.info, at.warning, at.error, at.success) for e in kind]
    return shown("\n".join(str(p) for p in parts))


def wait_until(at: AppTest, predicate, timeout: float = 30.0) -> AppTest:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        if predicate(at):
            return at
        time.sleep(0.3)
    raise AssertionError(f"the page did not reach the expected state; it shows:\n{texts(at)}")


def test_home_explains_rl_and_offers_one_click_training() -> None:
    at = app_at()
    assert not at.exception
    intro = texts(at)
    assert "agent" in intro and "environment" in intro and "reward" in intro
    assert [b.label for b in at.button] == ["Train CartPole now"]


def test_home_button_starts_cartpole_and_opens_its_run() -> None:
    at = app_at()
    at.button[0].click().run()
    assert not at.exception
    run = get_manager().get(run_param(at))
    assert run is not None and run.config.env_id == "CartPole-v1" and run.config.algo == "ppo"


def test_train_page_offers_every_env_and_algorithm_with_schema_widgets() -> None:
    at = app_at("pages/train.py")
    assert not at.exception
    env_box = at.selectbox(key="cfg_env")
    assert "CartPole-v1" in env_box.options[0] and len(env_box.options) >= 9
    hp_labels = {n.label for n in at.number_input}
    assert {"learning_rate", "gamma", "n_steps", "batch_size", "n_epochs"} <= hp_labels
    assert any(b.label == "Start training" and not b.disabled for b in at.button)


def test_an_incompatible_choice_is_explained_and_cannot_start() -> None:
    at = app_at("pages/train.py")
    at.selectbox(key="cfg_env").set_value("Pendulum-v1").run()
    at.selectbox(key="cfg_algo").set_value("dqn").run()
    assert not at.exception
    assert any("continuous action" in shown(w.value) for w in at.warning)
    assert [b.disabled for b in at.button if b.label == "Start training"] == [True]


def test_changing_the_algorithm_loads_its_preset() -> None:
    at = app_at("pages/train.py")
    at.selectbox(key="cfg_env").set_value("Pendulum-v1").run()
    assert at.selectbox(key="cfg_algo").value == "ppo"  # the learner's algorithm is kept where it applies
    at.selectbox(key="cfg_algo").set_value("sac").run()
    assert at.selectbox(key="cfg_preset").value == "demo"
    assert at.selectbox(key="hp_net_arch").value == "64x64"  # the demo preset's small net, not SAC's 256x256
    at.selectbox(key="cfg_preset").set_value("zoo").run()
    assert at.selectbox(key="hp_net_arch").value == "256x256"


def test_an_out_of_bounds_value_is_refused_in_place() -> None:
    at = app_at("pages/train.py")
    at.selectbox(key="cfg_preset").set_value("defaults").run()
    at.number_input(key="hp_batch_size").set_value(8192).run()
    assert not at.exception
    assert any("batch_size (8192) must not exceed" in shown(e.value) for e in at.error)
    assert [b.disabled for b in at.button if b.label == "Start training"] == [True]


def test_start_shows_the_run_live_and_stop_ends_it() -> None:
    at = app_at("pages/train.py")
    next(b for b in at.button if b.label == "Start training").click().run()
    run_id = run_param(at)
    at = wait_until(at, lambda a: any(m.label == "Episodes" and m.value not in ("0", "–") for m in a.metric))
    charts = at.get("plotly_chart")
    assert charts, "the return chart is drawn"
    spec = json.loads(charts[0].proto.spec)
    assert spec["data"] and spec["layout"]["title"]["text"] == "Return per episode"
    next(b for b in at.button if b.label == "Stop").click().run()
    run = get_manager().get(run_id)
    assert run is not None and run.join(5) and run.status == RunStatus.STOPPED


def test_pause_and_resume_from_the_page() -> None:
    at = app_at("pages/train.py")
    next(b for b in at.button if b.label == "Start training").click().run()
    run = get_manager().get(run_param(at))
    assert run is not None
    at = wait_until(at, lambda a: any(b.label == "Pause" for b in a.button))
    next(b for b in at.button if b.label == "Pause").click().run()
    assert run.status == RunStatus.PAUSED
    assert any(b.label == "Resume" for b in at.button)
    next(b for b in at.button if b.label == "Resume").click().run()
    # still STARTING when the pause came before the worker's first step: it trains once it has built its model
    assert run.status in (RunStatus.RUNNING, RunStatus.STARTING)
    assert wait_until(at, lambda a: run.status == RunStatus.RUNNING and run.snapshot().timesteps > 0)


def test_watchers_cannot_control_someone_elses_run() -> None:
    run = get_manager().start(build_config("CartPole-v1", "ppo", timesteps=20_000), owner="someone-else-token-123")
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    assert "You are watching this run" in texts(at)
    assert not any(b.label in ("Stop", "Pause") for b in at.button)


@pytest.mark.parametrize("run_id", ["../../etc/passwd", "<script>alert(1)</script>", "20990101-000000-abcdef"])
def test_bad_or_unknown_run_ids_are_explained(run_id: str) -> None:
    at = app_at("pages/train.py", run=run_id)
    assert not at.exception
    assert any("run id is not valid" in w.value or "No run with this id" in shown(w.value) for w in at.warning)


def test_a_failed_run_shows_its_reason_not_a_traceback() -> None:
    config = build_config("CartPole-v1", "ppo", timesteps=5_000, shaping={"reward_expr": "reward / (t - 3)"})
    run = get_manager().start(config, owner="x" * 20)
    assert run.join(30)
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    assert run.status == RunStatus.FAILED
    assert any("This run failed" in shown(e.value) for e in at.error)


def test_a_reward_expression_previews_before_training() -> None:
    at = app_at("pages/train.py")
    at.text_input(key="sh_reward_expr").input("reward - 0.5 * abs(x)").run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert list(preview.columns) == ["t", "env reward", "shaped"]
    assert (preview["shaped"] <= preview["env reward"]).all() and (preview["shaped"] != preview["env reward"]).any()
    assert [b.disabled for b in at.button if b.label == "Start training"] == [False]
    assert "reward_expr" in at.query_params


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("obs.tofile('x')", "attribute access"),
        ("os + 1", "unknown name 'os'"),
    ],
)
def test_a_hostile_expression_is_refused_in_place(expression: str, message: str) -> None:
    at = app_at("pages/train.py")
    at.text_input(key="sh_reward_expr").input(expression).run()
    assert not at.exception
    assert any(message in shown(e.value) for e in at.error), [shown(e.value) for e in at.error]
    assert [b.disabled for b in at.button if b.label == "Start training"] == [True]


def test_a_shared_shaping_is_restored_from_the_link() -> None:
    at = app_at("pages/train.py", env="MountainCar-v0", algo="dqn", potential="energy", living_reward="0.5")
    assert not at.exception
    assert at.selectbox(key="sh_potential").value == "energy"
    assert at.number_input(key="sh_living_reward").value == 0.5


def _pairs() -> list[tuple[str, str]]:
    from agents.algos.registry import compatible_algos
    from envs.registry import ENVS

    return [(env_id, algo.id) for env_id, env in ENVS.items() for algo in compatible_algos(env)]


@pytest.mark.parametrize(("env_id", "algo_id"), _pairs())
def test_every_env_and_algorithm_pair_draws_its_controls(env_id: str, algo_id: str) -> None:
    at = app_at("pages/train.py", env=env_id, algo=algo_id)
    assert not at.exception
    assert at.selectbox(key="cfg_env").value == env_id and at.selectbox(key="cfg_algo").value == algo_id
    problems = [w.value for w in at.warning if "Estimated training time" not in w.value]  # a long run's is expected
    assert not problems, problems
    assert [b.disabled for b in at.button if b.label == "Start training"] == [False]


def test_embed_hides_the_controls_and_starts_the_authors_configuration() -> None:
    at = app_at("pages/train.py", env="Acrobot-v1", algo="ppo", seed="4", hide_controls="1")
    assert not at.exception
    assert not at.sidebar.selectbox and not at.sidebar.number_input  # no controls for the reader
    next(b for b in at.button if b.label == "Start training").click().run()
    run = get_manager().get(run_param(at))
    assert run is not None and (run.config.env_id, run.config.algo, run.config.seed) == ("Acrobot-v1", "ppo", 4)


@pytest.mark.parametrize("word", ["1", "True", "yes", "on"])
def test_hide_controls_reads_every_word_for_yes(word: str) -> None:
    at = app_at("pages/train.py", env="Acrobot-v1", algo="ppo", hide_controls=word)
    assert not at.exception
    assert not at.sidebar.selectbox and not at.warning
    assert any(b.label == "Start training" for b in at.button)


def test_hide_controls_with_a_word_outside_the_vocabulary_shows_the_controls_and_says_why() -> None:
    at = app_at("pages/train.py", hide_controls="maybe")
    assert not at.exception
    assert at.sidebar.selectbox(key="cfg_env")
    assert any("hide_controls" in shown(w.value) and "maybe" in shown(w.value) for w in at.warning)


def test_a_lesson_loads_its_configuration_and_explains_what_to_watch() -> None:
    from agents.lessons.rewards import LESSONS

    lesson_id, lesson = next(iter(LESSONS.items()))
    at = app_at("pages/train.py")
    at.selectbox(key="lesson_pick").set_value(lesson_id).run()
    assert not at.exception
    first = lesson.runs[0]
    assert at.selectbox(key="cfg_env").value == first.env_id and at.selectbox(key="cfg_algo").value == first.algo
    assert any("What to watch for" in shown(i.value) for i in at.info)
    assert any(b.label.startswith("Run: ") for b in at.button)
    if len(lesson.runs) > 1:
        next(b for b in at.button if b.label == "Run all side by side").click().run()
        started = [r for r in get_manager().runs() if r.config.env_id == first.env_id][: len(lesson.runs)]
        assert {r.config.shaping for r in started} == {v.config().shaping for v in lesson.runs}


def test_stop_when_solved_is_a_control_and_goes_into_the_link() -> None:
    at = app_at("pages/train.py")
    at.toggle(key="cfg_stop_when_solved").set_value(True).run()
    assert not at.exception
    assert at.query_params["stop_when_solved"] in ("true", ["true"])
    next(b for b in at.button if b.label == "Start training").click().run()
    run = get_manager().get(run_param(at))
    assert run is not None and run.config.stop_when_solved
