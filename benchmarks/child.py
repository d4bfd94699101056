"""Run one measurement of a benchmark in a fresh Python process, so each side starts from the same imports and
memory, and read back the JSON line it prints last."""

from __future__ import annotations

import json
import os
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
