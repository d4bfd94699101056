"""stable-baselines3's algorithms in the registry: how to build and load them from checked schema values.

Their schemas (SB3's own hyperparameter names, bounds and help) are declared in :mod:`agents.algos.sb3.schemas`; this
module turns checked values into constructor arguments, builds a model on fresh env copies, loads a checkpoint the
app wrote, and registers each algorithm under RL Zoo's lowercase id.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3 import A2C, DDPG, DQN, PPO, SAC, TD3
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.noise import NormalActionNoise
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import DummyVecEnv

from agents.algos.registry import AlgoInfo, EnvFactory, register_algorithm
from agents.algos.sb3.schemas import A2C_SCHEMA, DDPG_SCHEMA, DQN_SCHEMA, PPO_SCHEMA, SAC_SCHEMA, TD3_SCHEMA
from agents.config.schema import Value

_RUN_ONLY = ("n_envs", "net_arch", "learning_rate_schedule", "action_noise")
"""Schema entries that shape how we build the model rather than being constructor arguments."""


def net_arch_layers(text: str) -> list[int]:
    """``"64x64"`` -> ``[64, 64]``."""
    return [int(part) for part in str(text).split("x")]


def sb3_kwargs(values: Mapping[str, Value]) -> dict[str, Any]:
    """Constructor keyword arguments for an SB3 class from checked schema values.

    Kept separate from building so the exported script and the Zoo YAML show exactly what the run uses.
    """
    kwargs = {k: v for k, v in values.items() if k not in _RUN_ONLY}
    if values.get("learning_rate_schedule") == "linear":
        kwargs["learning_rate"] = LinearSchedule(float(values["learning_rate"]), 0.0, 1.0)
    kwargs["policy_kwargs"] = {"net_arch": net_arch_layers(str(values["net_arch"]))}
    return kwargs


def memory_estimate_bytes(values: Mapping[str, Value], obs_size: int, action_size: int) -> int:
    """Rough bytes a replay buffer will allocate up front (SB3 only warns, so we check before building)."""
    buffer_size = int(values.get("buffer_size", 0))
    per_transition = 4 * (2 * obs_size + action_size + 2)
    return buffer_size * per_transition


def _vec_env(env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> DummyVecEnv:
    vec_env = DummyVecEnv([env_fn] * int(values.get("n_envs", 1)))
    vec_env.seed(seed)
    return vec_env


def _loader(cls: type[BaseAlgorithm]):  # type: ignore[no-untyped-def]
    def load(path: Path, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> BaseAlgorithm:
        """SB3's own ``load`` (it unpickles: only for checkpoints the app wrote) onto fresh env copies."""
        return cls.load(path, env=_vec_env(env_fn, values, seed), device="cpu")

    return load


def _builder(cls: type[BaseAlgorithm]):  # type: ignore[no-untyped-def]
    def build(env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> BaseAlgorithm:
        vec_env = _vec_env(env_fn, values, seed)
        kwargs = sb3_kwargs(values)
        if values.get("action_noise"):
            # SB3 adds the noise to the policy's action in its normalised [-1, 1] space, before unscaling to the
            # env's bounds; RL Zoo's noise_std is that same std. No multiplying by the env's bound.
            n_actions = int(np.prod(vec_env.action_space.shape))
            sigma = float(values["action_noise"])
            kwargs["action_noise"] = NormalActionNoise(np.zeros(n_actions), sigma * np.ones(n_actions))
        return cls("MlpPolicy", vec_env, seed=seed, verbose=0, device="cpu", **kwargs)

    return build


_DISCRETE = frozenset({"discrete"})
_BOX = frozenset({"box"})
_ANY_OBS = frozenset({"box", "discrete"})

for _info in (
    AlgoInfo(
        "ppo",
        "PPO",
        "Proximal Policy Optimisation: improves the policy in small, clipped steps from "
        "fresh batches of experience. A reliable first choice.",
        "sb3",
        _ANY_OBS,
        _DISCRETE | _BOX,
        PPO_SCHEMA,
        _builder(PPO),
        _loader(PPO),
    ),
    AlgoInfo(
        "a2c",
        "A2C",
        "Advantage Actor-Critic: an actor picks actions, a critic judges them; updates "
        "after every few steps from several environments at once.",
        "sb3",
        _ANY_OBS,
        _DISCRETE | _BOX,
        A2C_SCHEMA,
        _builder(A2C),
        _loader(A2C),
    ),
    AlgoInfo(
        "dqn",
        "DQN",
        "Deep Q-Network: learns the value of each action from replayed past experience "
        "and acts greedily on it, exploring with epsilon-random actions.",
        "sb3",
        _ANY_OBS,
        _DISCRETE,
        DQN_SCHEMA,
        _builder(DQN),
        _loader(DQN),
    ),
    AlgoInfo(
        "sac",
        "SAC",
        "Soft Actor-Critic: for continuous actions; maximises reward plus the policy's "
        "randomness, learning from replayed experience.",
        "sb3",
        _ANY_OBS,
        _BOX,
        SAC_SCHEMA,
        _builder(SAC),
        _loader(SAC),
    ),
    AlgoInfo(
        "td3",
        "TD3",
        "Twin Delayed DDPG: for continuous actions; two critics and delayed policy updates curb DDPG's over-optimism.",
        "sb3",
        _ANY_OBS,
        _BOX,
        TD3_SCHEMA,
        _builder(TD3),
        _loader(TD3),
    ),
    AlgoInfo(
        "ddpg",
        "DDPG",
        "Deep Deterministic Policy Gradient: a deterministic actor for continuous "
        "actions, trained by a learned critic; explores with action noise.",
        "sb3",
        _ANY_OBS,
        _BOX,
        DDPG_SCHEMA,
        _builder(DDPG),
        _loader(DDPG),
    ),
):
    register_algorithm(_info)
