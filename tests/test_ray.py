"""Runs on Ray: the cases in :mod:`tests.ray_cases` run on a local 2-CPU cluster inside a network namespace that has
only loopback (Ray here advertises the machine's ethernet address even when told 127.0.0.1; GUIDE.md section 9), and
nothing of Ray loads in a server or CLI that was not asked for it.

The namespace needs root and ``unshare`` (util-linux), as CI has; elsewhere the cases skip, except under ``CI=true``,
where they fail instead, so a green CI always means they ran.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CASES_TIMEOUT_S = 400


def test_nothing_of_ray_or_ray_tune_is_imported_or_started_without_ray_address() -> None:
    probe = (
        "import sys\n"
        "import agents.runs.manager, agents.train, agents.runs.warmup, ui.run_view\n"
        "import agents.sweep, agents.sweeps.records, ui.sweep_form, ui.sweep_view, ui.sweep_records\n"
        "manager = agents.runs.manager.get_manager()\n"
        "assert type(manager.executor).__name__ == 'ProcessExecutor', manager.executor\n"
        "from agents.sweeps.definition import make_definition\n"
        "from agents.sweeps.runner import new_sweep\n"
        "from agents.sweeps.space import auto_space\n"
        "from agents.algos.registry import get_algo\n"
        "space = auto_space(get_algo('ppo').schema.get('learning_rate'))\n"
        "definition = make_definition('CartPole-v1', 'ppo', [space], trials=2, seeds=1)\n"
        "sweep = new_sweep(definition, definition.make_trials(), manager.start, 1)\n"
        "assert type(sweep).__name__ == 'SweepRun', sweep\n"
        "loaded = sorted(name for name in sys.modules if name == 'ray' or name.startswith('ray.'))\n"
        "assert not loaded, loaded\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def _namespace_missing() -> str | None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare and ip (util-linux, iproute2) are needed for a loopback-only network namespace"
    if os.geteuid() != 0:
        return "a network namespace of its own needs root (as in CI)"
    return None


@pytest.mark.slow
@pytest.mark.timeout(CASES_TIMEOUT_S + 20)
def test_runs_on_a_loopback_only_ray_cluster() -> None:
    missing = _namespace_missing()
    if missing is not None:
        pytest.fail(missing) if IN_CI else pytest.skip(missing)
    # without the project's --durations table, which would push a failure's traceback out of the tail shown below
    pytest_command = f"{sys.executable} -m pytest -q -p no:cacheprovider -o 'addopts=-ra --strict-markers'"
    command = f"ip link set lo up; exec {pytest_command} tests/ray_cases.py"
    result = subprocess.run(
        ["unshare", "-n", "sh", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=CASES_TIMEOUT_S
    )
    assert result.returncode == 0, f"{result.stdout[-12000:]}\n--- stderr ---\n{result.stderr[-3000:]}"
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]
