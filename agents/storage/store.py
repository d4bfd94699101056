"""The runs folder on disk, so runs outlive the server: create, find, list, prune and delete run folders.

Each run keeps its configuration, status, episode records, losses and checkpoints in a folder of its own (the
layout and the files are :mod:`agents.storage.folder`). Run ids are checked against :data:`RUN_ID_PATTERN` before
any path is built, and only folders directly under the root are used, so an id from a URL can never name a path
elsewhere. Pruning keeps the folder within a count and a size, and never deletes a run that is training.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agents.storage.folder import ACTIVE_STATUSES, CONFIG_FILE, RunFolder, RunRecord, StorageError

log = logging.getLogger(__name__)

RUN_ID_PATTERN = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}\Z")  # \Z: "$" would accept a trailing newline
"""What a run id looks like; anything else from a URL is refused before any lookup."""
DEFAULT_MAX_RUNS = 200
DEFAULT_MAX_BYTES = 2 * 1024**3
DEBRIS_AGE_S = 600.0


class RunStore:
    """The runs folder: creates, finds, lists, prunes and deletes run folders, never outside its root."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def folder(self, run_id: str) -> RunFolder:
        """The folder of a well-formed run id (it may not exist yet); StorageError for anything else."""
        if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id):
            raise StorageError(f"{str(run_id)[:40]!r} is not a run id")
        path = self.root / run_id
        if path.is_symlink() or path.parent != self.root:
            raise StorageError(f"run folder {run_id} is not a plain folder in {self.root}")
        return RunFolder(path, run_id)

    def create(self, run_id: str, config_dict: Mapping[str, Any], record: RunRecord) -> RunFolder:
        """Make the folder and write status.json and config.json, before the run trains."""
        folder = self.folder(run_id)
        folder.path.mkdir(parents=True, exist_ok=False)
        folder.write_status(record)
        folder.write_config(config_dict)
        return folder

    def open(self, run_id: str) -> RunFolder:
        """An existing folder this app wrote (status.json with our marker, and config.json)."""
        folder = self.folder(run_id)
        if not folder.path.is_dir():
            raise StorageError(f"no run folder {run_id} in {self.root}")
        folder.read_status()
        if not (folder.path / CONFIG_FILE).is_file():
            raise StorageError(f"run folder {run_id} has no config.json")
        return folder

    def run_ids(self) -> list[str]:
        """Ids of the run folders under the root, oldest first (ids start with their UTC creation time)."""
        if not self.root.is_dir():
            return []
        return sorted(
            entry.name
            for entry in os.scandir(self.root)
            if RUN_ID_PATTERN.match(entry.name) and entry.is_dir(follow_symlinks=False)
        )

    def names(self) -> list[str]:
        """The readable names of the stored runs (a folder whose status.json cannot be read is skipped)."""
        names = []
        for run_id in self.run_ids():
            try:
                names.append(self.folder(run_id).read_status().name)
            except (StorageError, OSError):
                continue
        return names

    def delete(self, run_id: str) -> None:
        """Remove a run folder; StorageError if a process is training it."""
        folder = self.folder(run_id)
        if not folder.path.is_dir():
            return
        folder.lock()  # held while deleting, so nobody starts training it meanwhile
        try:
            shutil.rmtree(folder.path)
        finally:
            folder.unlock()

    def prune(
        self,
        max_runs: int = DEFAULT_MAX_RUNS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        protect: frozenset[str] | set[str] = frozenset(),
    ) -> list[str]:
        """Delete the oldest runs until at most ``max_runs`` folders and ``max_bytes`` remain; return their ids.

        A run in ``protect`` (the caller's active runs), one whose status.json says it is active and one that a
        process is training (its lock is held) is never deleted, so a limit may stay exceeded until they end.
        """
        ids = self.run_ids()
        sizes = {run_id: self.folder(run_id).size_bytes() for run_id in ids}
        count, total = len(ids), sum(sizes.values())
        removed: list[str] = []
        for run_id in ids:
            if count <= max_runs and total <= max_bytes:
                break
            if run_id in protect or not self._ended(run_id):
                continue
            try:
                self.delete(run_id)
            except (StorageError, OSError) as error:
                log.info("not pruning run %s: %s", run_id, error)
                continue
            removed.append(run_id)
            count, total = count - 1, total - sizes[run_id]
        return removed

    def _ended(self, run_id: str) -> bool:
        folder = self.folder(run_id)
        if folder.in_use_elsewhere():
            return False
        try:
            return folder.read_status().status not in ACTIVE_STATUSES
        except StorageError:  # debris of a crash while creating it; young ones may be being created right now
            return time.time() - folder.path.stat().st_mtime > DEBRIS_AGE_S


def limits_from_env(environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """(max runs, max bytes) from ``RUNS_MAX_COUNT`` and ``RUNS_MAX_BYTES``; defaults 200 and 2 GiB."""
    environ = os.environ if environ is None else environ

    def read(name: str, default: int) -> int:
        try:
            return max(1, int(float(environ.get(name, default))))
        except ValueError:
            log.warning("%s=%r is not a number; using %s", name, environ.get(name), default)
            return default

    return read("RUNS_MAX_COUNT", DEFAULT_MAX_RUNS), read("RUNS_MAX_BYTES", DEFAULT_MAX_BYTES)


def default_root(environ: Mapping[str, str] | None = None) -> Path:
    """``RUNS_DIR`` or ``./runs``."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("RUNS_DIR") or "runs")
