"""How long a run will take, estimated before it starts from measured training speeds.

``speeds.json`` beside this module holds the environment steps per second of every (env, algorithm, preset)
as measured by ``python -m benchmarks.steps_per_s`` on one machine, with the date and the machine. A run's
estimate is its step budget divided by the speed measured for its env, algorithm and preset, capped by its
wall-clock limit. Other hyperparameters (more envs, a bigger net, more gradient steps) change the speed, so an
estimate says whether the configuration is the one that was measured.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from agents.config.run_config import ConfigError, RunConfig, build_config

log = logging.getLogger(__name__)

SPEEDS_FILE = Path(__file__).with_name("speeds.json")
LONG_RUN_S = 180.0
"""Runs expected to train longer than this get a warning before they start."""
PRESET_ORDER = ("demo", "zoo", "defaults")
"""Whose speed stands in when a configuration's own preset was not measured."""


@dataclass(frozen=True)
class Speeds:
    """Measured training speeds: ``steps_per_s[env_id][algo][preset]`` in environment steps per second."""

    measured_on: str
    """ISO date of the measurement."""
    machine: str
    """In words, e.g. "2 cores (Intel Xeon ...)"."""
    steps_per_s: dict[str, dict[str, dict[str, float]]]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Speeds:
        """ValueError (or KeyError, TypeError) for a file that is not ours."""
        machine = data.get("machine") or {}
        cores = machine.get("cores")
        where = f"{cores} cores" if cores else "a machine"
        if machine.get("cpu"):
            where += f" ({machine['cpu']})"
        table = {
            str(env): {str(algo): {str(p): float(v) for p, v in presets.items()} for algo, presets in algos.items()}
            for env, algos in data["steps_per_s"].items()
        }
        if any(not (math.isfinite(v) and v > 0) for a in table.values() for p in a.values() for v in p.values()):
            raise ValueError("speeds must be positive numbers")
        return cls(measured_on=str(data.get("measured_on", "")), machine=where, steps_per_s=table)

    def lookup(self, env_id: str, algo: str, preset: str) -> tuple[str, float] | None:
        """(preset measured, steps/s): the configuration's own preset if measured, else the pair's first."""
        measured = self.steps_per_s.get(env_id, {}).get(algo, {})
        if preset in measured:
            return preset, measured[preset]
        for name in (*PRESET_ORDER, *measured):
            if name in measured:
                return name, measured[name]
        return None


@cache
def load_speeds(path: Path = SPEEDS_FILE) -> Speeds | None:
    """The measured speeds, or None (logged) when the file is missing or unreadable: no estimate, no failure."""
    try:
        return Speeds.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        log.warning("no run-time estimates: %s cannot be used (%s)", path, error)
        return None


@dataclass(frozen=True)
class Estimate:
    """How long a configuration is expected to train, and what that figure rests on."""

    seconds: float
    """Expected training time in seconds (capped by the run's wall-clock limit)."""
    steps_per_s: float
    """The measured speed used, in environment steps per second."""
    preset: str
    """The preset whose speed was measured for this env and algorithm."""
    same_settings: bool
    """The configuration's hyperparameters are exactly that preset's (otherwise the speed may differ)."""
    capped: bool
    """The wall-clock limit would end the run before its step budget: ``seconds`` is that limit."""
    steps_in_time: int
    """Steps expected before the run ends (the whole budget unless ``capped``)."""
    may_end_early: bool
    """Stop when solved is on: the run ends sooner if the agent solves the env."""
    measured_on: str
    machine: str

    @property
    def long(self) -> bool:
        return self.seconds >= LONG_RUN_S


def estimate(config: RunConfig, speeds: Speeds | None = None) -> Estimate | None:
    """The training time of ``config`` from the measured speeds; None when its pair was never measured."""
    speeds = speeds if speeds is not None else load_speeds()
    if speeds is None:
        return None
    found = speeds.lookup(config.env_id, config.algo, config.preset)
    if found is None:
        return None
    preset, steps_per_s = found
    full_s = config.total_timesteps / steps_per_s
    capped = full_s > config.max_wall_s
    return Estimate(
        seconds=min(full_s, config.max_wall_s),
        steps_per_s=steps_per_s,
        preset=preset,
        same_settings=_preset_settings(config.env_id, config.algo, preset) == _frozen(config.hyperparams),
        capped=capped,
        steps_in_time=int(config.max_wall_s * steps_per_s) if capped else config.total_timesteps,
        may_end_early=config.stop_when_solved and config.env_info.solved_threshold is not None,
        measured_on=speeds.measured_on,
        machine=speeds.machine,
    )


def _frozen(values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(values.items()))


@cache
def _preset_settings(env_id: str, algo: str, preset: str) -> tuple[tuple[str, Any], ...] | None:
    try:
        return _frozen(build_config(env_id, algo, preset=preset).hyperparams)
    except ConfigError:
        return None


def rough_duration(seconds: float) -> str:
    """A duration as a person would say it when guessing: "about 40 s", "about 6 min", "about 1.5 h"."""
    if seconds < 10:
        return "a few seconds"
    if seconds < 60:
        return f"about {round(seconds / 5) * 5:.0f} s"
    if seconds < 3600:
        return f"about {max(1, round(seconds / 60))} min"
    return f"about {seconds / 3600:.1f} h"
