"""Per-environment hyperparameter presets, kept as data (``presets.yml``) with their source.

Which preset is the default for an (env, algorithm) pair: our ``demo`` preset when one exists (tuned for
wall-clock time on a small CPU), else RL Zoo's, else the algorithm's own defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

PRESETS_FILE = Path(__file__).with_name("presets.yml")
DEFAULTS = "defaults"
"""The name of the preset that adds nothing to the algorithm's schema defaults."""


@dataclass(frozen=True)
class Preset:
    """A named set of hyperparameters for one env and algorithm."""

    name: str
    note: str
    hyperparams: dict[str, object] = field(default_factory=dict)
    timesteps: int | None = None
    source: str = ""


@cache
def _load() -> dict[str, dict[str, dict[str, dict]]]:
    with PRESETS_FILE.open() as handle:
        return yaml.safe_load(handle) or {}


def presets_for(env_id: str, algo_id: str) -> dict[str, Preset]:
    """The presets of one pair, default first; always includes the plain ``defaults`` preset last."""
    raw = _load().get(env_id, {}).get(algo_id, {})
    found = {
        name: Preset(
            name=name,
            note=str(entry.get("note", "")),
            hyperparams=dict(entry.get("hyperparams", {})),
            timesteps=int(entry["timesteps"]) if "timesteps" in entry else None,
            source=str(entry.get("source", "")),
        )
        for name, entry in raw.items()
    }
    ordered = {name: found[name] for name in ("demo", "zoo") if name in found}
    ordered[DEFAULTS] = Preset(DEFAULTS, "The algorithm's own defaults (for SB3's algorithms, SB3's), no tuning.")
    return ordered


def default_preset(env_id: str, algo_id: str) -> Preset:
    """The preset a new run starts from."""
    return next(iter(presets_for(env_id, algo_id).values()))
