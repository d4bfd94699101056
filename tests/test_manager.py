"""The run manager: a bounded number of runs train at once, the rest wait in a visible queue; ids are checked."""

from __future__ import annotations

import sys

import pytest

import agents.runs.manager
from agents.config.run_config import RunConfig, build_config
from agents.runs.manager import RunManager, get_manager
from agents.runs.run import RunStatus
from tests.conftest import run_threads, wait_until, worker_pids


def config(timesteps: int = 1_000_000, **kwargs: object) -> RunConfig:
    overrides = {"n_steps": 64, "batch_size": 64, "n_epochs": 1, "net_arch": "32"}
    return build_config("CartPole-v1", "ppo", preset="defaults", overrides=overrides, timesteps=timesteps, **kwargs)


def running(manager: RunManager, run: object) -> bool:
    return getattr(run, "status", None) == RunStatus.RUNNING and manager.queue_position(run) is None  # type: ignore[arg-type]


def test_second_run_waits_in_the_queue_and_starts_when_the_first_stops() -> None:
    manager = RunManager(max_concurrent=1)
    first = manager.start(config(), owner="tab-a")
    assert wait_until(lambda: first.snapshot().timesteps > 0)
    second = manager.start(config())
    third = manager.start(config())
    assert not second.alive and not third.alive, "a waiting run has no worker"
    assert manager.queue_position(second) == 1
    assert manager.queue_position(third) == 2
    assert manager.queue_position(first) is None
    assert second.status == RunStatus.QUEUED and second.snapshot().timesteps == 0
    assert manager.active_count() == 1
    assert first.owner == "tab-a"

    first.stop()
    assert first.join(5) and first.status == RunStatus.STOPPED
    assert wait_until(lambda: running(manager, second), timeout=10), second.status
    assert wait_until(lambda: second.snapshot().timesteps > 0)
    assert manager.queue_position(third) == 1
    assert third.status == RunStatus.QUEUED
    assert manager.active_count() == 1
    manager.stop_all()


def test_stopping_a_queued_run_ends_it_as_stopped_without_training() -> None:
    manager = RunManager(max_concurrent=1)
    first = manager.start(config())
    assert wait_until(lambda: first.snapshot().timesteps > 0)
    queued = manager.start(config())
    behind = manager.start(config())
    assert wait_until(lambda: manager.queue_position(behind) == 2)
    queued.stop()
    assert queued.join(2), "a stopped queued run must end its thread"
    assert queued.status == RunStatus.STOPPED
    assert queued.end_reason == "stopped while queued"
    assert queued.worker is None and queued.snapshot().timesteps == 0
    assert manager.queue_position(queued) is None
    assert manager.queue_position(behind) == 1, "the runs behind move up"
    assert first.status == RunStatus.RUNNING and manager.active_count() == 1
    manager.stop_all()


def test_a_failed_run_frees_its_slot() -> None:
    manager = RunManager(max_concurrent=1)
    failing = manager.start(config(shaping={"reward_expr": "reward/(x-x)"}))
    after = manager.start(config(timesteps=300))
    assert failing.join(30) and failing.status == RunStatus.FAILED
    assert after.join(30)
    assert after.status == RunStatus.FINISHED, after.error
    assert manager.active_count() == 0


def test_two_slots_train_two_runs_at_once() -> None:
    manager = RunManager(max_concurrent=2)
    runs = [manager.start(config()) for _ in range(3)]
    assert wait_until(lambda: runs[0].snapshot().timesteps > 0 and runs[1].snapshot().timesteps > 0)
    assert manager.active_count() == 2
    assert manager.queue_position(runs[2]) == 1
    manager.stop_all()


@pytest.mark.parametrize(
    "bad_id",
    [
        "../../etc",
        "../../etc/passwd",
        "",
        "20261126-013000-A1B2C3",
        "20261126-013000-a1b2c3/../x",
        "20261126-013000-a1b2c",
        " 20261126-013000-a1b2c3",
        "20261126-013000-a1b2c3\n",
        "x" * 10_000,
        None,
        123,
    ],
)
def test_get_refuses_malformed_ids(bad_id: object) -> None:
    manager = RunManager(max_concurrent=1)
    assert manager.get(bad_id) is None  # type: ignore[arg-type]


def test_get_finds_a_run_by_its_id_and_nothing_else() -> None:
    manager = RunManager(max_concurrent=1)
    run = manager.start(config())
    assert manager.get(run.id) is run
    assert manager.get(run.id + "\n") is None
    other = "19990101-000000-abcdef"
    assert agents.runs.manager.RUN_ID_PATTERN.match(other) and manager.get(other) is None
    manager.stop_all()


def test_stop_all_leaves_no_run_threads_or_workers() -> None:
    manager = RunManager(max_concurrent=1)
    runs = [manager.start(config()) for _ in range(3)]
    assert wait_until(lambda: runs[0].snapshot().timesteps > 0 and runs[0].alive)
    manager.stop_all(timeout=5)
    assert not run_threads() and not worker_pids()
    assert not any(run.alive for run in runs)
    assert all(run.status == RunStatus.STOPPED for run in runs)
    assert manager.active_count() == 0
    assert all(manager.queue_position(run) is None for run in runs)


def test_runs_are_listed_newest_first_and_old_ended_runs_are_forgotten() -> None:
    manager = RunManager(max_concurrent=1, max_kept=2)
    ended = []
    for _ in range(3):
        run = manager.start(config(timesteps=100))
        assert run.join(30) and run.status == RunStatus.FINISHED
        ended.append(run)
    listed = manager.runs()
    assert listed == [ended[2], ended[1]], "the oldest ended run is forgotten past max_kept"
    assert manager.get(ended[0].id) is None
    active = manager.start(config())
    assert wait_until(lambda: active.status == RunStatus.RUNNING)
    assert manager.get(active.id) is active, "an active run is never forgotten"
    manager.stop_all()


def test_get_manager_is_one_per_process_and_bounded_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agents.runs.manager, "_manager", None)
    monkeypatch.setenv("RL_PLAYGROUND_MAX_RUNS", "3")
    manager = get_manager()
    assert manager is get_manager()
    assert manager.max_concurrent == 3
    assert RunManager(max_concurrent=0).max_concurrent >= 1


def test_one_owner_cannot_fill_the_server_and_the_queue_is_bounded() -> None:
    from agents.runs.manager import RunActionError, RunManager

    manager = RunManager(max_concurrent=1)
    manager.max_per_owner, manager.max_waiting = 2, 3
    config = build_config("CartPole-v1", "ppo", timesteps=1_000_000)
    try:
        manager.start(config, owner="teacher-token-0123456789")
        manager.start(config, owner="teacher-token-0123456789")
        with pytest.raises(RunActionError, match="at most 2"):
            manager.start(config, owner="teacher-token-0123456789")
        manager.start(config, owner="student-token-0123456789")
        with pytest.raises(RunActionError, match="3 runs training or waiting"):
            manager.start(config, owner="another-student-0123456789")
    finally:
        manager.stop_all()


def test_the_server_fixes_glibcs_mmap_threshold_so_redraws_do_not_fragment_its_heap() -> None:
    """glibc accepts both thresholds (on musl or another OS nothing is changed and False says so)."""
    import platform

    from agents.runs.server_memory import fix_malloc_thresholds

    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert fix_malloc_thresholds() is expected
