"""GRPO in the algorithm registry, so the Train page, the headless trainer, storage and resume run it unchanged.

Torch-free: the model is built by :mod:`agents.algos.grpo.algorithm`, named by entry point.
"""

from __future__ import annotations

from collections.abc import Mapping

from agents.algos.grpo.schema import GRPO_SCHEMA
from agents.algos.registry import AlgoInfo, register_algorithm
from agents.config.schema import HyperParamError, Value
from envs.registry import EnvInfo

MAX_PARALLEL_ATTEMPTS = 256
"""group_size x groups_per_update envs are built and played at once; more would only cost memory."""


def check_groups(values: Mapping[str, Value], env: EnvInfo) -> None:
    """The attempts played side by side (one env each) must stay within :data:`MAX_PARALLEL_ATTEMPTS`."""
    attempts = int(values["group_size"]) * int(values["groups_per_update"])
    if attempts > MAX_PARALLEL_ATTEMPTS:
        raise HyperParamError(
            f"group_size x groups_per_update is {attempts}; at most {MAX_PARALLEL_ATTEMPTS} attempts are played "
            "at once (one environment each)",
            "groups_per_update",
        )


register_algorithm(
    AlgoInfo(
        "grpo",
        "GRPO",
        "Group Relative Policy Optimization, DeepSeek-R1's method: plays a group of attempts from the same start "
        "and makes the better-than-average ones more likely, with PPO's clipped steps. No value network: half "
        "PPO's parameters. It judges whole episodes, so it lags PPO in samples (2-3x PPO's steps to solve CartPole, "
        "though fewer CPU seconds) and far behind where episodes are long and rewards come late (Acrobot: -295 "
        "against PPO's -84 after 100k steps; on LunarLander critic-free methods plateau near 150, arXiv 2511.03527).",
        frozenset({"box", "discrete"}),
        frozenset({"box", "discrete"}),
        GRPO_SCHEMA,
        "agents.algos.grpo.algorithm:GRPO_ALGORITHM",
        check=check_groups,
        export_note="stable-baselines3 has no GRPO, so a GRPO run cannot be exported as an SB3 script or an "
        "RL Zoo entry; its trained policy downloads as a model file.",
    )
)
