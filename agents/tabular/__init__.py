"""Tabular agents: planning with a known model and learning from experience, one interface for all.

Importing this package does not register anything; ``agents.tabular.registry`` adds the agents to the
algorithm registry.
"""

from agents.tabular.base import EpisodeResult, TabularAgent
from agents.tabular.learner import Learner, Transition
from agents.tabular.monte_carlo import MonteCarloControl
from agents.tabular.planning import BellmanBackup, Planner, PolicyIteration, Sweep, ValueIteration
from agents.tabular.td import ExpectedSarsa, QLearning, Sarsa

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
