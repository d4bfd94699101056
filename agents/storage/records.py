"""A run's records in stable-baselines3's own formats, written while it trains and read back after a restart.

* Episodes: SB3's :class:`~stable_baselines3.common.monitor.Monitor` CSV, one file per env copy
  (``monitor/<i>.monitor.csv``), with ``true_return`` (the env's own return under shaping), ``timesteps`` (the
  run's step count when the episode ended) and ``train_s`` (training seconds) next to ``r, l, t``: enough to
  redraw every chart exactly and to cut the records back to a checkpoint.
* Losses and speed: the SB3 logger's ``progress.csv`` (:class:`ProgressCSV` also appends when resuming).
* Checkpoints: :class:`TimedCheckpoint` saves every few seconds of training, between whole updates; saving is
  atomic (see :mod:`agents.storage.checkpoint`).

Nothing here writes per step: Monitor writes one row per episode, the logger one row per update.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import CSVOutputFormat
from stable_baselines3.common.monitor import Monitor

from agents.feedback.report import REPORT_FILE, RewardReport, reports_from_json
from agents.runs.live import EvalResult, RunStats
from agents.storage.folder import RunFolder, atomic_write_bytes

INFO_KEYWORDS = ("true_return", "timesteps", "train_s")
"""Columns the Monitor CSV gets after SB3's ``r, l, t``."""
log = logging.getLogger(__name__)
STEP_KEY = "time/total_timesteps"
"""The progress.csv column that says when a row was logged (added when an agent does not log it)."""


@dataclass(frozen=True)
class EpisodeRecord:
    """One row of a Monitor CSV, as the charts use it."""

    step: int
    episode_return: float
    true_return: float
    length: int
    train_s: float


class EpisodeStamp(gym.Wrapper):
    """Adds the run's step count and training time to the info of an episode's last step, for the Monitor.

    Env copies of a vector env step in lockstep, so copy ``k``'s own step count times the number of copies
    is the run's ``num_timesteps`` at that moment, exactly what the live charts record.
    """

    def __init__(self, env: gym.Env, episode_log: EpisodeLog) -> None:
        super().__init__(env)
        self._log = episode_log
        self._steps = 0

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._steps += 1
        if terminated or truncated:
            info["timesteps"] = self._log.start_step + self._steps * max(1, self._log.n_envs)
            info["train_s"] = round(self._log.clock(), 3)
        return obs, reward, terminated, truncated, info


class EpisodeLog:
    """Wraps each env copy a model's factory makes in SB3's Monitor writing ``<dir>/<i>.monitor.csv``.

    When resuming, ``start_step`` is the checkpoint's step count and the files are appended to, keeping
    their first ``t_start`` so the ``t`` column stays SB3's "seconds since the header's t_start".
    """

    def __init__(self, monitor_dir: Path, clock: Callable[[], float], start_step: int = 0) -> None:
        self.monitor_dir = monitor_dir
        self.clock = clock
        self.start_step = start_step
        self.n_envs = 0

    def wrap(self, env: gym.Env) -> Monitor:
        index = self.n_envs
        self.n_envs += 1
        self.monitor_dir.mkdir(parents=True, exist_ok=True)
        path = self.monitor_dir / f"{index}.monitor.csv"
        t_start = _monitor_t_start(path)
        monitor = Monitor(
            EpisodeStamp(env, self),
            filename=str(path),
            info_keywords=INFO_KEYWORDS,
            override_existing=t_start is None,
        )
        if t_start is not None:
            monitor.t_start = t_start
        return monitor


def _monitor_t_start(path: Path) -> float | None:
    """The ``t_start`` of an existing Monitor CSV with its header, or None (then it is written afresh)."""
    lines = _complete_lines(path)
    if len(lines) < 2 or not lines[0].startswith("#"):
        return None
    try:
        return float(json.loads(lines[0][1:])["t_start"])
    except (ValueError, KeyError, TypeError):
        return None


def _complete_lines(path: Path) -> list[str]:
    """A file's lines, without a last line cut short by a kill (one not ending in a newline)."""
    try:
        text = path.read_text()
    except OSError:
        return []
    lines = text.split("\n")
    return lines[:-1]  # the part after the last newline is either empty or incomplete


def read_episodes(files: list[Path], until_step: int | None = None) -> list[EpisodeRecord]:
    """Episodes of every env copy, in the order the run saw them; rows that do not parse are skipped."""
    rows: list[tuple[int, int, EpisodeRecord]] = []
    for index, path in enumerate(files):
        lines = _complete_lines(path)
        for row in csv.DictReader(lines[1:]):
            try:
                record = EpisodeRecord(
                    step=int(row["timesteps"]),
                    episode_return=float(row["r"]),
                    true_return=float(row.get("true_return") or row["r"]),
                    length=int(row["l"]),
                    train_s=float(row["train_s"]),
                )
            except (KeyError, TypeError, ValueError):
                continue
            if until_step is None or record.step <= until_step:
                rows.append((record.step, index, record))
    rows.sort(key=lambda item: (item[0], item[1]))  # stable: each file keeps its own order
    return [record for _, _, record in rows]


def truncate_monitor(path: Path, until_step: int) -> None:
    """Keep the header and the episodes that ended by ``until_step`` (a checkpoint's step count)."""
    lines = _complete_lines(path)
    if len(lines) < 2:
        path.unlink(missing_ok=True)
        return
    kept = lines[:2]
    header = next(csv.reader([lines[1]]))
    column = header.index("timesteps") if "timesteps" in header else None
    for line in lines[2:]:
        fields = next(csv.reader([line]), [])
        step = _int_or_none(fields[column]) if column is not None and len(fields) == len(header) else None
        if step is not None and step <= until_step:
            kept.append(line)
    atomic_write_bytes(path, ("\n".join(kept) + "\n").encode())


