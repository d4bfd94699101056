"""A run's checkpoint: the model, and what resuming needs to go on as if never stopped.

Beside the model file (named by the algorithm, ``model.zip``) a checkpoint keeps:

* ``replay_buffer.pkl``: an off-policy algorithm's replay buffer (SB3's ``save_replay_buffer``), when it takes at
  most ``RUNS_MAX_REPLAY_BUFFER_BYTES`` (default 256 MiB; SB3 pickles every allocated row). Without it, a resumed
  run would learn from the few transitions it collects first; instead it waits ``learning_starts`` steps again,
  and says so.
* ``random_state.json``: the generators' states (:mod:`agents.algos.random_state`), plain JSON.

Each file is written atomically, the model last: the model is what a restart resumes from, and each companion file
records the step count it belongs to, so one left from another checkpoint (a kill between two writes) is ignored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agents.algos import random_state
from agents.algos.registry import AlgoInfo, EnvFactory
from agents.config.limits import env_number
from agents.config.schema import Value
from agents.storage.folder import RunFolder, atomic_save, atomic_write_bytes

REPLAY_BUFFER_FILE = "replay_buffer.pkl"
RANDOM_STATE_FILE = "random_state.json"
DEFAULT_MAX_REPLAY_BUFFER_BYTES = 256 * 1024**2

log = logging.getLogger(__name__)


def max_replay_buffer_bytes(environ: Mapping[str, str] | None = None) -> int:
    """``RUNS_MAX_REPLAY_BUFFER_BYTES`` (0 keeps no buffer), default :data:`DEFAULT_MAX_REPLAY_BUFFER_BYTES`."""
    return int(env_number("RUNS_MAX_REPLAY_BUFFER_BYTES", DEFAULT_MAX_REPLAY_BUFFER_BYTES, low=0, environ=environ))


@dataclass(frozen=True)
class Restored:
    """A model rebuilt from a checkpoint, and what differs from a run that never stopped."""

    model: Any
    replay_transitions: int | None
    """Transitions of the replay buffer brought back (None: the algorithm keeps none, or it was not kept)."""
    note: str = ""
    """One sentence for the page and status.json when the resumed run is not the same as never stopping."""


def save_checkpoint(
    folder: RunFolder,
    algo: AlgoInfo,
    model: Any,
    *,
    generators: dict[str, Any] | None = None,
    max_buffer_bytes: int | None = None,
) -> None:
    """Write the replay buffer (if it fits), the generators' states, then the model, each atomically.

    ``generators``: states captured at an update boundary (on-policy, see ``AlgoInfo.boundary``), used if they are
    of the model's step count; otherwise they are captured now.
    OSError (a full disk) is left to the caller: the last complete checkpoint stays usable.
    """
    limit = max_replay_buffer_bytes() if max_buffer_bytes is None else max_buffer_bytes
    buffer = algo.replay_buffer
    buffer_path = folder.path / REPLAY_BUFFER_FILE
    if buffer is not None:
        if buffer.nbytes(model) <= limit:
            atomic_save(buffer_path, lambda path: buffer.save(model, path))
        else:
            buffer_path.unlink(missing_ok=True)
    if generators is None or generators.get("num_timesteps") != int(model.num_timesteps):
        generators = random_state.capture(model)
    atomic_write_bytes(folder.path / RANDOM_STATE_FILE, json.dumps(random_state.to_json(generators)).encode())
    folder.save_checkpoint(model, algo)


def restore_checkpoint(
    folder: RunFolder,
    algo: AlgoInfo,
    env_fn: EnvFactory,
    values: Mapping[str, Value],
    seed: int,
    *,
    max_buffer_bytes: int | None = None,
) -> Restored:
    """Rebuild the model of the folder's checkpoint with its replay buffer and generators, where they were kept.

    Only for a folder this app wrote: the model and the buffer are unpickled.
    """
    model = algo.restore(folder.checkpoint_path(algo.checkpoint_file), env_fn, values, seed)
    _restore_generators(folder, model)
    buffer = algo.replay_buffer
    if buffer is None:
        return Restored(model, None)
    path = folder.path / REPLAY_BUFFER_FILE
    transitions = buffer.load(model, path) if path.is_file() else None
    if transitions is not None:
        return Restored(model, transitions)
    limit = max_replay_buffer_bytes() if max_buffer_bytes is None else max_buffer_bytes
    size = buffer.nbytes(model)
    why = (
        f"at {_mb(size)} it is larger than the {_mb(limit)} kept on disk (RUNS_MAX_REPLAY_BUFFER_BYTES)"
        if size > limit
        else "it was not saved with this checkpoint"
    )
    steps = int(model.num_timesteps)
    learns_from = buffer.restart_warmup(model, values)
    note = (
        f"Resumed at step {steps:,} without its replay buffer ({why}): it collects {learns_from - steps:,} "
        f"fresh steps (learning_starts) before it learns again, from step {learns_from:,}."
    )
    return Restored(model, None, note)


def _restore_generators(folder: RunFolder, model: Any) -> None:
    try:
        state = json.loads((folder.path / RANDOM_STATE_FILE).read_text())
        if not random_state.restore(model, state):
            log.info("random_state.json of run %s is from another checkpoint; not used", folder.run_id)
    except FileNotFoundError:
        return
    except (OSError, ValueError, TypeError, KeyError) as error:
        log.warning("random_state.json of run %s cannot be used (%s)", folder.run_id, error)


def _mb(size: int) -> str:
    return f"{size / 1024**2:,.0f} MB" if size >= 1024**2 else f"{size / 1024:,.0f} kB"
