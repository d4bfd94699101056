"""The tabular agents as the registry's entry points: build, save and load them (plain arrays, no torch).

A tabular agent is its own model, saved as ``.npz`` (arrays and JSON, nothing pickled); it has no optimizers and no
replay buffer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.algos.registry import EnvFactory
from agents.algos.tabular.base import TabularAgent
from agents.algos.tabular.monte_carlo import MonteCarloControl
from agents.algos.tabular.planning import PolicyIteration, ValueIteration
from agents.algos.tabular.td import ExpectedSarsa, QLearning, Sarsa
from agents.config.schema import Value


@dataclass(frozen=True)
class TabularAlgorithm:
    """One tabular agent class as the registry's :class:`~agents.algos.registry.Algorithm`."""

    agent: type[TabularAgent]
    replay_buffer: None = None

    def build(self, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> TabularAgent:
        """One env (a table needs no parallel copies), the checked hyperparameters, the run's seed."""
        return self.agent(env_fn(), seed=seed, **dict(values))  # type: ignore[arg-type]

    def save(self, model: TabularAgent, path: Path) -> None:
        model.save(path)

    def load(self, path: Path, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> TabularAgent:
        return self.agent.load(path, env=env_fn())

    def parameters(self, model: TabularAgent) -> dict[str, int]:
        """The entries of the table it learns (no network: each entry is one learnt number)."""
        return model.table_entries()

    def optimizers(self, model: Any) -> list[Any]:
        return []

    def state_values(self, model: TabularAgent, observations: Any) -> None:
        """None: a table's states are the discrete states of its env, which have no 2-D slice to map (the GridWorld
        lab draws its own table)."""
        return None

    def boundary(self) -> None:
        """Every step is whole: an update is one table entry."""
        return None


Q_LEARNING = TabularAlgorithm(QLearning)
SARSA = TabularAlgorithm(Sarsa)
EXPECTED_SARSA = TabularAlgorithm(ExpectedSarsa)
MC_CONTROL = TabularAlgorithm(MonteCarloControl)
VALUE_ITERATION = TabularAlgorithm(ValueIteration)
POLICY_ITERATION = TabularAlgorithm(PolicyIteration)
