"""stable-baselines3's algorithms as the registry's entry points: build, save and load models from checked values.

Their schemas (SB3's own hyperparameter names, bounds and help) are declared in :mod:`agents.algos.sb3.schemas` and
their registry entries in :mod:`agents.algos.sb3.registry`; this module (which imports torch) turns checked values
into constructor arguments, builds a model on fresh env copies, saves and loads checkpoints and replay buffers, and
names each model's optimizers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3 import A2C, DDPG, DQN, PPO, SAC, TD3
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.noise import NormalActionNoise
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import DummyVecEnv

from agents.algos.registry import EnvFactory, StateValues
from agents.algos.sb3.boundary import WholeTransitions, WholeUpdates
from agents.algos.sb3.schemas import net_arch_layers
from agents.algos.sb3.state_values import actor_critic_q_values, critic_values, q_network_values
from agents.config.schema import Value

_RUN_ONLY = ("n_envs", "net_arch", "learning_rate_schedule", "action_noise")
"""Schema entries that shape how we build the model rather than being constructor arguments."""


def sb3_kwargs(values: Mapping[str, Value]) -> dict[str, Any]:
    """Constructor keyword arguments for an SB3 class from checked schema values.

    Kept separate from building so the exported script and the Zoo YAML show exactly what the run uses.
    """
    kwargs = {k: v for k, v in values.items() if k not in _RUN_ONLY}
    if values.get("learning_rate_schedule") == "linear":
        kwargs["learning_rate"] = LinearSchedule(float(values["learning_rate"]), 0.0, 1.0)
    kwargs["policy_kwargs"] = {"net_arch": net_arch_layers(str(values["net_arch"]))}
    return kwargs


def _vec_env(env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> DummyVecEnv:
    vec_env = DummyVecEnv([env_fn] * int(values.get("n_envs", 1)))
    vec_env.seed(seed)
    return vec_env


def _build(cls: type[BaseAlgorithm], env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> BaseAlgorithm:
    vec_env = _vec_env(env_fn, values, seed)
    kwargs = sb3_kwargs(values)
    if values.get("action_noise"):
        # SB3 adds the noise to the policy's action in its normalised [-1, 1] space, before unscaling to the
        # env's bounds; RL Zoo's noise_std is that same std. No multiplying by the env's bound.
        n_actions = int(np.prod(vec_env.action_space.shape))
        sigma = float(values["action_noise"])
        kwargs["action_noise"] = NormalActionNoise(np.zeros(n_actions), sigma * np.ones(n_actions))
    return cls("MlpPolicy", vec_env, seed=seed, verbose=0, device="cpu", **kwargs)


class SB3ReplayBuffer:
    """An off-policy model's replay buffer across a resume, through SB3's ``save_replay_buffer``/``load_replay_buffer``.

    The buffer is saved with the model's step count, so a buffer left from another checkpoint (the process killed
    between writing the buffer and the model) is told apart and not used.
    """

    def nbytes(self, model: Any) -> int:
        buffer = model.replay_buffer
        return sum(value.nbytes for value in vars(buffer).values() if isinstance(value, np.ndarray))

    def save(self, model: Any, path: Path) -> None:
        model.replay_buffer.saved_at_timesteps = int(model.num_timesteps)  # pickled with the buffer
        model.save_replay_buffer(path)

    def load(self, model: Any, path: Path) -> int | None:
        """Transitions loaded; None (and the model keeps its empty buffer) when the file is of another step."""
        empty = model.replay_buffer
        model.load_replay_buffer(path)
        if getattr(model.replay_buffer, "saved_at_timesteps", None) != int(model.num_timesteps):
            model.replay_buffer = empty
            return None
        return int(model.replay_buffer.size()) * int(model.replay_buffer.n_envs)

    def restart_warmup(self, model: Any, values: Mapping[str, Value]) -> int:
        """Collect ``learning_starts`` fresh steps before the next gradient step, as a new run would."""
        model.learning_starts = int(model.num_timesteps) + int(values.get("learning_starts", 0))
        return int(model.learning_starts)


@dataclass(frozen=True)
class SB3Algorithm:
    """One SB3 class as the registry's :class:`~agents.algos.registry.Algorithm`."""

    cls: type[BaseAlgorithm]
    optimizer_attributes: tuple[str, ...]
    """Where the model keeps its torch optimizers (dotted attribute paths; a None value is skipped: SAC's
    ``ent_coef_optimizer`` with a fixed ``ent_coef``)."""
    read_values: Callable[[Any, np.ndarray], StateValues]
    """Its family's value function and greedy action (:mod:`agents.algos.sb3.state_values`)."""
    replay_buffer: SB3ReplayBuffer | None = None
    rewind_weights: bool | None = None
    """On-policy only: whether a stop inside an update must restore the weights (PPO's update is many optimizer
    steps) or need not (A2C's is one, and the stop gate acts before it). None: off-policy."""

    def boundary(self) -> WholeUpdates | WholeTransitions:
        """A callback that keeps the last whole state (on-policy: the last update boundary), for a stop to save."""
        if self.rewind_weights is None:
            return WholeTransitions()
        return WholeUpdates(self.optimizers, self.rewind_weights)

    def build(self, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> BaseAlgorithm:
        return _build(self.cls, env_fn, values, seed)

    def save(self, model: BaseAlgorithm, path: Path) -> None:
        model.save(path)

    def load(self, path: Path, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> BaseAlgorithm:
        """SB3's own ``load`` (it unpickles: only for checkpoints the app wrote) onto fresh env copies."""
        return self.cls.load(path, env=_vec_env(env_fn, values, seed), device="cpu")

    def parameters(self, model: BaseAlgorithm) -> dict[str, int]:
        """Trainable parameters by part, from the names of the policy's parameters (SB3's module names).

        ``value_net`` and ``mlp_extractor.value_net`` are the value function (A2C, PPO; a layer shared by both heads
        counts as policy), ``critic`` the Q-functions (SAC, TD3, DDPG), ``q_net`` DQN's Q-network; everything else
        (``action_net``, ``log_std``, ``mlp_extractor.policy_net``, ``actor``) is the policy. Target networks are
        copies moved by Polyak averaging, not trained by a gradient: not counted.
        """
        parts: dict[str, int] = {}
        for name, tensor in model.policy.named_parameters():
            if not tensor.requires_grad or "_target" in name:
                continue
            part = _part_of(name)
            parts[part] = parts.get(part, 0) + int(tensor.numel())
        return parts

    def state_values(self, model: BaseAlgorithm, observations: np.ndarray) -> StateValues:
        """Values and greedy actions of a batch of observations, shape (N, *obs_shape)."""
        return self.read_values(model, observations)

    def optimizers(self, model: BaseAlgorithm) -> list[Any]:
        found: list[Any] = []
        for dotted in self.optimizer_attributes:
            value: Any = model
            for name in dotted.split("."):
                value = getattr(value, name)  # a renamed attribute fails here, loudly
            if value is not None:
                found.append(value)
        return found


def _part_of(name: str) -> str:
    """Which part of an SB3 policy a parameter of this name belongs to (see :meth:`SB3Algorithm.parameters`)."""
    if name.startswith(("value_net.", "mlp_extractor.value_net.", "vf_features_extractor.")):
        return "value function"
    if name.startswith("critic."):
        return "Q-functions"
    if name.startswith("q_net."):
        return "Q-network"
    return "policy"


_OFF_POLICY = SB3ReplayBuffer()
_ACTOR_CRITIC = ("actor.optimizer", "critic.optimizer")
PPO_ALGORITHM = SB3Algorithm(PPO, ("policy.optimizer",), critic_values, rewind_weights=True)
A2C_ALGORITHM = SB3Algorithm(A2C, ("policy.optimizer",), critic_values, rewind_weights=False)
DQN_ALGORITHM = SB3Algorithm(DQN, ("policy.optimizer",), q_network_values, _OFF_POLICY)
SAC_ALGORITHM = SB3Algorithm(SAC, (*_ACTOR_CRITIC, "ent_coef_optimizer"), actor_critic_q_values, _OFF_POLICY)
TD3_ALGORITHM = SB3Algorithm(TD3, _ACTOR_CRITIC, actor_critic_q_values, _OFF_POLICY)
DDPG_ALGORITHM = SB3Algorithm(DDPG, _ACTOR_CRITIC, actor_critic_q_values, _OFF_POLICY)
