"""Policy snapshots: the model as it was at evaluation times, kept in the run's folder so any moment can be replayed.

A run keeps its snapshots in ``<run>/snapshots/<step>.zip`` (the algorithm's own checkpoint format, ``model.npz`` for
the tabular agents: the suffix of ``AlgoInfo.checkpoint_file``), each written atomically by the worker with the
algorithm's ``save``, so only the app's own files are ever loaded (loading unpickles).

**The bound.** At most :data:`MAX_SNAPSHOTS` (20) snapshots and :data:`MAX_SNAPSHOT_BYTES` (32 MiB) per run. Past
either, snapshots are *thinned evenly*: the first and the latest always stay, and the one dropped is the inner
snapshot whose neighbours lie closest together (the one whose loss leaves the smallest gap), so early, middle and
late moments of the run all survive and the kept steps stay roughly evenly spaced however long the run trains
(:func:`thin`; adding 1,000 evenly spaced steps keeps gaps within 0.7-1.4 of the even spacing). A CartPole PPO demo
snapshot is ~120 kB and a Pendulum SAC one ~200 kB (``benchmarks/bench_snapshots.py``): 20 take 2-4 MB, so the byte
cap only matters for much larger networks.

Replayed clips are cached beside them in ``<run>/replays/<step>-<seed>.gif`` with a ``.json`` of their return and
length (:mod:`agents.runs.replay`), at most :data:`MAX_CACHED_REPLAYS` per run (the oldest go first).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path

from agents.storage.folder import atomic_save

SNAPSHOT_DIR = "snapshots"
REPLAY_DIR = "replays"
MAX_SNAPSHOTS = 20
"""Snapshots kept per run, at most."""
MAX_SNAPSHOT_BYTES = 32 * 1024**2
"""Bytes of snapshots kept per run, at most."""
MAX_CACHED_REPLAYS = 40
"""Replayed clips cached per run, at most (a clip is 20-200 kB)."""


def thin(steps: Sequence[int], sizes: Sequence[int], max_count: int, max_bytes: int) -> list[int]:
    """The steps to delete so that at most ``max_count`` snapshots of at most ``max_bytes`` together remain.

    ``steps`` ascending, ``sizes`` their bytes. Drops, one at a time, the inner step whose neighbours are closest
    (ties: the earlier), so the first and the latest stay and the rest stay evenly spread; with two left and still
    over the byte cap, the older goes, and a lone snapshot larger than the cap goes too.
    """
    kept = list(zip(steps, sizes, strict=True))
    dropped: list[int] = []
    while kept and (len(kept) > max_count or sum(size for _, size in kept) > max_bytes):
        if len(kept) > 2:
            gaps = [kept[i + 1][0] - kept[i - 1][0] for i in range(1, len(kept) - 1)]
            index = 1 + gaps.index(min(gaps))
        else:
            index = 0
        dropped.append(kept.pop(index)[0])
    return dropped


def nearest_snapshot(steps: Sequence[int], clicked: int) -> int | None:
    """The snapshot step to replay for a click at step ``clicked``: the latest at or before it, else the first one
    (a click before the first snapshot); None when there is none."""
    before = [step for step in steps if step <= clicked]
    if before:
        return max(before)
    return min(steps) if steps else None


class SnapshotStore:
    """One run's ``snapshots/`` folder: list, write (with thinning), cut back, and find a snapshot's file."""

    def __init__(
        self, run_path: Path, suffix: str, *, max_count: int = MAX_SNAPSHOTS, max_bytes: int = MAX_SNAPSHOT_BYTES
    ) -> None:
        self.path = run_path / SNAPSHOT_DIR
        self.suffix = suffix
        """The checkpoint format's suffix (``.zip`` for SB3 and GRPO, ``.npz`` for the tabular agents)."""
        self.max_count = max_count
        self.max_bytes = max_bytes

    def steps(self) -> list[int]:
        """The steps that have a snapshot, ascending (a missing folder: none; half-written files are not listed)."""
        if not self.path.is_dir():
            return []
        found = [p.stem for p in self.path.glob(f"*{self.suffix}") if not p.name.startswith(".")]
        return sorted(int(stem) for stem in found if stem.isdigit())

    def file(self, step: int) -> Path:
        return self.path / f"{int(step)}{self.suffix}"

    def add(self, step: int, save: Callable[[Path], None]) -> list[int]:
        """Write the snapshot of ``step`` with ``save(path)`` (atomically), thin to the bound; the steps now kept.

        OSError (a full disk) is left to the caller.
        """
        self.path.mkdir(exist_ok=True)
        atomic_save(self.file(step), save)
        steps = self.steps()
        sizes = [self._size(s) for s in steps]
        for gone in thin(steps, sizes, self.max_count, self.max_bytes):
            self.file(gone).unlink(missing_ok=True)
            steps.remove(gone)
        return steps

    def cut_back(self, last_step: int) -> None:
        """Delete snapshots after ``last_step`` (a run resumed from its checkpoint trains those steps again)."""
        for step in self.steps():
            if step > last_step:
                self.file(step).unlink(missing_ok=True)

    def _size(self, step: int) -> int:
        with contextlib.suppress(OSError):
            return self.file(step).stat().st_size
        return 0