def read_progress(path: Path, until_step: int | None = None) -> list[tuple[int, dict[str, float]]]:
    """The ``train/*`` values of each progress.csv row, with the step it was logged at."""
    lines = _complete_lines(path)
    result: list[tuple[int, dict[str, float]]] = []
    for row in csv.DictReader(lines):
        step = _int_or_none(row.get(STEP_KEY))
        if step is None or (until_step is not None and step > until_step):
            continue
        values = {}
        for key, text in row.items():
            if isinstance(key, str) and key.startswith("train/") and text:
                value = _float_or_none(text)
                if value is not None:  # inf and nan too: the chart says where a diverged run's curve ended
                    values[key] = value
        if values:
            result.append((step, values))
    return result


def truncate_progress(path: Path, until_step: int) -> None:
    """Keep the header and the rows logged by ``until_step``."""
    lines = _complete_lines(path)
    if not lines:
        path.unlink(missing_ok=True)
        return
    header = next(csv.reader([lines[0]]))
    column = header.index(STEP_KEY) if STEP_KEY in header else None
    kept = [lines[0]]
    for line in lines[1:]:
        fields = next(csv.reader([line]), [])
        step = _int_or_none(fields[column]) if column is not None and len(fields) == len(header) else None
        if step is not None and step <= until_step:
            kept.append(line)
    atomic_write_bytes(path, ("\n".join(kept) + "\n").encode())


def _int_or_none(text: Any) -> int | None:
    value = _float_or_none(text)
    return int(value) if value is not None and value.is_integer() else None


def _float_or_none(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def reset_records(folder: RunFolder, start_step: int) -> None:
    """Before training (again): cut the records back to the checkpoint at ``start_step``, or clear them at 0.

    Episodes recorded after the last checkpoint of a killed run are dropped, since the resumed model
    plays those steps again; what remains matches the checkpoint exactly.
    """
    folder.remove_temporary_files()
    for path in folder.monitor_files():
        if start_step:
            truncate_monitor(path, start_step)
        else:
            path.unlink()
    if folder.progress_path.exists():
        if start_step:
            truncate_progress(folder.progress_path, start_step)
        else:
            folder.progress_path.unlink()


def fill_stats(
    stats: RunStats,
    folder: RunFolder,
    timesteps: int,
    train_s: float,
    evaluation: dict[str, float] | None,
    *,
    until_step: int | None = None,
) -> None:
    """Redraw a stored run's charts: episodes, losses, progress and the latest evaluation GIF."""
    for episode in read_episodes(folder.monitor_files(), until_step=until_step):
        stats.add_episode(episode.step, episode.episode_return, episode.true_return, episode.length, episode.train_s)
    for step, values in read_progress(folder.progress_path, until_step=until_step):
        stats.add_metrics(step, values)
    stats.set_progress(timesteps, train_s)
    for report in read_reward_reports(folder.path / REPORT_FILE, until_step=until_step):
        stats.add_reward_report(report)
    gif = folder.read_gif()
    if gif and evaluation:
        index, step, length = int(evaluation["index"]), int(evaluation["step"]), int(evaluation["length"])
        stats.set_evaluation(EvalResult(index, step, float(evaluation["episode_return"]), length, gif))


def read_reward_reports(path: Path, *, until_step: int | None = None) -> list[RewardReport]:
    """A lab run's reward reports (:mod:`agents.feedback.report`), up to ``until_step``; none when the run has no
    such file or it cannot be read (the charts then go without them, and say so)."""
    if not path.is_file():
        return []
    try:
        reports = reports_from_json(path.read_bytes())
    except (OSError, TypeError, ValueError, KeyError):
        log.warning("could not read %s", path, exc_info=True)
        return []
    return [r for r in reports if until_step is None or r.step <= until_step]


class ProgressCSV(CSVOutputFormat):
    """SB3's CSV logger output that can also continue an existing file, and always records the step."""

    def __init__(self, path: Path, *, append: bool = False) -> None:
        if append and path.is_file() and path.stat().st_size > 0:
            self.file: io.TextIOWrapper = open(path, "r+")  # noqa: SIM115 (closed by close(), as in SB3)
            header = self.file.readline().rstrip("\n")
            self.keys: list[str] = header.split(",") if header else []
            self.file.seek(0, os.SEEK_END)
            self.separator, self.quotechar = ",", '"'
        else:
            super().__init__(str(path))

    def write(self, key_values: dict[str, Any], key_excluded: dict[str, tuple[str, ...]], step: int = 0) -> None:
        if STEP_KEY not in key_values:
            key_values = {**key_values, STEP_KEY: step}
        super().write(key_values, key_excluded, step)


class TimedCheckpoint(BaseCallback):
    """Calls ``save`` every ``every_s`` seconds of wall-clock time, at the start of a rollout: between two whole
    updates, never inside one (one clock read per rollout)."""

    def __init__(self, save: Callable[[], None], every_s: float) -> None:
        super().__init__(verbose=0)
        self.save = save
        self.every_s = every_s
        self.saves = 0
        self.save_s = 0.0
        """Seconds spent saving, to report what checkpoints cost."""
        self._next = time.monotonic() + every_s

    def _on_rollout_start(self) -> None:
        now = time.monotonic()
        if now >= self._next:
            self.save()
            self.saves += 1
            done = time.monotonic()
            self.save_s += done - now
            self._next = done + self.every_s

    def _on_step(self) -> bool:
        return True
