"""Write-through of a run folder for a worker that may sit on another machine (the Ray executor).

The run folder in the server's ``RUNS_DIR`` stays the single record of a run, and a worker on another node
shares no disk with the server. So the worker trains into a scratch copy of the folder
(:func:`folder_files` and :func:`seed` bring a resumed run's checkpoint, records and reward model there), a
:class:`FolderWatch` turns what the body changed into :class:`FileWrite` messages that travel ahead of the events
that refer to them (a checkpoint before its ``Checkpointed``, the clip before ``Ended``), and the server applies
them to the real folder with :func:`apply_writes`. Files that only grow (Monitor CSVs, ``progress.csv``) travel as
their new bytes only.

The server's own files (``config.json``, ``status.json``, the lock) and hidden temporary files are never sent
either way.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from agents.storage.folder import CONFIG_FILE, LOCK_FILE, STATUS_FILE, atomic_write_bytes

log = logging.getLogger(__name__)

SERVER_FILES = frozenset({CONFIG_FILE, STATUS_FILE, LOCK_FILE})
"""Written by the server's run handle only: a worker neither receives nor sends them."""


@dataclass(frozen=True)
class FileWrite:
    """One change to a file of the run folder, relative to the folder.

    ``data`` is written at byte ``offset`` and the file cut there (offset 0: the whole file, written
    atomically); ``data`` None: the file was removed.
    """

    path: str
    offset: int = 0
    data: bytes | None = b""


def _synced(relative: PurePosixPath) -> bool:
    """Whether a file at this relative path travels: not the server's, not hidden (temporary files are)."""
    return not any(part.startswith(".") for part in relative.parts) and str(relative) not in SERVER_FILES


def _files(root: Path) -> dict[str, Path]:
    return {
        rel.as_posix(): path
        for path in sorted(root.rglob("*"))
        if path.is_file() and _synced(rel := PurePosixPath(path.relative_to(root).as_posix()))
    }


def folder_files(root: Path) -> dict[str, bytes]:
    """The contents of a run folder that a worker needs to go on from it: ``{relative path: bytes}``."""
    return {name: path.read_bytes() for name, path in _files(root).items()}


def seed(root: Path, files: dict[str, bytes]) -> None:
    """Write :func:`folder_files`' result into an empty scratch folder (paths checked as in :func:`apply_writes`)."""
    apply_writes(root, [FileWrite(name, 0, data) for name, data in files.items()])


class FolderWatch:
    """Finds what changed in a folder since the last call (the worker's side). Not thread-safe: one caller."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sent: dict[str, tuple[int, int, bytes]] = {}
        """Per file: (mtime_ns, size, digest of the bytes) as last sent."""

    def mark(self) -> None:
        """Take the folder as it is now as already sent (after :func:`seed`)."""
        self.changes()

    def changes(self) -> list[FileWrite]:
        """Writes that bring a copy of the folder, as of the last call, to the folder as it is now."""
        writes: list[FileWrite] = []
        current = _files(self.root)
        for name in sorted(set(self._sent) - set(current)):
            del self._sent[name]
            writes.append(FileWrite(name, 0, None))
        for name, path in current.items():
            try:
                stat = path.stat()
                before = self._sent.get(name)
                if before is not None and before[:2] == (stat.st_mtime_ns, stat.st_size):
                    continue
                data = path.read_bytes()
            except FileNotFoundError:  # replaced or removed between the listing and now: the next call sees it
                continue
            offset = 0
            if before is not None and 0 < before[1] <= len(data) and _digest(data[: before[1]]) == before[2]:
                offset = before[1]  # it only grew: send the new bytes
            self._sent[name] = (stat.st_mtime_ns, len(data), _digest(data))
            if not offset or offset < len(data):  # else: touched, not changed
                writes.append(FileWrite(name, offset, data[offset:]))
        return writes


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def apply_writes(root: Path, writes: list[FileWrite]) -> None:
    """Apply a worker's writes to the run folder ``root`` (the server's side).

    A path that is absolute, climbs out with ``..``, is hidden or names one of the server's files is refused
    (logged, nothing written): the folder's record is the server's, whatever a worker sends.
    """
    for write in writes:
        relative = PurePosixPath(write.path)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts or not _synced(relative):
            log.warning("a worker's write to %r was refused", write.path)
            continue
        path = root.joinpath(*relative.parts)
        if write.data is None:
            path.unlink(missing_ok=True)
        elif write.offset == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, write.data)
        else:
            try:
                with open(path, "r+b") as handle:
                    handle.seek(write.offset)
                    handle.write(write.data)
                    handle.truncate()
            except FileNotFoundError:
                log.warning("a worker appended to %s, which the server does not have", write.path)
