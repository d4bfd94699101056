"""The current policy as a few numpy matrix products, to play evaluation episodes cheaply.

SB3's ``predict`` spends 200-300 µs a step on Python around a net that is three small matrix products
(tensor conversion, checks, a distribution object, the mode switch); a 500-step evaluation episode spent
longer there than on rendering its frames. A copy of the weights in numpy acts in about 20 µs.
:func:`numpy_policy` copies the actor of the SB3 policies the playground builds (an MLP over flat or
one-hot observations: PPO, A2C, DQN, SAC, TD3, DDPG) and acts as their ``predict`` does, drawing from
the generator it is given; for anything else it returns None and evaluation uses ``model.predict``.

The copy is taken once per evaluation episode, so the episode shows the weights of one training step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from torch import nn

Act = Callable[[Any], Any]
"""observation -> the env's action."""
Layer = Callable[[np.ndarray], np.ndarray]

LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0
"""SB3's SAC clamps the actor's log standard deviation to this range (``stable_baselines3.sac.policies``)."""


class Unsupported(Exception):
    """A policy this module does not copy; evaluation falls back to ``model.predict``."""


def numpy_policy(model: Any, rng: np.random.Generator, *, deterministic: bool = False) -> Act | None:
    """``model``'s action for an observation, computed in numpy; None for a policy it cannot copy.

    ``deterministic`` as in ``predict``: the most likely action, else a sample drawn from ``rng``.
    """
    from stable_baselines3.common.policies import ActorCriticPolicy
    from stable_baselines3.dqn.policies import DQNPolicy
    from stable_baselines3.sac.policies import SACPolicy
    from stable_baselines3.td3.policies import TD3Policy

    policy = getattr(model, "policy", None)
    try:
        if isinstance(policy, ActorCriticPolicy):
            return _actor_critic(policy, rng, deterministic)
        if isinstance(policy, DQNPolicy):
            return _dqn(model, policy, rng, deterministic)
        if isinstance(policy, SACPolicy):
            return _sac(policy, rng, deterministic)
        if isinstance(policy, TD3Policy):  # DDPG's policy is TD3's
            return _td3(policy)
    except Unsupported:
        return None
    return None


def _actor_critic(policy: Any, rng: np.random.Generator, deterministic: bool) -> Act:
    from stable_baselines3.common.distributions import CategoricalDistribution, DiagGaussianDistribution

    features = _features(policy.pi_features_extractor, policy.observation_space)
    body = _mlp(policy.mlp_extractor.policy_net) + _mlp(policy.action_net)
    if isinstance(policy.action_dist, CategoricalDistribution):
        return lambda obs: _categorical(_run(body, features(obs)), rng, deterministic)
    if isinstance(policy.action_dist, DiagGaussianDistribution):
        std = np.exp(policy.log_std.detach().cpu().numpy().astype(np.float32))
        space: gym.spaces.Box = policy.action_space

        def act(obs: Any) -> np.ndarray:
            mean = _run(body, features(obs))
            action = mean if deterministic else mean + std * rng.standard_normal(mean.shape, dtype=np.float32)
            return np.clip(action, space.low, space.high).reshape(space.shape)  # as predict clips

        return act
    raise Unsupported(type(policy.action_dist).__name__)


def _dqn(model: Any, policy: Any, rng: np.random.Generator, deterministic: bool) -> Act:
    q_net = policy.q_net
    features = _features(q_net.features_extractor, policy.observation_space)
    body = _mlp(q_net.q_net)
    n_actions = int(policy.action_space.n)
    epsilon = float(getattr(model, "exploration_rate", 0.0))

    def act(obs: Any) -> int:
        if not deterministic and rng.random() < epsilon:  # DQN.predict's ε-greedy
            return int(rng.integers(n_actions))
        return int(np.argmax(_run(body, features(obs))))

    return act


