"""GRPO's only network: an MLP policy, categorical for discrete actions, diagonal Gaussian for continuous ones.

Built like SB3's ``ActorCriticPolicy`` minus the value head: tanh hidden layers with orthogonal initialisation
(gain sqrt 2, and 0.01 on the action layer so the first policy is near uniform), a state-independent log
standard deviation for Gaussian actions, discrete observations one-hot encoded. Sampling draws from the policy's
own ``torch.Generator``, so a run is reproducible whatever else the process does with torch's global generator.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn


class GRPOPolicy(nn.Module):
    """``pi(a | s)``: an MLP from observations to a categorical or diagonal Gaussian action distribution.

    ``observation_space``: a ``Box`` or ``Discrete`` space; ``action_space``: ``Discrete`` or ``Box``.
    ``net_arch``: hidden layer widths, e.g. ``[64, 64]`` (``[]`` is a linear policy). With a ``learning_rate`` it
    gets an Adam ``optimizer`` (SB3's place for it); without, it is a frozen copy (GRPO's reference).
    """

    def __init__(
        self,
        observation_space: gym.Space,
        action_space: gym.Space,
        net_arch: list[int],
        learning_rate: float | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(action_space, gym.spaces.Discrete | gym.spaces.Box):
            raise ValueError(f"GRPO needs Discrete or Box actions, not {type(action_space).__name__}")
        if not isinstance(observation_space, gym.spaces.Discrete | gym.spaces.Box):
            raise ValueError(f"GRPO needs Box or Discrete observations, not {type(observation_space).__name__}")
        self.observation_space, self.action_space = observation_space, action_space
        self.net_arch = list(net_arch)
        self.discrete = isinstance(action_space, gym.spaces.Discrete)
        self.generator = torch.Generator().manual_seed(seed)
        obs_dim = _obs_dim(observation_space)
        action_dim = int(action_space.n) if self.discrete else int(np.prod(action_space.shape))  # type: ignore[union-attr]
        layers: list[nn.Module] = []
        width = obs_dim
        for hidden in self.net_arch:
            layers += [self._init(nn.Linear(width, hidden), math.sqrt(2)), nn.Tanh()]
            width = hidden
        self.body = nn.Sequential(*layers)
        self.action_net = self._init(nn.Linear(width, action_dim), 0.01)
        self.log_std = nn.Parameter(torch.zeros(action_dim), requires_grad=not self.discrete)
        self.optimizer: torch.optim.Optimizer | None = None
        if learning_rate is not None:
            trainable = [p for p in self.parameters() if p.requires_grad]
            self.optimizer = torch.optim.Adam(trainable, lr=learning_rate, eps=1e-5)

    def _init(self, layer: nn.Linear, gain: float) -> nn.Linear:
        nn.init.orthogonal_(layer.weight, gain=gain, generator=self.generator)
        nn.init.zeros_(layer.bias)
        return layer

    # --- the distribution ---------------------------------------------------------------------------------

    def obs_to_tensor(self, observation: np.ndarray) -> torch.Tensor:
        """A batch of observations, shape (N, *obs_shape) or (N,) for Discrete, as a float tensor (N, obs_dim)."""
        if isinstance(self.observation_space, gym.spaces.Discrete):
            index = torch.as_tensor(np.asarray(observation, dtype=np.int64).reshape(-1)) - int(
                self.observation_space.start
            )
            return nn.functional.one_hot(index, int(self.observation_space.n)).float()
        array = np.asarray(observation, dtype=np.float32)
        return torch.as_tensor(array.reshape(array.shape[0], -1))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Logits (discrete) or the Gaussian's means (continuous), shape (N, action_dim)."""
        return self.action_net(self.body(obs))

    def log_prob_and_entropy(self, obs: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``log pi(a|s)`` (summed over action dimensions) and the entropy, each shape (N,)."""
        out = self.forward(obs)
        if self.discrete:
            log_probs = torch.log_softmax(out, dim=-1)
            chosen = log_probs.gather(1, actions.long().view(-1, 1)).squeeze(1)
            entropy = -(log_probs.exp() * log_probs).sum(-1)
            return chosen, entropy
        log_std = self.log_std.expand_as(out)
        z = (actions - out) / log_std.exp()
        log_prob = (-0.5 * z**2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        entropy = (0.5 + 0.5 * math.log(2 * math.pi) + log_std).sum(-1)
        return log_prob, entropy

    @torch.no_grad()
    def act(self, obs: torch.Tensor, deterministic: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Sample (or take the mode of) an action per observation: (actions, log-probabilities) as arrays.

        Continuous actions are returned unclipped (their log-probability is of the sampled value);
        :meth:`to_env_action` clips them into the action space, as SB3 does.
        """
        out = self.forward(obs)
        if self.discrete:
            log_probs = torch.log_softmax(out, dim=-1)
            if deterministic:
                actions = log_probs.argmax(-1)
            else:
                actions = torch.multinomial(log_probs.exp(), 1, generator=self.generator).squeeze(1)
            return actions.numpy(), log_probs.gather(1, actions.view(-1, 1)).squeeze(1).numpy()
        std = self.log_std.exp().expand_as(out)
        noise = torch.randn(out.shape, generator=self.generator)
        actions = out if deterministic else out + std * noise
        log_prob, _ = self.log_prob_and_entropy(obs, actions)
        return actions.numpy(), log_prob.numpy()

    def to_env_action(self, action: np.ndarray) -> np.ndarray | int:
        """One action as the env takes it: an int, or a float array clipped into the Box."""
        if self.discrete:
            return int(np.asarray(action).reshape(-1)[0])
        space = self.action_space
        assert isinstance(space, gym.spaces.Box)
        return np.clip(np.asarray(action, dtype=np.float32).reshape(space.shape), space.low, space.high)

    # --- SB3's surface ------------------------------------------------------------------------------------

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, None]:
        """Actions for one observation or a batch, as SB3's ``policy.predict`` returns them (clipped Box actions)."""
        single = _is_single(observation, self.observation_space)
        batch = np.asarray(observation)[None] if single else np.asarray(observation)
        actions, _ = self.act(self.obs_to_tensor(batch), deterministic)
        if not self.discrete:
            space = self.action_space
            assert isinstance(space, gym.spaces.Box)
            actions = np.clip(actions.reshape(-1, *space.shape), space.low, space.high)
        return (actions[0] if single else actions), None


def count_parameters(module: nn.Module) -> int:
    """Trainable parameters (a discrete policy's unused log std is not trainable, so not counted)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _obs_dim(space: gym.Space) -> int:
    if isinstance(space, gym.spaces.Discrete):
        return int(space.n)
    return int(np.prod(space.shape))  # type: ignore[arg-type]


def _is_single(observation: Any, space: gym.Space) -> bool:
    """Whether ``observation`` is one observation rather than a batch (SB3's ``is_vectorized_observation``)."""
    shape = np.asarray(observation).shape
    if isinstance(space, gym.spaces.Discrete):
        return shape == ()
    return shape == space.shape
