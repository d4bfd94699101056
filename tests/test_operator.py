"""The operator (a classroom's teacher) stops and deletes any run, and a tab that only watches redraws less often."""

from __future__ import annotations

import pytest

from agents.config.run_config import build_config
from agents.runs.manager import get_manager
from agents.runs.run import Run, RunStatus
from tests.conftest import wait_until
from tests.test_app_pages import _no_entrypoint_rerun, app_at, texts  # noqa: F401  (autouse fixture)
from ui.common import OPERATOR_KEY_ENV

KEY = "a-long-operator-key-for-the-class"


def _someone_elses_run(timesteps: int = 2_000_000) -> Run:
    config = build_config("CartPole-v1", "ppo", seed=0, timesteps=timesteps, overrides={"net_arch": "32"})
    run = get_manager().start(config, owner="a-student-who-closed-the-tab")
    assert wait_until(lambda: run.status == RunStatus.RUNNING, timeout=60)
    return run


def _stop_button(at):  # type: ignore[no-untyped-def]
    return next((b for b in at.button if b.label == "Stop"), None)


def test_the_operator_signs_in_with_the_servers_key_and_stops_a_run_it_did_not_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(OPERATOR_KEY_ENV, KEY)
    run = _someone_elses_run()
    at = app_at("pages/train.py", run=run.id)
    assert _stop_button(at) is None and "You are watching this run" in texts(at)
    at.switch_page("pages/runs.py").run()
    at.text_input(key="operator_key_typed").input("not-the-key-at-all-sorry").run()
    assert "That is not the operator key." in texts(at)
    at.text_input(key="operator_key_typed").input(KEY).run()
    assert not at.exception
    assert "You are the operator" in texts(at)
    assert not [field for field in at.text_input if field.key == "operator_key_typed"]
    at.switch_page("pages/train.py")
    at.query_params["run"] = run.id
    at.run()
    stop = _stop_button(at)
    assert stop is not None, "the operator controls every run"
    stop.click().run()
    assert run.join(10) and run.status == RunStatus.STOPPED


def test_without_a_key_on_the_server_there_is_no_operator_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(OPERATOR_KEY_ENV, raising=False)
    at = app_at("pages/runs.py")
    assert not at.exception
    assert not [field for field in at.text_input if field.key == "operator_key_typed"]


def test_a_short_operator_key_turns_the_sign_in_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """A guessable key must not open every run to whoever guesses it."""
    monkeypatch.setenv(OPERATOR_KEY_ENV, "short")
    at = app_at("pages/runs.py")
    assert not [field for field in at.text_input if field.key == "operator_key_typed"]


def test_a_watching_tab_redraws_every_two_seconds_and_the_controlling_one_every_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Thirty watching tabs cost the server half as much; the browser that controls the run stays at 1 s."""
    from tests.test_viewers import live_view_timers
    from ui import run_view
    from ui.run_view import REFRESH_S
    from ui.viewers import VIEWER_REFRESH_S, ViewerRegistry

    timers = live_view_timers(monkeypatch)
    monkeypatch.setattr(run_view, "viewers", ViewerRegistry())  # no tabs of other tests counted as watching
    monkeypatch.delenv(OPERATOR_KEY_ENV, raising=False)
    run = _someone_elses_run()
    app_at("pages/train.py", run=run.id)
    assert VIEWER_REFRESH_S in timers and REFRESH_S not in timers
    timers.clear()
    monkeypatch.setenv(OPERATOR_KEY_ENV, KEY)
    at = app_at("pages/runs.py")
    at.text_input(key="operator_key_typed").input(KEY).run()
    at.switch_page("pages/train.py")
    at.query_params["run"] = run.id
    timers.clear()
    at.run()
    assert REFRESH_S in timers and VIEWER_REFRESH_S not in timers
    run.stop()
