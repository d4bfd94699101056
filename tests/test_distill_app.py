"""AppTest: a finished run's page offers distillation, refuses bad settings in place, and shows teacher and student."""

from __future__ import annotations

from agents.config.run_config import build_config
from agents.runs.manager import get_manager
from agents.runs.run import RunStatus
from tests.test_app_pages import _no_entrypoint_rerun, app_at, texts  # noqa: F401  (autouse fixture)


def _finished_run() -> str:
    config = build_config("CartPole-v1", "ppo", timesteps=2_000, overrides={"net_arch": "32"})
    run = get_manager().start(config)
    assert run.join(120) and run.status == RunStatus.FINISHED, run.error
    return run.id


def test_a_finished_run_distils_into_a_tiny_student_shown_beside_its_teacher() -> None:
    run_id = _finished_run()
    at = app_at("pages/train.py", run=run_id)
    assert not at.exception
    at.number_input(key=f"distill_iterations_{run_id}").set_value(0)
    at.button(key=f"FormSubmitter:distill_form_{run_id}-Distil").click().run()
    assert any("iterations must be between 1 and 20" in e.value for e in at.error)
    assert not any(d.value.shape[0] == 2 for d in at.dataframe if "parameters" in d.value.columns)

    at.number_input(key=f"distill_iterations_{run_id}").set_value(2)
    at.number_input(key=f"distill_episodes_per_iteration_{run_id}").set_value(1)
    at.number_input(key=f"distill_eval_episodes_{run_id}").set_value(2)
    at.selectbox(key=f"distill_hidden_{run_id}").set_value("linear")
    at.button(key=f"FormSubmitter:distill_form_{run_id}-Distil").click().run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "parameters" in d.value.columns)
    assert list(table["parameters"]) == [(4 * 32 + 32) + (32 * 2 + 2), 4 * 2 + 2]  # one hidden layer of 32
    assert "teacher labels" in texts(at) and "1/23 of the teacher's parameters" in texts(at)
    assert any(b.label == "Student (Python, numpy only)" for b in at.get("download_button"))
