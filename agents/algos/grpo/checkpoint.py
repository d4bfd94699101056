"""GRPO's checkpoint file: a zip in stable-baselines3's layout that loads without unpickling anything.

SB3 (``stable_baselines3/common/save_util.py``) writes ``data`` (JSON, with spaces pickled inside it), then one
``.pth`` file per module or optimizer. Here ``data`` is plain JSON, spaces included (:func:`space_to_json`), and
tensors are read back with ``torch.load(weights_only=True)``, so opening a checkpoint never runs code from it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    """What :func:`read_checkpoint` found: the JSON ``data``, the spaces and each named state dict."""

    data: dict[str, Any]
    observation_space: gym.Space
    action_space: gym.Space
    states: dict[str, Any]


def _zip_path(path: str | Path) -> Path:
    """``.zip`` is added when ``path`` has no suffix, as SB3 does."""
    path = Path(path)
    return path.with_suffix(".zip") if not path.suffix else path


def write_checkpoint(
    path: str | Path,
    data: Mapping[str, Any],
    states: Mapping[str, Any],
    observation_space: gym.Space,
    action_space: gym.Space,
) -> None:
    """Write ``data`` (JSON-able) with the spaces and format version, and each state dict as ``NAME`` in the zip."""
    record = {
        **data,
        "format_version": FORMAT_VERSION,
        "observation_space": space_to_json(observation_space),
        "action_space": space_to_json(action_space),
    }
    with zipfile.ZipFile(_zip_path(path), "w") as archive:
        archive.writestr("data", json.dumps(record, indent=2))
        for name, state in states.items():
            buffer = io.BytesIO()
            torch.save(state, buffer)
            archive.writestr(name, buffer.getvalue())


def read_checkpoint(path: str | Path, algo_id: str, names: Sequence[str]) -> Checkpoint:
    """Read a checkpoint of ``algo_id`` and the state dicts ``names``.

    Raises:
        ValueError: the file holds another algorithm's model, or a space this format does not know.
        KeyError: a named state is missing from the zip.
    """
    path = _zip_path(path)
    with zipfile.ZipFile(path) as archive:
        data = json.loads(archive.read("data"))
        if data.get("algo") != algo_id:
            raise ValueError(f"{path.name} holds a {data.get('algo')!r} model, not a {algo_id.upper()} one")
        states = {name: torch.load(io.BytesIO(archive.read(name)), weights_only=True) for name in names}
    return Checkpoint(
        data=data,
        observation_space=space_from_json(data["observation_space"]),
        action_space=space_from_json(data["action_space"]),
        states=states,
    )


def space_to_json(space: gym.Space) -> dict[str, Any]:
    """A Box or Discrete space as plain JSON (SB3 pickles spaces; a checkpoint here must not need that)."""
    if isinstance(space, gym.spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, gym.spaces.Box):
        return {
            "type": "Box",
            "low": space.low.tolist(),
            "high": space.high.tolist(),
            "shape": list(space.shape),
            "dtype": str(space.dtype),
        }
    raise ValueError(f"GRPO cannot save a {type(space).__name__} space")


def space_from_json(data: Mapping[str, Any]) -> gym.Space:
    """The space :func:`space_to_json` wrote; only float Box dtypes are accepted."""
    if data["type"] == "Discrete":
        return gym.spaces.Discrete(int(data["n"]), start=int(data["start"]))
    if data["type"] == "Box":
        dtype = np.dtype(str(data["dtype"]))
        if dtype.kind != "f":
            raise ValueError(f"unexpected Box dtype {dtype}")
        low = np.array(data["low"], dtype=dtype).reshape(data["shape"])
        high = np.array(data["high"], dtype=dtype).reshape(data["shape"])
        return gym.spaces.Box(low, high, dtype=dtype)  # type: ignore[arg-type]
    raise ValueError(f"unknown space type {data['type']!r}")
