"""What a Stable-Baselines3 model believes of a batch of states: its value of each, and its greedy action.

The value is each family's own value function, read from the policy's modules in one batched forward pass:

* actor-critic (PPO, A2C): the critic's state value V(s) (``policy.predict_values``);
* DQN: max_a Q(s, a) of its Q-network (``policy.q_net``), the value its greedy action is chosen by;
* actor and twin critics (SAC, TD3; DDPG has one critic): Q(s, μ(s)), the critics at the actor's deterministic
  action, the smaller of the twins (the clipped double-Q value their targets use, Fujimoto et al. 2018).

The greedy action is ``model.predict(observations, deterministic=True)``: an index for Discrete actions, a value in
the env's units (SB3 unscales or clips it into the bounds) for Box ones. Nothing here draws a random number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from agents.algos.registry import StateValues


def _greedy(model: Any, observations: np.ndarray) -> np.ndarray:
    """``model.predict(observations, deterministic=True)`` as float64 (N, action_dim) or int64 (N,)."""
    actions, _ = model.policy.predict(observations, deterministic=True)
    actions = np.asarray(actions)
    if actions.ndim == 1:
        return actions.astype(np.int64)
    return actions.reshape(len(observations), -1).astype(np.float64)


def critic_values(model: Any, observations: np.ndarray) -> StateValues:
    """PPO and A2C: the critic's V(s), shape (N,), and the greedy action."""
    policy = model.policy
    with torch.no_grad():
        obs_tensor, _ = policy.obs_to_tensor(observations)
        values = policy.predict_values(obs_tensor).reshape(-1).double().numpy()
    return StateValues(values, _greedy(model, observations), "V(s)")


def q_network_values(model: Any, observations: np.ndarray) -> StateValues:
    """DQN: max_a Q(s, a) and its argmax, from one pass of the Q-network."""
    policy = model.policy
    with torch.no_grad():
        obs_tensor, _ = policy.obs_to_tensor(observations)
        q_values = policy.q_net(obs_tensor)
    best = q_values.max(dim=1)
    return StateValues(best.values.double().numpy(), best.indices.numpy().astype(np.int64), "max_a Q(s, a)")


def actor_critic_q_values(model: Any, observations: np.ndarray) -> StateValues:
    """SAC, TD3, DDPG: Q(s, μ(s)) at the actor's deterministic action μ(s) (the smallest critic's), and μ(s)."""
    policy = model.policy
    with torch.no_grad():
        obs_tensor, _ = policy.obs_to_tensor(observations)
        scaled = policy._predict(obs_tensor, deterministic=True)  # in [-1, 1], what the critics take
        q_values = torch.cat(policy.critic(obs_tensor, scaled), dim=1)
    values = q_values.min(dim=1).values.double().numpy()
    actions = policy.unscale_action(scaled.numpy()).reshape(len(observations), -1).astype(np.float64)
    return StateValues(values, actions, "Q(s, μ(s))")
