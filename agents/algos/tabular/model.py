"""A known model as arrays, and the Bellman backup of one state written out term by term.

``TabularModel`` turns gymnasium's toy-text table ``P[s][a] = [(prob, next_state, reward, terminated), ...]``
into dense arrays so a sweep over all states is a few numpy operations; ``BellmanBackup`` is what a page
shows when someone selects a cell: every probability, reward and next value in the sum that made its value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import gymnasium as gym
import numpy as np


@dataclass(frozen=True)
class BackupTerm:
    """One possible outcome of an action: probability × (reward + γ × value of where it lands)."""

    probability: float
    next_state: int
    reward: float
    next_value: float
    terminated: bool
    """A terminal outcome's landing value is not added: nothing follows the end of an episode."""
    contribution: float


@dataclass(frozen=True)
class ActionBackup:
    action: int
    terms: tuple[BackupTerm, ...]
    value: float
    """Q(s, a): the sum of the terms' contributions."""


@dataclass(frozen=True)
class BellmanBackup:
    """The Bellman backup of one state, with every number in it."""

    state: int
    gamma: float
    actions: tuple[ActionBackup, ...]
    chosen: int
    """The action whose sum became the state's value: the best one (value iteration) or π(s) (evaluation)."""
    value: float

    def lines(self, action_names: Sequence[str] | None = None) -> list[str]:
        """The sums written out, one line per action, e.g. ``right: 0.8×(-0.04 + 0.9×0.92) + ... = 0.71``."""
        names = action_names or [str(a.action) for a in self.actions]
        out = []
        for backup in self.actions:
            terms = " + ".join(
                f"{t.probability:.3g}×({t.reward:.3g})"
                if t.terminated
                else f"{t.probability:.3g}×({t.reward:.3g} + {self.gamma:.3g}×{t.next_value:.4g})"
                for t in backup.terms
            )
            mark = "  ← chosen" if backup.action == self.chosen else ""
            out.append(f"{names[backup.action]}: {terms} = {backup.value:.4g}{mark}")
        return out


@dataclass(frozen=True)
class TabularModel:
    """``P`` as dense arrays of shape (n_states, n_actions, most outcomes), padded with zero probabilities."""

    probability: np.ndarray
    next_state: np.ndarray
    reward: np.ndarray
    terminated: np.ndarray

    @classmethod
    def from_env(cls, env: gym.Env, title: str) -> TabularModel:
        table = getattr(env.unwrapped, "P", None)
        if not isinstance(table, Mapping) or not table:
            name = env.spec.id if env.spec else type(env.unwrapped).__name__
            raise ValueError(f"{title} plans with the environment's model, and {name} publishes none (env.P)")
        n_states, n_actions = int(env.observation_space.n), int(env.action_space.n)  # type: ignore[attr-defined]
        width = max(len(table[s][a]) for s in range(n_states) for a in range(n_actions))
        probability = np.zeros((n_states, n_actions, width))
        next_state = np.zeros((n_states, n_actions, width), dtype=np.int64)
        reward = np.zeros((n_states, n_actions, width))
        terminated = np.ones((n_states, n_actions, width), dtype=bool)
        for s in range(n_states):
            for a in range(n_actions):
                for k, (p, s_next, r, done) in enumerate(table[s][a]):
                    probability[s, a, k], next_state[s, a, k] = p, s_next
                    reward[s, a, k], terminated[s, a, k] = r, done
        if not np.allclose(probability.sum(axis=2), 1.0, atol=1e-6):
            raise ValueError(
                f"the model of {env.spec.id if env.spec else 'this env'} has probabilities not summing to 1"
            )
        return cls(probability, next_state, reward, terminated)

    def q_values(self, values: np.ndarray, gamma: float) -> np.ndarray:
        """Q(s, a) = Σ p · (r + γ · V(s')), with V(s') left out after a terminal outcome."""
        landing = np.where(self.terminated, 0.0, values[self.next_state])
        return (self.probability * (self.reward + gamma * landing)).sum(axis=2)
