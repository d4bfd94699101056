"""One run's folder on disk: its file layout, the status record, atomic writes, checkpoints and the training lock.

Every run has a folder ``<root>/<run_id>/`` in the ecosystem's formats, readable without this app::

    config.json            RunConfig.to_dict(), written before training starts
    status.json            name, status, reason, timings, solved step, checkpoint step, owner token's SHA-256,
                           the cost meter (agents/storage/cost.py)
    monitor/<i>.monitor.csv  SB3 Monitor CSV per env copy: r, l, t, true_return, timesteps, train_s
    progress.csv           the SB3 logger's CSV (losses, fps, ...; one row per dump)
    tensorboard/           TensorBoard event files: everything the SB3 logger records, and each training
                           episode's return, true return and length (``tensorboard --logdir RUNS_DIR``)
    model.zip              the checkpoint, named by the algorithm (tabular agents: model.npz), replaced atomically
    latest_episode.gif     the latest evaluation episode, replaced atomically
    .lock                  held (flock) by the process training the run; the OS drops it when that process dies

Every file is replaced atomically (a temporary file, fsync, rename), so a reader or a restart after SIGKILL sees
the old file or the new one, never half of one. Checkpoints unpickle when loaded, so the app only ever loads
``model.zip`` from a folder it created itself. Folders are created and found through
:class:`~agents.storage.store.RunStore`, which checks the run id before any path is built.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from agents.storage.cost import Cost

if TYPE_CHECKING:
    from agents.algos.registry import AlgoInfo

FORMAT = "rl-playground-run"
"""Marks a status.json this app wrote; ``--resume`` refuses a folder without it."""
FORMAT_VERSION = 1
CONFIG_FILE, STATUS_FILE, PROGRESS_FILE, GIF_FILE, LOCK_FILE = (
    "config.json",
    "status.json",
    "progress.csv",
    "latest_episode.gif",
    ".lock",
)
MONITOR_DIR = "monitor"
TENSORBOARD_DIR = "tensorboard"
ACTIVE_STATUSES = frozenset({"queued", "starting", "running", "paused"})
RESUMABLE_STATUSES = frozenset({"interrupted", "stopped"})


class StorageError(ValueError):
    """A run folder that cannot be used; the message says why, in one line."""


def hash_owner(token: str) -> str:
    """What a run folder keeps of its owner's control token: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a temporary file next to ``path``, flush it to disk, then rename it over ``path``.

    A reader (or a restart after SIGKILL) sees the old file or the new one, never half of one.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_save(path: Path, write: Callable[[Path], None]) -> None:
    """``write`` a hidden temporary file with the same extension (so SB3 adds none), flush it, then rename it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_save_model(model: Any, path: Path) -> None:
    """``model.save`` to ``path`` atomically (see :func:`atomic_save`)."""
    atomic_save(path, model.save)


def checkpoint_timesteps(path: Path) -> int:
    """The step count saved in a checkpoint, read from its plain JSON part (nothing is unpickled)."""
    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                return int(json.loads(archive.read("data"))["num_timesteps"])
        with np.load(path, allow_pickle=False) as data:
            return int(json.loads(str(data["meta"]))["num_timesteps"])
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as error:
        raise StorageError(f"the checkpoint {path.name} cannot be read ({type(error).__name__})") from None


@dataclass
class RunRecord:
    """The contents of status.json: what a run list and a resume need, without reading the big files."""

    run_id: str
    status: str
    created_at: float
    total_timesteps: int
    end_reason: str = ""
    error: str = ""
    resume_note: str = ""
    """What a resumed run does differently from one never stopped (e.g. refilling its replay buffer)."""
    updated_at: float = 0.0
    timesteps: int = 0
    train_s: float = 0.0
    solved_at_step: int | None = None
    solved_at_s: float | None = None
    owner_sha256: str = ""
    checkpoint_timesteps: int | None = None
    checkpoint_train_s: float = 0.0
    evaluation: dict[str, float] | None = None
    """index, step, episode_return and length of ``latest_episode.gif``."""
    cpu_s: float | None = None
    """CPU seconds of the training thread, for the Compare page's table."""
    cost: dict[str, Any] | None = None
    """The run's cost meter (:meth:`agents.storage.cost.Cost.to_json`): wall and CPU seconds, env steps, parameters,
    labels, and the same at solving; None for runs stored before the meter."""
    name: str = ""
    """The run's readable name, e.g. "CartPole · PPO · seed 0 · #3" (empty for runs stored before names)."""
    format: str = FORMAT
    version: int = FORMAT_VERSION

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        if data.get("format") != FORMAT:
            raise StorageError("status.json was not written by this app")
        try:
            record = cls(
                run_id=str(data["run_id"]),
                status=str(data["status"]),
                created_at=float(data["created_at"]),
                total_timesteps=int(data["total_timesteps"]),
            )
            for name in ("end_reason", "error", "owner_sha256", "name", "resume_note"):
                setattr(record, name, str(data.get(name) or ""))
            for name in ("updated_at", "train_s", "checkpoint_train_s"):
                setattr(record, name, float(data.get(name) or 0.0))
            record.timesteps = int(data.get("timesteps") or 0)
            record.solved_at_step = _optional(int, data.get("solved_at_step"))
            record.solved_at_s = _optional(float, data.get("solved_at_s"))
            record.checkpoint_timesteps = _optional(int, data.get("checkpoint_timesteps"))
            record.cpu_s = _optional(float, data.get("cpu_s"))
            cost = data.get("cost")
            if isinstance(cost, Mapping):
                record.cost = Cost.from_json(cost).to_json()
            evaluation = data.get("evaluation")
            if isinstance(evaluation, Mapping):
                record.evaluation = {k: float(evaluation[k]) for k in ("index", "step", "episode_return", "length")}
        except (KeyError, TypeError, ValueError) as error:
            raise StorageError(f"status.json is malformed ({type(error).__name__}: {error})") from None
        return record


