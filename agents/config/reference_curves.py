"""Reference curves: what a demo or RL Zoo preset reaches by each step, measured here over seeds.

The data (``reference_curves.json``) is written by ``python -m benchmarks.bench_reference_curves``: for each
measured preset, the 10th, 50th and 90th percentile over seeds of the mean true return of the last 20 training
episodes at evenly spaced steps, with its source (script, commit, seeds, machine, load, date). A band belongs to
one configuration: :func:`reference_for` gives it only to a run whose environment, algorithm, hyperparameters and
budget are exactly those measured, with no reward shaping or learned reward (the seed may differ: the band is
over seeds). Any other run gets none, and :func:`reference_note` says why.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from agents.config.run_config import RunConfig
from agents.config.schema import Value
from envs.shaping import ShapingConfig

REFERENCE_FILE = Path(__file__).with_name("reference_curves.json")
CHECKPOINTS = 25
"""Steps at which a curve is stored: the budget split in this many equal parts."""
PERCENTILES = (10, 50, 90)
STATISTIC = "mean true return of the last 20 training episodes ended by the step"
REQUIRED = {
    "env_id": str,
    "algo": str,
    "preset": str,
    "timesteps": int,
    "hyperparams": dict,
    "seeds": list,
    "steps": list,
    "p10": list,
    "p50": list,
    "p90": list,
    "measured_on": str,
    "commit": str,
    "machine": dict,
}


class ReferenceDataError(ValueError):
    """The data file does not have the shape this module reads."""


@dataclass(frozen=True)
class ReferenceCurve:
    """One preset's band: at ``steps[i]``, ``low[i]``..``high[i]`` (10th-90th percentile over seeds), median
    ``median[i]`` (None where a seed had not ended an episode yet). Returns are in the env's own reward units."""

    env_id: str
    algo: str
    preset: str
    timesteps: int
    hyperparams: dict[str, Value]
    seeds: tuple[int, ...]
    steps: tuple[int, ...]
    low: tuple[float | None, ...]
    median: tuple[float | None, ...]
    high: tuple[float | None, ...]
    measured_on: str
    commit: str
    machine: str

    @property
    def bands(self) -> tuple[tuple[float | None, ...], ...]:
        """``(low, median, high)``."""
        return self.low, self.median, self.high

    @property
    def label(self) -> str:
        """The legend's name: ``reference: PPO demo, 3 seeds, median and 10-90%``."""
        return f"reference: {self.algo.upper()} {self.preset}, {len(self.seeds)} seeds, median and 10-90%"

    @property
    def source(self) -> str:
        """Where the band comes from, for a hover or a caption."""
        return (
            f"measured {self.measured_on} by benchmarks/bench_reference_curves.py (commit {self.commit}) "
            f"on {self.machine}, seeds {', '.join(map(str, self.seeds))}"
        )


def check_entry(entry: Any) -> None:
    """Raise :class:`ReferenceDataError` naming the first field of ``entry`` that is missing or malformed."""
    if not isinstance(entry, dict):
        raise ReferenceDataError("a curve is not an object")
    for key, kind in REQUIRED.items():
        if not isinstance(entry.get(key), kind) or isinstance(entry.get(key), bool):
            raise ReferenceDataError(f"curve {entry.get('env_id')}/{entry.get('algo')}: {key} is not a {kind.__name__}")
    steps = entry["steps"]
    if not steps or any(not isinstance(s, int) for s in steps) or steps != sorted(set(steps)):
        raise ReferenceDataError(f"curve {entry['env_id']}/{entry['algo']}: steps are not increasing integers")
    if steps[-1] != entry["timesteps"]:
        raise ReferenceDataError(f"curve {entry['env_id']}/{entry['algo']}: the last step is not the budget")
    for name in ("p10", "p50", "p90"):
        values = entry[name]
        if len(values) != len(steps):
            raise ReferenceDataError(f"curve {entry['env_id']}/{entry['algo']}: {name} has not one value per step")
        if any(v is not None and (not isinstance(v, int | float) or not math.isfinite(v)) for v in values):
            raise ReferenceDataError(f"curve {entry['env_id']}/{entry['algo']}: {name} holds a non-finite value")
    for low, mid, high in zip(entry["p10"], entry["p50"], entry["p90"], strict=True):
        if (low is None) != (high is None) or (low is None) != (mid is None):
            raise ReferenceDataError(f"curve {entry['env_id']}/{entry['algo']}: percentiles missing at different steps")
        if low is not None and not low <= mid <= high:
            raise ReferenceDataError(f"curve {entry['env_id']}/{entry['algo']}: percentiles out of order")


