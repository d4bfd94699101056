"""The tabular agents in the algorithm registry, so the Train page and the headless trainer run them too.

They apply to envs with discrete states and actions (GridWorld, FrozenLake, CliffWalking, Taxi); the
planners also need the env's model ``P``, which all four publish.
"""

from __future__ import annotations

from collections.abc import Mapping

from agents.algos.registry import AlgoInfo, EnvFactory, register_algorithm
from agents.algos.tabular.base import TabularAgent
from agents.algos.tabular.monte_carlo import MonteCarloControl
from agents.algos.tabular.planning import PolicyIteration, ValueIteration
from agents.algos.tabular.td import ExpectedSarsa, QLearning, Sarsa
from agents.config.schema import Value

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


def _builder(cls: type[TabularAgent]):  # type: ignore[no-untyped-def]
    def build(env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> TabularAgent:
        """One env (a table needs no parallel copies), the checked hyperparameters, the run's seed."""
        return cls(env_fn(), seed=seed, **dict(values))  # type: ignore[arg-type]

    return build


for _cls, _description in DESCRIPTIONS.items():
    register_algorithm(
        AlgoInfo(
            id=_cls.algo_id,
            title=_cls.title,
            description=_description,
            family="tabular",
            obs_kinds=_DISCRETE,
            action_kinds=_DISCRETE,
            schema=_cls.schema,
            build=_builder(_cls),
        )
    )
