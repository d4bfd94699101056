"""Sweeps kept in the runs folder, so the Sweeps page lists and shows them after the server restarts.

A sweep's record is ``RUNS_DIR/sweeps/<sweep id>/sweep.json`` (:func:`~agents.sweeps.report.summary`: the
definition as its link's query, when it started, whether it finished, each trial's values, status, metric and
run ids), plain JSON written whole (a temporary file renamed over it), by the app while the sweep runs and by
``python -m agents.sweep`` (its default sweep folder). The runs themselves stay ordinary run folders.

Reading a record is reading untrusted input (a file anyone with the folder could edit): at most
:data:`MAX_RECORD_BYTES`, never unpickled or evaluated; the definition goes through the share link's checks
(:func:`~agents.sweeps.share.query_to_definition`), each trial's values through the schema (the trial's run
configuration is built again), run ids through the store's pattern, numbers must be finite. A record that fails
is skipped with its reason (:class:`RecordError`), never half shown.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.config.limits import MAX_SWEEP_RUNS
from agents.runs.run import Run
from agents.storage.store import RUN_ID_PATTERN
from agents.sweeps.definition import SweepDefinition, SweepError, Trial
from agents.sweeps.report import summary
from agents.sweeps.runner import DRIVERS, SweepRun, TrialResult
from agents.sweeps.share import query_to_definition

RECORD_FILE = "sweep.json"
SWEEPS_FOLDER = "sweeps"
"""The records' folder inside the runs folder (not a run id, so the run store never lists it)."""
MAX_RECORD_BYTES = 1_000_000
MAX_LISTED = 50
"""Most stored sweeps the page lists (the newest)."""
MAX_KEPT = 200
"""Most sweep records kept on disk: a new sweep's first save removes the oldest past it (as the run store prunes
runs past ``DEFAULT_MAX_RUNS``, whose runs a sweep that old would no longer find)."""
SAVE_EVERY_S = 2.0
STATUSES = ("waiting", "training", "finished", "failed", "stopped")

FindRun = Callable[[str], Run | None]


class RecordError(ValueError):
    """A record that cannot be read; the message says why."""


def sweeps_root(runs_root: Path) -> Path:
    return runs_root / SWEEPS_FOLDER


def save(sweep: SweepRun, folder: Path) -> None:
    """Write ``folder/sweep.json`` whole (never a half-written file, even if the server dies meanwhile); a new
    sweep's first save also prunes the oldest records past :data:`MAX_KEPT` (:func:`prune`)."""
    if not folder.exists() and folder.parent.name == SWEEPS_FOLDER:  # not a folder the CLI's --out named
        prune(folder.parent, keep=MAX_KEPT - 1)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{RECORD_FILE}.tmp"
    temporary.write_text(json.dumps(summary(sweep), indent=2) + "\n")
    os.replace(temporary, folder / RECORD_FILE)


def _newest_first(root: Path) -> list[str]:
    """The names in ``root`` shaped like a sweep id, newest first (an id starts with its start time)."""
    return sorted((entry.name for entry in os.scandir(root) if RUN_ID_PATTERN.match(entry.name)), reverse=True)


def prune(root: Path, keep: int = MAX_KEPT) -> list[str]:
    """Remove the oldest sweep folders in ``root`` past the newest ``keep`` (ids sort by their start time);
    returns the ids removed. Only a folder named like a sweep id that holds a sweep's record is touched (a run's
    folder is named alike but holds none), never a symlink."""
    if not root.is_dir():
        return []
    names = [
        name for name in _newest_first(root) if not (root / name).is_symlink() and (root / name / RECORD_FILE).is_file()
    ]
    for name in names[max(keep, 0) :]:
        shutil.rmtree(root / name, ignore_errors=True)
    return names[max(keep, 0) :]


