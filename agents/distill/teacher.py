"""The teacher: a finished run's trained model, loaded from its checkpoint, and the parameters it needs to act."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from agents.config.run_config import RunConfig


def load_teacher(config: RunConfig, checkpoint: Path) -> Any:
    """A run's model rebuilt from the checkpoint the app wrote (never a user's file: loading may unpickle).

    It is loaded onto the env without shaping: distilling imitates actions, so the reward plays no part.
    """
    return config.algo_info.restore(checkpoint, config.env_info.make, config.hyperparams, config.seed)


def acting_parameters(model: Any) -> int:
    """Parameters a trained model needs to choose actions (SB3's actor, not its critic; a table's entries).

    PPO and A2C: the policy half of the MLP and the action head (and the log std of Gaussian actions); DQN: the
    Q-network; SAC, TD3, DDPG: the actor; GRPO: its policy; tabular agents: the Q-table's entries.
    """
    if isinstance(getattr(model, "n_parameters", None), int):  # GRPO's policy, a distilled student
        return int(model.n_parameters)
    if hasattr(model, "q_table"):
        return int(np.asarray(model.q_table).size)
    policy = getattr(model, "policy", None)
    if not isinstance(policy, nn.Module):
        raise ValueError(f"cannot count the acting parameters of a {type(model).__name__}")
    for name in ("actor", "q_net"):
        part = getattr(policy, name, None)
        if isinstance(part, nn.Module):
            return _count(part.parameters())
    extractor = getattr(policy, "mlp_extractor", None)
    if extractor is not None:  # SB3's ActorCriticPolicy: features -> policy_net -> action_net
        params = [*policy.pi_features_extractor.parameters(), *extractor.policy_net.parameters()]
        params += [*policy.action_net.parameters()]
        if isinstance(getattr(policy, "log_std", None), nn.Parameter):
            params.append(policy.log_std)
        return _count(params)
    return _count(policy.parameters())


def _count(params: Any) -> int:
    return sum(p.numel() for p in params if p.requires_grad)