def _sac(policy: Any, rng: np.random.Generator, deterministic: bool) -> Act:
    actor = policy.actor
    if getattr(actor, "use_sde", False):
        raise Unsupported("gSDE")
    features = _features(actor.features_extractor, policy.observation_space)
    latent, mu, log_std = _mlp(actor.latent_pi), _mlp(actor.mu), _mlp(actor.log_std)
    space: gym.spaces.Box = policy.action_space

    def act(obs: Any) -> np.ndarray:
        hidden = _run(latent, features(obs))
        mean = _run(mu, hidden)
        if not deterministic:
            std = np.exp(np.clip(_run(log_std, hidden), LOG_STD_MIN, LOG_STD_MAX))
            mean = mean + std * rng.standard_normal(mean.shape, dtype=np.float32)
        return _unscale(np.tanh(mean), space)

    return act


def _td3(policy: Any) -> Act:
    actor = policy.actor
    features = _features(actor.features_extractor, policy.observation_space)
    body = _mlp(actor.mu)  # ends in Tanh: actions in [-1, 1]
    space: gym.spaces.Box = policy.action_space
    return lambda obs: _unscale(_run(body, features(obs)), space)


def _unscale(action: np.ndarray, space: gym.spaces.Box) -> np.ndarray:
    """[-1, 1] to the env's bounds, as SB3's ``unscale_action``."""
    return (space.low + 0.5 * (action + 1.0) * (space.high - space.low)).astype(np.float32).reshape(space.shape)


def _categorical(logits: np.ndarray, rng: np.random.Generator, deterministic: bool) -> int:
    if deterministic:
        return int(np.argmax(logits))
    weights = np.exp(logits - logits.max())
    cumulative = np.cumsum(weights)
    return int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))


def _features(extractor: Any, space: gym.Space) -> Callable[[Any], np.ndarray]:
    """SB3's observation preprocessing and ``FlattenExtractor``: floats, discrete states one-hot."""
    from stable_baselines3.common.torch_layers import FlattenExtractor

    if not isinstance(extractor, FlattenExtractor):
        raise Unsupported(type(extractor).__name__)
    if isinstance(space, gym.spaces.Discrete):
        size, start = int(space.n), int(space.start)

        def one_hot(obs: Any) -> np.ndarray:
            vector = np.zeros(size, dtype=np.float32)
            vector[int(np.asarray(obs).reshape(-1)[0]) - start] = 1.0
            return vector

        return one_hot
    if isinstance(space, gym.spaces.Box) and space.dtype != np.uint8:  # images would be normalised: not copied
        return lambda obs: np.asarray(obs, dtype=np.float32).reshape(-1)
    raise Unsupported(type(space).__name__)


def _mlp(module: nn.Module) -> list[Layer]:
    """A ``Linear`` or a ``Sequential`` of ``Linear`` / ``Tanh`` / ``ReLU`` as numpy functions."""
    modules = list(module) if isinstance(module, nn.Sequential) else [module]
    layers: list[Layer] = []
    for layer in modules:
        if isinstance(layer, nn.Linear):
            weight = layer.weight.detach().cpu().numpy().T.astype(np.float32, copy=True)
            bias = (
                layer.bias.detach().cpu().numpy().astype(np.float32, copy=True)
                if layer.bias is not None
                else np.zeros(weight.shape[1], dtype=np.float32)
            )
            layers.append(lambda x, w=weight, b=bias: x @ w + b)
        elif isinstance(layer, nn.Tanh):
            layers.append(np.tanh)
        elif isinstance(layer, nn.ReLU):
            layers.append(lambda x: np.maximum(x, 0.0))
        elif isinstance(layer, nn.Identity | nn.Flatten):
            continue
        else:
            raise Unsupported(type(layer).__name__)
    return layers


def _run(layers: list[Layer], x: np.ndarray) -> np.ndarray:
    for layer in layers:
        x = layer(x)
    return x
