"""Server-wide caps that an operator sets with environment variables, read once at import.

A small host (Streamlit Community Cloud's container has about 1 CPU's worth of time and under 3 GB of
memory) needs shorter runs and smaller replay buffers than a classroom's server. On Community Cloud,
root-level entries of the app's secrets become environment variables (``app.py`` loads them first).

- ``RL_PLAYGROUND_MAX_WALL_S``: the longest wall-clock time a run may ask for, in seconds (default 3600);
  the default cap of a run is 900 s or this, whichever is smaller.
- ``RL_PLAYGROUND_MAX_BUFFER_BYTES``: the largest replay buffer a run may allocate (default 2 GiB).
- ``RL_PLAYGROUND_MAX_SWEEP_RUNS``: the most runs one sweep may ask for, trials times seeds (default 48).

``RL_PLAYGROUND_MAX_RUNS`` (runs training at once) and ``RUNS_MAX_COUNT``/``RUNS_MAX_BYTES`` (runs kept on
disk) are read where they apply, by :mod:`agents.runs.manager` and :mod:`agents.storage.store`, and so is
``RUNS_MAX_REPLAY_BUFFER_BYTES`` (the largest replay buffer kept beside a checkpoint, :mod:`agents.storage.checkpoint`).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping

log = logging.getLogger(__name__)


def env_number(name: str, default: float, *, low: float, environ: Mapping[str, str] | None = None) -> float:
    """``environ[name]`` as a finite number of at least ``low``; ``default`` (with a logged warning) otherwise."""
    environ = os.environ if environ is None else environ
    raw = environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < low:
        log.warning("%s=%r is not a number of at least %g; using %g", name, raw, low, default)
        return default
    return value


MAX_WALL_S = env_number("RL_PLAYGROUND_MAX_WALL_S", 3600.0, low=10.0)
"""No run trains longer than this, in seconds of wall-clock time."""
DEFAULT_WALL_S = min(900.0, MAX_WALL_S)
"""A run's wall-clock cap unless it asks for another."""
MAX_BUFFER_BYTES = int(env_number("RL_PLAYGROUND_MAX_BUFFER_BYTES", 2 * 1024**3, low=1024**2))
"""The largest replay buffer a run may allocate, in bytes (estimated before anything is built)."""
MAX_SWEEP_RUNS = int(env_number("RL_PLAYGROUND_MAX_SWEEP_RUNS", 48, low=1))
"""The most runs (trials times seeds) one sweep may ask for; a larger sweep is refused before anything starts."""
