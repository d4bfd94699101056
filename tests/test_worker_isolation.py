"""A run that crashes, hogs memory, hangs or is killed ends as failed with a readable sentence in its folder;
the server and the other runs go on, and no worker outlives the server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.config.run_config import RunConfig, build_config
from agents.runs.manager import RunManager
from agents.runs.run import Run, RunStatus
from agents.runs.workers.process import ProcessExecutor, live_worker_pids
from agents.storage.store import RunStore
from tests.conftest import wait_until
from tests.worker_envs import WORKER_IMPORTS, registered

REPO = Path(__file__).resolve().parent.parent
LONG = 1_000_000


@pytest.fixture(autouse=True)
def _misbehaving_envs() -> Iterator[None]:
    """The tests' misbehaving envs, registered for each test of this module only."""
    with registered():
        yield


def config(env_id: str = "CartPole-v1", timesteps: int = LONG) -> RunConfig:
    overrides = {"n_steps": 64, "batch_size": 64, "n_epochs": 1, "net_arch": "32"}
    return build_config(env_id, "ppo", preset="defaults", overrides=overrides, timesteps=timesteps)


def manager(tmp_path: Path, **limits: Any) -> RunManager:
    executor = ProcessExecutor(imports=WORKER_IMPORTS, **limits)
    return RunManager(max_concurrent=2, store=RunStore(tmp_path), executor=executor)


def stored_status(run: Run) -> dict[str, Any]:
    assert run.folder is not None
    return json.loads((run.folder.path / "status.json").read_text())


def training(run: Run) -> bool:
    return run.status == RunStatus.RUNNING and run.snapshot().timesteps > 0


def assert_goes_on(run: Run) -> None:
    """``run`` is still training: its step count keeps growing."""
    steps = run.snapshot().timesteps
    assert run.status == RunStatus.RUNNING, (run.status, run.error)
    assert wait_until(lambda: run.snapshot().timesteps > steps + 100, timeout=20), "the other run stopped training"


def assert_next_run_trains(runs: RunManager) -> None:
    after = runs.start(config(timesteps=300))
    assert after.join(60)
    assert after.status == RunStatus.FINISHED, after.error


@pytest.mark.parametrize(
    ("env_id", "words"),
    [
        ("SegfaultCartPole-v0", "The run crashed: its worker process"),  # SIGSEGV, or SIGABRT via pygame's handler
        ("AbortCartPole-v0", "The run crashed: its worker process aborted (SIGABRT)"),
    ],
)
def test_a_crashing_run_fails_readably_and_the_server_and_other_runs_go_on(
    tmp_path: Path, env_id: str, words: str
) -> None:
    runs = manager(tmp_path)
    other = runs.start(config())
    assert wait_until(lambda: training(other), timeout=30)
    crash = runs.start(config(env_id))
    assert crash.join(30), "the crashed run never ended"
    assert crash.status == RunStatus.FAILED
    assert crash.error.startswith(words) and crash.error.endswith("The server and the other runs go on.")
    assert crash.snapshot().timesteps > 0, "what it did before crashing is kept"
    status = stored_status(crash)
    assert status["status"] == "failed" and status["error"] == crash.error, "the sentence is in its folder"
    assert_goes_on(other)
    other.stop()
    assert_next_run_trains(runs)
    runs.stop_all()


def test_a_run_over_the_memory_cap_is_ended_and_says_so(tmp_path: Path) -> None:
    runs = manager(tmp_path, memory_cap_mb=900)
    other = runs.start(config())
    hog = runs.start(config("HogCartPole-v0"))
    assert hog.join(60), "the hog was never ended"
    assert hog.status == RunStatus.FAILED
    assert "more than the server's per-run cap of 900 MB (RUNS_MEMORY_CAP_MB)" in hog.error
    assert stored_status(hog)["error"] == hog.error
    assert_goes_on(other)
    other.stop()
    assert_next_run_trains(runs)
    runs.stop_all()


def test_a_run_that_stops_answering_is_ended(tmp_path: Path) -> None:
    runs = manager(tmp_path, hang_s=2.0)
    hung = runs.start(config("HangCartPole-v0"))
    assert hung.join(30), "the hung run was never ended"
    assert hung.status == RunStatus.FAILED
    assert hung.error == "The run stopped answering (no training step for 2 s) and was ended."
    assert stored_status(hung)["status"] == "failed"
    assert_next_run_trains(runs)
    runs.stop_all()


