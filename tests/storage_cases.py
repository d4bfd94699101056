"""Small run configurations shared by the storage, resume and retention tests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from agents.config.run_config import RunConfig, build_config
from agents.storage.folder import RunRecord
from agents.storage.store import RunStore

REPO = Path(__file__).resolve().parent.parent
OWNER = "owner-token-0123456789"


def small_config(timesteps: int = 2_000, **kwargs: Any) -> RunConfig:
    """PPO on CartPole with a tiny net: two env copies, so each copy's Monitor file is exercised."""
    overrides = {"n_envs": 2, "n_steps": 64, "batch_size": 64, "n_epochs": 2, "net_arch": "32"}
    return build_config("CartPole-v1", "ppo", preset="defaults", overrides=overrides, timesteps=timesteps, **kwargs)


def make_stored(store: RunStore, run_id: str, status: str, size: int = 0) -> None:
    """A stored run with a status and a model file of ``size`` bytes, as if it had trained."""
    record = RunRecord(run_id=run_id, status=status, created_at=time.time(), total_timesteps=1_000)
    folder = store.create(run_id, small_config().to_dict(), record)
    (folder.path / "model.zip").write_bytes(b"x" * size)
