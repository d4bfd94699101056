"""Shared fixtures: every run a test starts is stopped afterwards, and no training thread may outlive a test.

Run folders go to a temporary ``RUNS_DIR`` for the whole session, never into the working copy.

A leaked training thread would keep burning CPU for the rest of the suite (and slow every later test on a
2-core machine), so the check is autouse. It only touches the run machinery when a test module imported it,
so tests that never train (and the browser tests, whose runs live in a server process) pay nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

RUN_THREAD_PREFIX = "run-"
THREAD_GRACE_S = 10.0


def run_threads() -> list[threading.Thread]:
    """Training threads of this process that are still alive (runs name their thread ``run-<id>``)."""
    return [t for t in threading.enumerate() if t.name.startswith(RUN_THREAD_PREFIX) and t.is_alive()]


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
    """Record every :class:`agents.runs.run.Run` started during the test; stop them all and check their threads end."""
    started: list[Any] = []
    run_module = sys.modules.get("agents.runs.run")
    if run_module is not None:
        original_start = run_module.Run.start

        def recording_start(self: Any, *args: Any, **kwargs: Any) -> None:
            started.append(self)
            original_start(self, *args, **kwargs)

        monkeypatch.setattr(run_module.Run, "start", recording_start)
    yield
    for run in started:
        run.stop()
    manager_module = sys.modules.get("agents.runs.manager")
    if manager_module is not None and manager_module._manager is not None:
        manager_module._manager.stop_all()
    for run in started:
        run.join(THREAD_GRACE_S)
    if run_threads() and not wait_until(lambda: not run_threads(), timeout=THREAD_GRACE_S):
        pytest.fail(f"training threads still alive after the test: {[t.name for t in run_threads()]}")