def test_a_paused_run_is_not_taken_for_a_hung_one(tmp_path: Path) -> None:
    runs = manager(tmp_path, hang_s=3.0)  # three heartbeats: under load one arrives late, and that is not silence
    run = runs.start(config())
    assert wait_until(lambda: training(run), timeout=30)
    run.pause()
    time.sleep(6.0)  # twice the silence limit: a paused worker still sends its heartbeat
    assert run.status == RunStatus.PAUSED and run.alive
    run.resume()
    assert_goes_on(run)
    runs.stop_all()


def test_a_worker_killed_by_the_os_fails_its_run(tmp_path: Path) -> None:
    runs = manager(tmp_path)
    run = runs.start(config())
    assert wait_until(lambda: training(run), timeout=30)
    os.kill(run.worker.pid, signal.SIGKILL)  # type: ignore[union-attr]  # as the OOM killer does
    assert run.join(10)
    assert run.status == RunStatus.FAILED
    assert "killed by the operating system (SIGKILL)" in run.error
    assert_next_run_trains(runs)
    runs.stop_all()


def test_stop_ends_a_worker_within_a_second_and_one_that_ignores_stop_is_killed(tmp_path: Path) -> None:
    runs = manager(tmp_path, stop_grace_s=1.0)
    run = runs.start(config())
    assert wait_until(lambda: training(run), timeout=30)
    began = time.perf_counter()
    run.stop()
    assert run.join(5)
    took = time.perf_counter() - began
    assert run.status == RunStatus.STOPPED and run.end_reason == "stopped by the user"
    assert took < 1.0 + 1.0, f"stop took {took:.2f} s"  # within a second; the margin is for a loaded machine

    stuck = runs.start(config("HangCartPole-v0"))
    assert wait_until(lambda: stuck.snapshot().timesteps > 0, timeout=30)
    time.sleep(0.5)  # now inside the step that never returns
    began = time.perf_counter()
    stuck.stop()
    assert stuck.join(10)
    assert time.perf_counter() - began < 1.0 + 2.0, "killed after the grace"
    assert stuck.status == RunStatus.STOPPED
    assert stuck.worker is not None and stuck.worker.pid not in live_worker_pids()  # type: ignore[attr-defined]
    runs.stop_all()


SERVER = """
import json, sys, time
from agents.config.run_config import build_config
from agents.runs.manager import RunManager
from agents.runs.workers.process import ProcessExecutor
from agents.storage.store import RunStore
overrides = {"n_steps": 64, "batch_size": 64, "n_epochs": 1, "net_arch": "32"}
manager = RunManager(max_concurrent=2, store=RunStore(sys.argv[1]), checkpoint_every_s=0.3)
config = build_config("CartPole-v1", "ppo", preset="defaults", overrides=overrides, timesteps=300_000)
runs = [manager.start(config, owner="tab-a") for _ in range(2)]
while not all((run.checkpoint_timesteps or 0) > 0 for run in runs):
    time.sleep(0.05)
from multiprocessing import forkserver
print(json.dumps([run.worker.pid for run in runs] + [forkserver._forkserver._forkserver_pid]), flush=True)
time.sleep(600)
"""


def gone(pid: int) -> bool:
    """No such process, or only its zombie (a dead process its new parent has not reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_no_worker_outlives_a_killed_server_and_its_runs_resume_after_a_restart(tmp_path: Path) -> None:
    command = [sys.executable, "-c", SERVER, str(tmp_path)]
    server = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        pids = json.loads(server.stdout.readline())
        assert len(pids) == 3 and not any(gone(pid) for pid in pids), "two workers and the forkserver run"
    finally:
        server.kill()  # SIGKILL: no atexit, no finally, nothing of the server's runs
        server.wait(10)
    killed_at = time.monotonic()
    assert wait_until(lambda: all(gone(pid) for pid in pids), timeout=5), "a worker outlived the server by 5 s"
    assert time.monotonic() - killed_at < 5

    restarted = RunManager(max_concurrent=1, store=RunStore(tmp_path), executor=ProcessExecutor())
    listed = restarted.runs()
    assert len(listed) == 2 and all(run.status == RunStatus.INTERRUPTED and run.resumable for run in listed)
    folder = listed[0].folder
    assert folder is not None and json.loads((folder.path / "status.json").read_text())["status"] == "interrupted"
    resumed = restarted.resume(listed[0].id, owner="tab-a")
    assert wait_until(lambda: resumed.snapshot().timesteps > (resumed.resumed_from_step or 0), timeout=30)
    assert resumed.resumed_from_step and resumed.resumed_from_step > 0
    restarted.stop_all()
