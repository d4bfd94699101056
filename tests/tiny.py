"""Hyperparameters that make each algorithm train in a fraction of a second per few hundred steps: tiny networks,
short rollouts, small buffers. Tests that train take these instead of a preset's."""

from __future__ import annotations

_OFF_POLICY = {"buffer_size": 500, "learning_starts": 50, "batch_size": 16, "n_envs": 1, "net_arch": "32"}
TINY: dict[str, dict[str, object]] = {
    "ppo": {"n_steps": 32, "batch_size": 32, "n_epochs": 2, "n_envs": 2, "net_arch": "32"},
    "a2c": {"n_steps": 8, "n_envs": 2, "net_arch": "32"},
    "dqn": {**_OFF_POLICY, "target_update_interval": 100},
    "sac": _OFF_POLICY,
    "td3": _OFF_POLICY,
    "ddpg": _OFF_POLICY,
    "q_learning": {},
    "grpo": {"net_arch": "32", "group_size": 2, "groups_per_update": 2, "n_epochs": 1, "batch_size": 64},
}
