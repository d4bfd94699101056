"""A setting changed while a run trains: sent to its worker, stored in its folder, kept by a resumed run, and replayed
exactly from the run's link, the headless trainer's ``--schedule`` and the exported script."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agents.config.run_config import RunConfig, build_config
from agents.config.schema import HyperParamError
from agents.config.share import config_to_query, query_to_config
from agents.runs.run import Run, RunStatus
from agents.runs.workers.inline import InlineExecutor
from agents.runs.workers.process import ProcessExecutor
from agents.storage.folder import RunFolder
from agents.storage.store import RunStore
from tests.conftest import wait_until
from tests.tiny import TINY
from tests.training_paths import RUN_TIMEOUT_S, Outcome, _folder_outcome, exported, headless, unwatched


def shaped_ppo(timesteps: int = 1_024) -> RunConfig:
    return build_config(
        "CartPole-v1",
        "ppo",
        preset="defaults",
        overrides=TINY["ppo"],
        seed=1,
        timesteps=timesteps,
        shaping={"living_reward": 0.5},
    )


def change_while_paused(run: Run, at_least: int, changes: dict[str, object]) -> None:
    """Pause once the run passed ``at_least`` steps, send the changes, resume (so they land before the end)."""
    assert wait_until(lambda: run.snapshot().timesteps >= at_least, timeout=RUN_TIMEOUT_S), (run.status, run.error)
    run.pause()
    for name, value in changes.items():
        run.change_setting(name, value)
    run.resume()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Outcome]:
    """A run in a worker process whose learning rate, clip range and living reward a person changed mid-run."""
    run = Run(shaped_ppo(), record_episodes=False, store=RunStore(tmp_path_factory.mktemp("live")))
    run.start(ProcessExecutor())
    change_while_paused(run, 300, {"learning_rate": "0.01", "clip_range": 0.1, "living_reward": -1})
    return run, _folder_outcome(run)


def test_a_live_change_is_recorded_at_the_step_it_applied_and_stored_in_the_folder(live: tuple[Run, Outcome]) -> None:
    run, _ = live
    ((step, value),) = run.config.schedule["learning_rate"]
    assert value == 0.01 and step >= 300 and step % 2 == 0, "a step the run's two env copies reached"
    assert run.config.schedule == {
        "learning_rate": ((step, 0.01),),
        "clip_range": ((step, 0.1),),
        "living_reward": ((step, -1.0),),
    }, "all three applied at the same step, between two updates"
    assert run.snapshot().schedule == run.config.schedule, "the event reached the charts' snapshot"
    assert run.folder is not None
    stored = RunFolder(run.folder.path, run.id).read_config()
    assert stored["schedule"]["learning_rate"] == [[step, 0.01]]
    restored = Run.restore(RunFolder(run.folder.path, run.id))
    assert restored.config.schedule == run.config.schedule and restored.snapshot().schedule == run.config.schedule


def test_the_runs_link_replays_the_live_run_exactly(live: tuple[Run, Outcome], tmp_path: Path) -> None:
    run, outcome = live
    shared = query_to_config(config_to_query(run.config))
    assert shared.config == run.config and not shared.warnings
    unwatched(shared.config, tmp_path).assert_equal(outcome)


@pytest.mark.slow
@pytest.mark.parametrize("path", [headless, exported], ids=["headless_trainer", "exported_script"])
def test_the_cli_and_the_exported_script_replay_the_live_run_exactly(
    path: Callable[[RunConfig, Path], Outcome], live: tuple[Run, Outcome], tmp_path: Path
) -> None:
    run, outcome = live
    path(run.config, tmp_path).assert_equal(outcome)


def test_without_the_change_the_run_learns_something_else(live: tuple[Run, Outcome], tmp_path: Path) -> None:
    """The replay test could fail: the same configuration without its schedule does not match."""
    run, outcome = live
    with pytest.raises(AssertionError):
        unwatched(shared_without_schedule(run.config), tmp_path).assert_equal(outcome)


def shared_without_schedule(config: RunConfig) -> RunConfig:
    query = config_to_query(config)
    del query["schedule"]
    return query_to_config(query).config


def test_a_resumed_run_keeps_applying_its_schedule(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run = Run(shaped_ppo(timesteps=4_096), record_episodes=False, store=store, checkpoint_every_s=0.05)
    run.start(InlineExecutor())
    change_while_paused(run, 200, {"learning_rate": 0.02})
    assert wait_until(lambda: run.snapshot().schedule, timeout=RUN_TIMEOUT_S)
    run.stop()
    assert run.join(RUN_TIMEOUT_S) and run.status == RunStatus.STOPPED
    ((changed_at, _),) = run.config.schedule["learning_rate"]
    # a later change, written into the stored schedule, must apply after the resume
    assert run.folder is not None
    later = min(changed_at + 1_024, 4_000)
    run.folder.write_config(run.config.with_change("learning_rate", later, 0.005).to_dict())

    stored = Run.restore(store.open(run.id))
    resumed = stored.resumed()
    resumed.start(InlineExecutor())
    assert resumed.join(RUN_TIMEOUT_S) and resumed.status == RunStatus.FINISHED, resumed.error
    assert resumed.config.schedule["learning_rate"] == ((changed_at, 0.02), (later, 0.005))
    model = resumed.config.algo_info.restore(
        resumed.folder.checkpoint_path("model.zip"),  # type: ignore[union-attr]
        resumed.config.env_info.make,
        resumed.config.hyperparams,
        0,
    )
    assert model.learning_rate == 0.005, "the entry after the checkpoint applied in the resumed run"


def test_a_bad_value_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    run = Run(shaped_ppo(timesteps=100_000), record_episodes=False)
    with pytest.raises(HyperParamError, match="queued: only a training run's settings change"):
        run.change_setting("learning_rate", 0.01)  # not started
    run.start(InlineExecutor())
    try:
        for name, value, message in [
            ("learning_rate", "5", "learning_rate must be between 1e-06 and 1, not 5"),
            ("exploration_rate", 0.5, "cannot change while this run trains"),
            ("clip_range", "abc", "not a number"),
        ]:
            with pytest.raises(HyperParamError, match=message) as caught:
                run.change_setting(name, value)
            assert caught.value.field == name
    finally:
        run.stop()
        run.join(RUN_TIMEOUT_S)
    assert run.config.schedule == {} and run.snapshot().schedule == {}
