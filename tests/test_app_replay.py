"""The Train page replays any moment of a run: the clicked step (kept in the session, as the chart's click callback
keeps it) plays the nearest snapshot at or before it, says which one when it differs, and shows its step and return;
a run that kept no snapshots says so."""

from __future__ import annotations

import shutil

from agents.runs.replay import replay, snapshot_store
from agents.runs.run import Run
from agents.storage.folder import RunFolder
from tests.test_app_learner import finished_run
from tests.test_app_pages import _no_entrypoint_rerun, app_at  # noqa: F401  (autouse fixture)
from tests.tiny import TINY


def test_a_clicked_step_replays_the_snapshot_before_it_with_its_step_and_return() -> None:
    run = finished_run(timesteps=640, overrides=TINY["ppo"])
    assert run.folder is not None
    store = snapshot_store(run.folder.path, run.config)
    assert run.snapshot().policy_snapshots == tuple(store.steps()) and store.steps()[-1] == 640, "the final policy's"
    # one more moment, whatever the clock let the tiny run evaluate: the final snapshot's file under an early step
    shutil.copy(store.file(640), store.file(64))
    run.stats.set_policy_snapshots(tuple(store.steps()))
    steps = run.snapshot().policy_snapshots
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    assert any("Replay any moment" in c.value and f"from step {steps[0]:,}" in c.value for c in at.caption)

    clicked = steps[-1] - 1
    at.session_state[f"replay_at_{run.id}"] = clicked
    at.run()
    assert not at.exception
    played = next(m.value for m in at.markdown if m.value.startswith("**Policy at step"))
    expected = replay(run.folder.path, run.config, steps[-2], 0)  # read back from the cache the page filled
    assert played == f"**{expected.describe()}**"
    assert played.startswith(f"**Policy at step {steps[-2]:,}: return ")
    assert any(f"you clicked step {clicked:,}" in m.value for m in at.markdown)
    assert any(f"nearest policy snapshot at or before it is step {steps[-2]:,}" in c.value for c in at.caption)

    at.session_state[f"replay_seed_{run.id}"] = -3  # refused next to the field; nothing plays
    at.run()
    assert not at.exception
    assert any("seed" in e.value for e in at.error)
    assert not any(m.value.startswith("**Policy at step") for m in at.markdown)


def test_a_run_read_back_from_its_folder_knows_its_snapshots() -> None:
    """After a server restart, or opened from the Runs page, a stored run lists the snapshots its folder holds."""
    run = finished_run(timesteps=640, overrides=TINY["ppo"])
    assert run.folder is not None
    restored = Run.restore(RunFolder(run.folder.path, run.id))
    kept = tuple(snapshot_store(run.folder.path, run.config).steps())
    assert restored.snapshot().policy_snapshots == kept == run.snapshot().policy_snapshots
    assert kept[-1] == 640


def test_a_run_without_snapshots_says_it_has_none_to_replay() -> None:
    run = finished_run(timesteps=640, overrides=TINY["ppo"])
    assert run.folder is not None
    shutil.rmtree(run.folder.path / "snapshots")
    run.stats.set_policy_snapshots(())
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    assert any("kept no policy snapshots" in c.value for c in at.caption)
