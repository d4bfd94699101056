"""The tabular agents in the algorithm registry, so the Train page and the headless trainer run them too.

They apply to envs with discrete states and actions (GridWorld, FrozenLake, CliffWalking, Taxi); the
planners also need the env's model ``P``, which all four publish. Torch-free: building, saving and loading are
:mod:`agents.algos.tabular.algorithm`'s, named by entry point.
"""

from __future__ import annotations

from agents.algos.registry import AlgoInfo, register_algorithm
from agents.algos.tabular.base import TabularAgent
from agents.algos.tabular.monte_carlo import MonteCarloControl
from agents.algos.tabular.planning import PolicyIteration, ValueIteration
from agents.algos.tabular.td import ExpectedSarsa, QLearning, Sarsa

_DISCRETE = frozenset({"discrete"})

DESCRIPTIONS: dict[type[TabularAgent], str] = {
    QLearning: "Learns the value of every action in every state from single steps, always assuming it will "
    "act greedily next: finds the shortest path even while exploring.",
    Sarsa: "Learns from single steps the value of the policy it actually follows, exploration included: "
    "prefers paths where a random step does no harm.",
    ExpectedSarsa: "Like SARSA, but averages over the next action instead of sampling it: steadier updates, "
    "often a larger learning rate.",
    MonteCarloControl: "Plays whole episodes, then moves each action's value towards the return that "
    "actually followed: no bootstrapping, noisy but unbiased.",
    ValueIteration: "Plans with the known model: sweeps every state, setting its value to the best action's "
    "expected reward plus discounted next value, until nothing changes.",
    PolicyIteration: "Plans with the known model: evaluates a policy until its values settle, makes it greedy "
    "on them, and repeats until the policy stops changing.",
}


for _cls, _description in DESCRIPTIONS.items():
    register_algorithm(
        AlgoInfo(
            id=_cls.algo_id,
            title=_cls.title,
            description=_description,
            obs_kinds=_DISCRETE,
            action_kinds=_DISCRETE,
            schema=_cls.schema,
            entry_point=f"agents.algos.tabular.algorithm:{_cls.algo_id.upper()}",
            checkpoint_file="model.npz",
        )
    )
