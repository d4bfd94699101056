"""GRPO: Group Relative Policy Optimization, the critic-free method of DeepSeekMath and DeepSeek-R1.

Importing this package does not register anything; ``agents.algos.grpo.registry`` adds ``grpo`` to the algorithm
registry.
"""

from agents.algos.grpo.core import clipped_surrogate, group_advantages, k3_kl, normalise_in_group, returns_to_go
from agents.algos.grpo.grpo import GRPO
from agents.algos.grpo.policy import GRPOPolicy, count_parameters
from agents.algos.grpo.schema import GRPO_SCHEMA

__all__ = [
    "GRPO",
    "GRPO_SCHEMA",
    "GRPOPolicy",
    "clipped_surrogate",
    "count_parameters",
    "group_advantages",
    "k3_kl",
    "normalise_in_group",
    "returns_to_go",
]
