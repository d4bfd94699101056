"""End to end in a real Chromium: Compare ranks configurations by the CPU seconds they needed to solve."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.config.run_config import build_config
from agents.runs.run import Run, RunStatus
from agents.storage.store import RunStore
from tests.browser.conftest import open_app, start_server, stop_server
from tests.browser.test_train_flow import wait_for

pytestmark = pytest.mark.browser

CPU_TO_SOLVE = {
    ("value_iteration", 0): 4.0,
    ("value_iteration", 1): 6.0,
    ("q_learning", 0): 1.0,
    ("q_learning", 1): 3.0,
}
"""Stored CPU seconds to solve (set after training, so the order does not hang on this machine's load)."""


def _stored_runs(runs_dir: Path) -> list[str]:
    """Two GridWorld configurations that solve (2 seeds each) and a CartPole run too short to solve."""
    store, ids = RunStore(runs_dir), []
    for (algo, seed), cpu in CPU_TO_SOLVE.items():
        run = Run(build_config("GridWorld-v0", algo, seed=seed), record_episodes=False, store=store)
        run.start()
        assert run.join(60) and run.status == RunStatus.FINISHED and run.snapshot().solved_at_step, run.error
        path = run.folder.path / "status.json"  # type: ignore[union-attr]
        status = json.loads(path.read_text())
        status["cost"]["cpu_s_to_solve"] = cpu
        path.write_text(json.dumps(status))
        ids.append(run.id)
    unsolved = Run(
        build_config("CartPole-v1", "ppo", timesteps=300, overrides={"net_arch": "32"}),
        record_episodes=False,
        store=store,
    )
    unsolved.start()
    assert unsolved.join(60) and unsolved.status == RunStatus.FINISHED, unsolved.error
    return [*ids, unsolved.id]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    folder = tmp_path_factory.mktemp("ranked")
    ids = _stored_runs(folder / "runs")
    process, base, _ = start_server(folder)
    try:
        yield base, ids
    finally:
        stop_server(process)


def test_compare_ranks_configurations_by_cpu_seconds_to_solve(stored: tuple[str, list[str]], page) -> None:  # type: ignore[no-untyped-def]
    base, ids = stored
    open_app(page, f"{base}/compare?runs={','.join(ids)}")
    page.get_by_text("Cost to solve").wait_for(timeout=120_000)  # five runs read from disk on a loaded machine
    page.get_by_text("Not by wall time").wait_for()
    grid = page.locator("[data-testid='stDataFrame']").last
    rows = grid.locator("[role='row']")
    wait_for(lambda: rows.count() == 4)  # the header and three configurations
    lines = [rows.nth(i).inner_text() for i in range(1, 4)]
    assert "q_learning" in lines[0] and "2/2" in lines[0] and "2.0" in lines[0], lines  # median of 1 and 3 s
    assert "value_iteration" in lines[1] and "5.0" in lines[1], lines
    assert "CartPole" in lines[2] and "0/1" in lines[2], "a configuration that never solved comes last"
    assert page.locator("[data-testid='stException']").count() == 0
