"""GRPO as the registry's entry point: build, save and load models from checked schema values (imports torch).

A model trains on ``group_size x groups_per_update`` copies of the run's env; its checkpoint is GRPO's own zip
(JSON and torch tensors read with ``weights_only=True``), so resuming a run unpickles nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.algos.grpo.grpo import GRPO
from agents.algos.grpo.policy import count_parameters
from agents.algos.registry import EnvFactory, StateValues
from agents.algos.sb3.boundary import WholeUpdates
from agents.config.schema import Value


@dataclass(frozen=True)
class GRPOAlgorithm:
    """The registry's :class:`~agents.algos.registry.Algorithm` for GRPO; on-policy, so no replay buffer."""

    replay_buffer: None = None

    def build(self, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> GRPO:
        return GRPO(env_fn, seed=seed, **dict(values))

    def save(self, model: GRPO, path: Path) -> None:
        model.save(path)

    def load(self, path: Path, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> GRPO:
        """The saved weights, optimizer and reference; ``seed`` draws the groups and actions from here on."""
        return GRPO.load(path, env=env_fn, seed=seed)

    def parameters(self, model: GRPO) -> dict[str, int]:
        """The policy's trainable parameters: GRPO has no value network, and its reference policy is a frozen copy."""
        return {"policy": count_parameters(model.policy)}

    def optimizers(self, model: Any) -> list[Any]:
        return [model.optimizer]

    def state_values(self, model: GRPO, observations: np.ndarray) -> StateValues:
        """No values (GRPO has no critic) and the greedy action: the most likely one, or the Gaussian's mean clipped
        into the bounds, from one forward pass that draws nothing from the policy's generator."""
        policy = model.policy
        with torch.no_grad():
            out = policy(policy.obs_to_tensor(observations)).double().numpy()
        if policy.discrete:
            return StateValues(None, out.argmax(axis=1).astype(np.int64))
        space = policy.action_space
        return StateValues(None, np.clip(out, space.low.reshape(1, -1), space.high.reshape(1, -1)))  # type: ignore[union-attr]

    def boundary(self) -> WholeUpdates:
        """On-policy, and an update is many optimizer steps: a stop inside one rewinds to the last whole update."""
        return WholeUpdates(self.optimizers, rewind_weights=True)


GRPO_ALGORITHM = GRPOAlgorithm()
