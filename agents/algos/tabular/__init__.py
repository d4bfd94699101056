"""Tabular agents: planning with a known model and learning from experience, one interface for all.

Importing this package does not register anything; ``agents.algos.tabular.registry`` adds the agents to the
algorithm registry.
"""

from agents.algos.tabular.base import EpisodeResult, TabularAgent
from agents.algos.tabular.learner import Learner, Transition
from agents.algos.tabular.monte_carlo import MonteCarloControl
from agents.algos.tabular.planning import BellmanBackup, Planner, PolicyIteration, Sweep, ValueIteration
from agents.algos.tabular.td import ExpectedSarsa, QLearning, Sarsa

AGENTS: dict[str, type[TabularAgent]] = {
    cls.algo_id: cls for cls in (QLearning, Sarsa, ExpectedSarsa, MonteCarloControl, ValueIteration, PolicyIteration)
}
"""The tabular agents by algorithm id."""

__all__ = [
    "AGENTS",
    "BellmanBackup",
    "EpisodeResult",
    "ExpectedSarsa",
    "Learner",
    "MonteCarloControl",
    "Planner",
    "PolicyIteration",
    "QLearning",
    "Sarsa",
    "Sweep",
    "TabularAgent",
    "Transition",
    "ValueIteration",
]