class RecordWriter:
    """Saves a running sweep's record at most every :data:`SAVE_EVERY_S`, and once more when it is done (the
    sweep's feeding thread calls it every poll)."""

    def __init__(self, sweep: SweepRun, folder: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.sweep, self.folder, self._clock = sweep, folder, clock
        self._saved_at: float | None = None

    def __call__(self) -> None:
        now = self._clock()
        if self.sweep.done or self._saved_at is None or now - self._saved_at >= SAVE_EVERY_S:
            self._saved_at = now
            save(self.sweep, self.folder)


@dataclass(frozen=True)
class Listed:
    """A stored sweep as the page lists it."""

    sweep_id: str
    started: float
    description: str
    status: str
    trials: int


def _read(folder: Path) -> dict[str, Any]:
    path = folder / RECORD_FILE
    if not RUN_ID_PATTERN.match(folder.name) or folder.is_symlink() or path.is_symlink():
        raise RecordError(f"{folder.name[:40]!r} is not a sweep's folder")
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            raise RecordError(f"its record is larger than {MAX_RECORD_BYTES:,} bytes")
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RecordError(f"its record cannot be read: {error}") from None
    if not isinstance(record, dict) or record.get("sweep_id") != folder.name:
        raise RecordError("its record is not a sweep's, or names another sweep")
    return record


def _definition(record: dict[str, Any]) -> SweepDefinition:
    query = record.get("definition")
    if not isinstance(query, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in query.items()):
        raise RecordError("its definition is not a link's query")
    shared = query_to_definition(query)
    if shared.definition is None or shared.warnings:
        raise RecordError(f"its definition is not valid here: {'; '.join(shared.warnings)}")
    return shared.definition


def _number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RecordError(f"a metric is not a finite number: {str(value)[:40]!r}")
    return float(value)


def _started(record: dict[str, Any]) -> float:
    started = _number(record.get("started_at"))
    if started is None:
        raise RecordError("it does not say when it started")
    return started


def stored(runs_root: Path) -> list[Listed]:
    """The stored sweeps, newest first (at most :data:`MAX_LISTED`); records that fail their checks are left out."""
    root = sweeps_root(runs_root)
    if not root.is_dir():
        return []
    listed: list[Listed] = []
    for name in _newest_first(root)[:MAX_LISTED]:
        try:
            record = _read(root / name)
            definition = _definition(record)
            trials = record.get("trials")
            listed.append(
                Listed(
                    name,
                    _started(record),
                    definition.describe(),
                    _status(record),
                    len(trials) if isinstance(trials, list) else 0,
                )
            )
        except RecordError:
            continue
    return listed


def _status(record: dict[str, Any]) -> str:
    """``done``, ``stopped``, or ``interrupted`` (it was running when its server ended)."""
    status = record.get("status")
    return status if status in ("done", "stopped") else "interrupted"


def load(runs_root: Path, sweep_id: object, find_run: FindRun) -> StoredSweep:
    """The stored sweep ``sweep_id`` (from a URL: checked before any path is built); RecordError says why not.

    ``find_run``: the run manager's lookup, so a trial whose runs the server still has shows their status and metric
    as they are now; one whose runs were deleted shows what its record says."""
    if not isinstance(sweep_id, str) or not RUN_ID_PATTERN.match(sweep_id):
        raise RecordError("not a sweep id")
    record = _read(sweeps_root(runs_root) / sweep_id)
    definition = _definition(record)
    raw_trials = record.get("trials")
    if not isinstance(raw_trials, list) or len(raw_trials) > MAX_SWEEP_RUNS:
        raise RecordError("its trials are not a list of at most the server's sweep size")
    trials: list[Trial] = []
    rows: list[TrialResult] = []
    names = {space.name for space in definition.spaces}
    for index, raw in enumerate(raw_trials):
        if not isinstance(raw, dict) or not isinstance(raw.get("params"), dict) or set(raw["params"]) != names:
            raise RecordError(f"trial {index + 1} does not give a value of each searched hyperparameter")
        try:
            trial = definition.make_trial(index, dict(raw["params"]))
        except SweepError as error:
            raise RecordError(str(error)) from None
        run_ids = raw.get("run_ids")
        seed_metrics = raw.get("seed_metrics")
        if (
            not isinstance(run_ids, list)
            or len(run_ids) > len(trial.configs)
            or not all(isinstance(r, str) and RUN_ID_PATTERN.match(r) for r in run_ids)
        ):
            raise RecordError(f"trial {index + 1}'s run ids are not run ids")
        if not isinstance(seed_metrics, list) or len(seed_metrics) > len(trial.configs):
            raise RecordError(f"trial {index + 1}'s metrics are not a list per seed")
        if raw.get("status") not in STATUSES:
            raise RecordError(f"trial {index + 1}'s status is not one of {', '.join(STATUSES)}")
        trials.append(trial)
        rows.append(
            TrialResult(
                index,
                trial.params,
                str(raw["status"]),
                _number(raw.get("metric")),
                tuple(_number(m) for m in seed_metrics),
                tuple(run_ids),
                trial.configs[0],
            )
        )
    return StoredSweep(sweep_id, record, definition, trials, rows, find_run)


class StoredSweep(SweepRun):
    """A sweep read back from its record: shown as a live one is (the table, chart, best configuration), started
    nothing, stopped by nobody. A trial whose runs the server still has is read from them; otherwise from the
    record. One that was running when its server ended shows as stopped there."""

    def __init__(
        self,
        sweep_id: str,
        record: dict[str, Any],
        definition: SweepDefinition,
        trials: list[Trial],
        rows: list[TrialResult],
        find_run: FindRun,
    ) -> None:
        super().__init__(definition, trials, _refuse, 1)
        self.id = sweep_id
        self.created_at = _started(record)
        self.status = _status(record)
        driver = record.get("driver")
        self.driver = driver if isinstance(driver, str) and driver in DRIVERS else ""
        self._rows = rows
        self._pending.clear()
        self._stopped = self.status != "done"
        for index, row in enumerate(rows):
            for seed, run_id in enumerate(row.run_ids):
                self._runs[index][seed] = find_run(run_id)

    def _result(self, trial: Trial, runs: list[Run | None]) -> TrialResult:
        row = self._rows[trial.index]
        if all(run is not None for run in runs[: len(row.run_ids)]) and len(row.run_ids) == len(runs):
            return super()._result(trial, runs)
        return row  # some of its runs are no longer on this server: what the record says


def _refuse(config: object) -> Run:
    raise SweepError("a stored sweep starts nothing")
