"""stable-baselines3's algorithms in the registry, under RL Zoo's ids, with the checks each makes of its own values.

Torch-free: the models are built by :mod:`agents.algos.sb3.algorithm`, named here by entry point and imported only
when a run starts. The checks are the ones SB3 would make (or crash on) only after allocating: PPO's minibatch
within its rollout, and an off-policy replay buffer that fits in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.algos.registry import AlgoInfo, register_algorithm
from agents.algos.sb3.schemas import A2C_SCHEMA, DDPG_SCHEMA, DQN_SCHEMA, PPO_SCHEMA, SAC_SCHEMA, TD3_SCHEMA
from agents.config.limits import MAX_BUFFER_BYTES  # replay buffers are allocated up front: refuse larger ones
from agents.config.schema import HyperParamError, Value
from envs.registry import EnvInfo


def memory_estimate_bytes(values: Mapping[str, Value], obs_size: int, action_size: int) -> int:
    """Rough bytes a replay buffer will allocate up front (SB3 only warns, so we check before building)."""
    buffer_size = int(values.get("buffer_size", 0))
    per_transition = 4 * (2 * obs_size + action_size + 2)
    return buffer_size * per_transition


def check_rollout(values: Mapping[str, Value], env: EnvInfo) -> None:
    """PPO's own rules: a rollout of at least 2 steps (it normalises advantages), minibatches that fit in it."""
    rollout = int(values["n_steps"]) * int(values["n_envs"])
    if rollout < 2:
        raise HyperParamError("n_steps x n_envs must be at least 2 for PPO", "n_steps")
    if int(values["batch_size"]) > rollout:
        raise HyperParamError(
            f"batch_size ({values['batch_size']}) must not exceed n_steps x n_envs ({rollout}), "
            "the number of steps collected per update",
            "batch_size",
        )


def check_replay_buffer(values: Mapping[str, Value], env: EnvInfo) -> None:
    """An off-policy algorithm's replay buffer must fit in :data:`MAX_BUFFER_BYTES`."""
    probe = env.make()
    try:
        obs_size, action_size = _flat_size(probe.observation_space), _flat_size(probe.action_space)
    finally:
        probe.close()
    needed = memory_estimate_bytes(values, obs_size, action_size)
    if needed > MAX_BUFFER_BYTES:
        raise HyperParamError(
            f"buffer_size {values['buffer_size']} would need about {needed / 1024**3:.1f} GiB; "
            f"the limit is {MAX_BUFFER_BYTES / 1024**3:.3g} GiB",
            "buffer_size",
        )


def _flat_size(space: Any) -> int:
    """Numbers a replay buffer stores per observation or action: SB3 keeps a Discrete value as one index.

    (``flatdim`` would count Taxi's 500 states one-hot and refuse a 1M buffer that needs ~40 MB.)
    """
    import gymnasium as gym

    if isinstance(space, gym.spaces.Discrete):
        return 1
    return int(gym.spaces.flatdim(space))


_DISCRETE = frozenset({"discrete"})
_BOX = frozenset({"box"})
_ANY_OBS = frozenset({"box", "discrete"})
_ENTRY = "agents.algos.sb3.algorithm:"

for _info in (
    AlgoInfo(
        "ppo",
        "PPO",
        "Proximal Policy Optimisation: improves the policy in small, clipped steps from "
        "fresh batches of experience. A reliable first choice.",
        _ANY_OBS,
        _DISCRETE | _BOX,
        PPO_SCHEMA,
        _ENTRY + "PPO_ALGORITHM",
        check=check_rollout,
        export_class="PPO",
    ),
    AlgoInfo(
        "a2c",
        "A2C",
        "Advantage Actor-Critic: an actor picks actions, a critic judges them; updates "
        "after every few steps from several environments at once.",
        _ANY_OBS,
        _DISCRETE | _BOX,
        A2C_SCHEMA,
        _ENTRY + "A2C_ALGORITHM",
        export_class="A2C",
    ),
    AlgoInfo(
        "dqn",
        "DQN",
        "Deep Q-Network: learns the value of each action from replayed past experience "
        "and acts greedily on it, exploring with epsilon-random actions.",
        _ANY_OBS,
        _DISCRETE,
        DQN_SCHEMA,
        _ENTRY + "DQN_ALGORITHM",
        check=check_replay_buffer,
        export_class="DQN",
    ),
    AlgoInfo(
        "sac",
        "SAC",
        "Soft Actor-Critic: for continuous actions; maximises reward plus the policy's "
        "randomness, learning from replayed experience.",
        _ANY_OBS,
        _BOX,
        SAC_SCHEMA,
        _ENTRY + "SAC_ALGORITHM",
        check=check_replay_buffer,
        export_class="SAC",
    ),
    AlgoInfo(
        "td3",
        "TD3",
        "Twin Delayed DDPG: for continuous actions; two critics and delayed policy updates curb DDPG's over-optimism.",
        _ANY_OBS,
        _BOX,
        TD3_SCHEMA,
        _ENTRY + "TD3_ALGORITHM",
        check=check_replay_buffer,
        export_class="TD3",
    ),
    AlgoInfo(
        "ddpg",
        "DDPG",
        "Deep Deterministic Policy Gradient: a deterministic actor for continuous "
        "actions, trained by a learned critic; explores with action noise.",
        _ANY_OBS,
        _BOX,
        DDPG_SCHEMA,
        _ENTRY + "DDPG_ALGORITHM",
        check=check_replay_buffer,
        export_class="DDPG",
    ),
):
    register_algorithm(_info)