def parse(data: Any) -> tuple[ReferenceCurve, ...]:
    """The curves of the data file's content (``json.loads`` of it); raises :class:`ReferenceDataError`."""
    if not isinstance(data, dict) or not isinstance(data.get("curves"), list):
        raise ReferenceDataError("the file has no list of curves")
    curves = []
    for entry in data["curves"]:
        check_entry(entry)
        machine = entry["machine"]
        curves.append(
            ReferenceCurve(
                env_id=entry["env_id"],
                algo=entry["algo"],
                preset=entry["preset"],
                timesteps=entry["timesteps"],
                hyperparams=dict(entry["hyperparams"]),
                seeds=tuple(entry["seeds"]),
                steps=tuple(entry["steps"]),
                low=tuple(entry["p10"]),
                median=tuple(entry["p50"]),
                high=tuple(entry["p90"]),
                measured_on=entry["measured_on"],
                commit=entry["commit"],
                machine=f"{machine.get('cores', '?')} cores ({machine.get('cpu', 'unknown CPU')})",
            )
        )
    return tuple(curves)


@cache
def load(path: Path = REFERENCE_FILE) -> tuple[ReferenceCurve, ...]:
    """Every stored curve (none if the file is missing)."""
    if not path.is_file():
        return ()
    return parse(json.loads(path.read_text()))


def _candidate(config: RunConfig, curves: tuple[ReferenceCurve, ...]) -> ReferenceCurve | None:
    """The curve measured for this run's env, algorithm and preset name, if any."""
    name = config.preset_info.name
    return next((c for c in curves if (c.env_id, c.algo, c.preset) == (config.env_id, config.algo, name)), None)


def _differences(config: RunConfig, curve: ReferenceCurve, changed_while_training: bool = False) -> list[str]:
    """What in ``config`` is not what ``curve`` was measured with (the seed aside)."""
    differs = [name for name, value in config.hyperparams.items() if curve.hyperparams.get(name) != value]
    differs += [name for name in curve.hyperparams if name not in config.hyperparams]
    if config.total_timesteps != curve.timesteps:
        differs.append("timesteps")  # schedules that decay over the budget learn differently over another one
    if config.shaping != ShapingConfig():
        differs.append("reward shaping")
    if config.feedback is not None:
        differs.append("a learned reward")
    if config.schedule or changed_while_training:
        differs.append("settings while it trained")
    return differs


def reference_for(config: RunConfig, curves: tuple[ReferenceCurve, ...] | None = None) -> ReferenceCurve | None:
    """The band measured for exactly this configuration (any seed), or None."""
    curve = _candidate(config, load() if curves is None else curves)
    return curve if curve is not None and not _differences(config, curve) else None


def reference_note(
    config: RunConfig, curves: tuple[ReferenceCurve, ...] | None = None, *, changed_while_training: bool = False
) -> str:
    """One sentence under the chart on the reference band: where it comes from, or why there is none (a run whose
    settings were changed while it trained has none either)."""
    curve = _candidate(config, load() if curves is None else curves)
    if curve is None:
        return ""
    differs = _differences(config, curve, changed_while_training)
    if differs:
        return (
            f"No reference band: it was measured for the {curve.preset} preset as it is, and this run changes "
            f"{', '.join(differs)}."
        )
    return f"The grey band is what the {curve.preset} preset reached over {len(curve.seeds)} seeds: {curve.source}."
