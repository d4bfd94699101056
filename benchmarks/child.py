"""Run one measurement of a benchmark in a fresh Python process, so each side starts from the same imports and
memory, and read back the JSON line it prints last."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any


def in_child(module: str, *args: str) -> dict[str, Any]:
    """``python -m MODULE --child ARGS...`` in a new process; its last stdout line, parsed as JSON.

    Raises ``subprocess.CalledProcessError`` if the child fails."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--child", *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def split_on_off(
    runs: list[dict[str, Any]], env_id: str, algo: str, switch: str
) -> tuple[list, list, dict[str, float]]:
    """The runs of one (env, algo) with ``switch`` "on" and "off", and the medians both sides compare:
    ``fps_on``/``fps_off`` (steps per wall second) and ``cpu_on``/``cpu_off`` (steps per CPU second)."""
    on = [r for r in runs if r["env"] == env_id and r["algo"] == algo and r[switch] == "on"]
    off = [r for r in runs if r["env"] == env_id and r["algo"] == algo and r[switch] == "off"]
    medians = {
        "fps_on": statistics.median(r["steps_per_s"] for r in on),
        "fps_off": statistics.median(r["steps_per_s"] for r in off),
        "cpu_on": statistics.median(r["steps_per_cpu_s"] or 0.0 for r in on),
        "cpu_off": statistics.median(r["steps_per_cpu_s"] or 0.0 for r in off),
    }
    return on, off, medians
