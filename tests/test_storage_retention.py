"""Retention prunes only ended runs, and no run id from outside ever reaches the filesystem beyond the root."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.runs.manager import RunActionError, RunManager
from agents.storage.folder import RunRecord, StorageError
from agents.storage.store import RunStore
from tests.storage_cases import OWNER, make_stored, small_config


def test_retention_prunes_the_oldest_ended_runs_and_never_an_active_one(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    ids = [f"2026010{i}-000000-00000{i}" for i in range(1, 7)]
    for run_id, status in zip(ids, ["running", "finished", "finished", "stopped", "failed", "finished"], strict=True):
        make_stored(store, run_id, status, size=10_000)
    elsewhere = store.folder(ids[2])
    elsewhere.lock()  # as if another process (the CLI) were training it
    try:
        assert store.prune(max_runs=4) == [ids[1], ids[3]], "oldest ended first; active and locked ones skipped"
        assert store.run_ids() == [ids[0], ids[2], ids[4], ids[5]]
        sizes = sum(store.folder(i).size_bytes() for i in store.run_ids())
        assert store.prune(max_runs=100, max_bytes=sizes - 1) == [ids[4]], "past the size limit"
        assert store.prune(max_runs=1, max_bytes=1) == [ids[5]], "the active and the locked run stay"
        assert store.run_ids() == [ids[0], ids[2]]
    finally:
        elsewhere.unlock()


def test_the_manager_prunes_when_a_run_is_created_and_deletes_only_ended_runs(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    old = ["20260101-000000-000001", "20260102-000000-000002"]
    for run_id in old:
        make_stored(store, run_id, "finished")
    manager = RunManager(max_concurrent=1, max_kept=1, store=store)
    assert [run.id for run in manager.runs()] == old[::-1]
    active = manager.start(small_config(timesteps=1_000_000))
    assert store.run_ids() == [active.id] and manager.runs() == [active], "the ended runs went, not the new one"
    queued = manager.start(small_config(timesteps=1_000_000))
    assert set(store.run_ids()) == {active.id, queued.id}, "past max_kept, but active runs are never pruned"
    with pytest.raises(RunActionError):
        manager.delete(active.id)
    manager.stop_all()
    assert manager.delete(active.id) and store.run_ids() == [queued.id] and manager.get(active.id) is None


HOSTILE_IDS = ["../../etc", "..", "/etc", "20260101-000000-000001/../../x", "20260101-000000-000001\n", "", "a" * 300]


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_run_ids_never_touch_the_filesystem_outside_the_root(tmp_path: Path, hostile: str) -> None:
    root = tmp_path / "runs"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("precious")
    store = RunStore(root)
    make_stored(store, "20260101-000000-000001", "finished")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    for action in (store.folder, store.open, store.delete):
        with pytest.raises(StorageError):
            action(hostile)
    with pytest.raises(StorageError):
        store.create(hostile, {}, RunRecord(run_id=hostile, status="queued", created_at=0.0, total_timesteps=1))
    manager = RunManager(max_concurrent=1, store=store)
    assert manager.get(hostile) is None and manager.delete(hostile) is False
    with pytest.raises(RunActionError):
        manager.resume(hostile, OWNER)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_a_symlinked_run_folder_is_never_listed_followed_or_deleted(tmp_path: Path) -> None:
    root, outside = tmp_path / "runs", tmp_path / "outside"
    store = RunStore(root)
    make_stored(store, "20260101-000000-000001", "finished")
    outside.mkdir()
    (outside / "keep.txt").write_text("precious")
    (root / "20260101-000000-000002").symlink_to(outside, target_is_directory=True)
    assert store.run_ids() == ["20260101-000000-000001"]
    with pytest.raises(StorageError):
        store.delete("20260101-000000-000002")
    assert store.prune(max_runs=1, max_bytes=1) == ["20260101-000000-000001"]
    assert (outside / "keep.txt").read_text() == "precious"