def _optional(kind: type, value: Any) -> Any:
    return None if value is None else kind(value)


@dataclass
class RunFolder:
    """One run's folder. Created and found only through :class:`RunStore`, which checks the id."""

    path: Path
    run_id: str
    _lock_fd: int | None = field(default=None, repr=False)

    @property
    def monitor_dir(self) -> Path:
        return self.path / MONITOR_DIR

    @property
    def progress_path(self) -> Path:
        return self.path / PROGRESS_FILE

    @property
    def tensorboard_dir(self) -> Path:
        return self.path / TENSORBOARD_DIR

    @property
    def gif_path(self) -> Path:
        return self.path / GIF_FILE

    def checkpoint_path(self, file_name: str) -> Path:
        """Where a checkpoint file of this name lives (an algorithm names its own: ``AlgoInfo.checkpoint_file``)."""
        return self.path / file_name

    def monitor_files(self) -> list[Path]:
        """Per env copy, in index order."""
        if not self.monitor_dir.is_dir():
            return []
        files = [p for p in self.monitor_dir.glob("*.monitor.csv") if p.name.split(".")[0].isdigit()]
        return sorted(files, key=lambda p: int(p.name.split(".")[0]))

    # --- config and status --------------------------------------------------------------------------------

    def write_config(self, config_dict: Mapping[str, Any]) -> None:
        atomic_write_bytes(self.path / CONFIG_FILE, json.dumps(config_dict, indent=2).encode())

    def read_config(self) -> dict[str, Any]:
        try:
            data = json.loads((self.path / CONFIG_FILE).read_text())
        except (OSError, ValueError) as error:
            raise StorageError(f"config.json cannot be read ({type(error).__name__})") from None
        if not isinstance(data, dict):
            raise StorageError("config.json does not hold a configuration")
        return data

    def write_status(self, record: RunRecord) -> None:
        record.updated_at = time.time()
        atomic_write_bytes(self.path / STATUS_FILE, json.dumps(asdict(record), indent=2).encode())

    def read_status(self) -> RunRecord:
        try:
            data = json.loads((self.path / STATUS_FILE).read_text())
        except (OSError, ValueError) as error:
            raise StorageError(f"status.json cannot be read ({type(error).__name__})") from None
        if not isinstance(data, dict):
            raise StorageError("status.json does not hold a status")
        record = RunRecord.from_json(data)
        if record.run_id != self.run_id:
            raise StorageError("status.json belongs to another run")
        return record

    # --- checkpoints and the evaluation GIF -------------------------------------------------------------

    def save_checkpoint(self, model: Any, algo: AlgoInfo) -> None:
        """The algorithm's own ``save``, written atomically to its checkpoint file."""
        atomic_save(self.checkpoint_path(algo.checkpoint_file), lambda path: algo.save(model, path))

    def write_gif(self, gif: bytes) -> None:
        atomic_write_bytes(self.gif_path, gif)

    def read_gif(self) -> bytes | None:
        try:
            return self.gif_path.read_bytes()
        except OSError:
            return None

    def remove_temporary_files(self) -> None:
        """Half-written temporary files left by a process killed while saving."""
        for pattern in (".*.tmp", ".*.tmp.*", ".model.*"):  # .model.*: left by versions before the .tmp marker
            for leftover in self.path.glob(pattern):
                leftover.unlink(missing_ok=True)

    # --- who trains it ------------------------------------------------------------------------------------

    def lock(self) -> None:
        """Claim the run for this process; StorageError if another process is training it."""
        if self._lock_fd is not None:
            return
        fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StorageError(f"run {self.run_id} is being trained by another process") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    @property
    def locked(self) -> bool:
        return self._lock_fd is not None

    def in_use_elsewhere(self) -> bool:
        """True while another process (or another handle in this one) holds the run's lock."""
        if self._lock_fd is not None:
            return False
        try:
            self.lock()
        except StorageError:
            return True
        except OSError:
            return False
        self.unlock()
        return False

    def size_bytes(self) -> int:
        total = 0
        for entry in self.path.rglob("*"):
            try:
                if entry.is_file() and not entry.is_symlink():
                    total += entry.stat().st_size
            except OSError:
                continue
        return total
