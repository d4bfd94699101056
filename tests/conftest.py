"""Shared fixtures: every run a test starts is stopped afterwards, and no training thread, pump thread or
worker process may outlive a test.

Run folders go to a temporary ``RUNS_DIR`` for the whole session, never into the working copy.

A leaked worker would keep burning CPU for the rest of the suite (and slow every later test on a 2-core
machine), so the check is autouse. It only touches the run machinery when a test module imported it, so
tests that never train (and the browser tests, whose runs live in a server process) pay nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

RUN_THREAD_PREFIXES = ("run-", "pump-")
THREAD_GRACE_S = 10.0


def run_threads() -> list[threading.Thread]:
    """Inline training threads (``run-<id>``) and pump threads of worker processes (``pump-<id>``) still alive."""
    return [t for t in threading.enumerate() if t.name.startswith(RUN_THREAD_PREFIXES) and t.is_alive()]


def worker_pids() -> list[int]:
    """Worker processes of this test process that are still running."""
    process_module = sys.modules.get("agents.runs.workers.process")
    return process_module.live_worker_pids() if process_module is not None else []


def leftovers() -> list[str]:
    return [t.name for t in run_threads()] + [f"worker process {pid}" for pid in worker_pids()]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


@pytest.fixture(scope="session", autouse=True)
def _runs_dir_outside_the_working_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Anything that keeps run folders (``RUNS_DIR``, default ``./runs``) writes them to a temporary folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNS_DIR", str(tmp_path_factory.mktemp("runs")))
        yield


@pytest.fixture(autouse=True)
def _stop_runs_and_check_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Record every :class:`agents.runs.run.Run` launched during the test; stop them all and check their workers end."""
    started: list[Any] = []
    run_module = sys.modules.get("agents.runs.run")
    if run_module is not None:
        original_launch = run_module.Run.launch

        def recording_launch(self: Any, *args: Any, **kwargs: Any) -> bool:
            started.append(self)
            return original_launch(self, *args, **kwargs)

        monkeypatch.setattr(run_module.Run, "launch", recording_launch)
    yield
    manager_module = sys.modules.get("agents.runs.manager")
    if manager_module is not None and manager_module._manager is not None:
        manager_module._manager.stop_all()
    stopped = 0
    while stopped < len(started):  # stopping a run can launch one that waited behind it: stop that too
        batch, stopped = started[stopped:], len(started)
        for run in batch:
            run.stop()
        for run in batch:
            run.join(THREAD_GRACE_S)
    if leftovers() and not wait_until(lambda: not leftovers(), timeout=THREAD_GRACE_S):
        pytest.fail(f"training threads or workers still alive after the test: {leftovers()}")
