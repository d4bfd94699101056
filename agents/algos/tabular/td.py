"""Temporal-difference control: Q-learning, SARSA and Expected SARSA (Sutton & Barto, chapter 6).

All three move Q(S, A) a step α towards a target built from the reward and the next state's value; they
differ only in which value of the next state they trust:

- Q-learning: the greedy one, max_a Q(S', a), whatever the agent will actually do (off-policy).
- SARSA: Q(S', A') of the action A' it will actually take next, exploration included (on-policy).
- Expected SARSA: the average of Q(S', ·) under the ε-greedy policy.

A terminal next state is worth 0; when the time limit cuts an episode, the next state still has a value.
"""

from __future__ import annotations

from agents.algos.tabular.learner import Learner


class QLearning(Learner):
    """Watkins' Q-learning: learns the value of the greedy policy while exploring ε-greedily."""

    algo_id = "q_learning"
    title = "Q-learning"

    def update(self, s: int, a: int, r: float, s_next: int, terminated: bool, truncated: bool) -> float:
        target = r if terminated else r + self.gamma * self.q[s_next].max()
        td_error = target - self.q[s, a]
        self.q[s, a] += self.learning_rate * td_error
        return float(td_error)


class Sarsa(Learner):
    """SARSA: learns the value of the ε-greedy policy it follows, so it respects its own exploration."""

    algo_id = "sarsa"
    title = "SARSA"

    def update(self, s: int, a: int, r: float, s_next: int, terminated: bool, truncated: bool) -> float:
        a_next = self.behaviour_action(s_next)
        target = r if terminated else r + self.gamma * self.q[s_next, a_next]
        td_error = target - self.q[s, a]
        self.q[s, a] += self.learning_rate * td_error
        if not (terminated or truncated):
            self._next_action = a_next  # SARSA commits to A' now: the next step takes it
        return float(td_error)


class ExpectedSarsa(Learner):
    """Expected SARSA: like SARSA, but averages over the next action instead of sampling it."""

    algo_id = "expected_sarsa"
    title = "Expected SARSA"

    def update(self, s: int, a: int, r: float, s_next: int, terminated: bool, truncated: bool) -> float:
        expected_next = self.behaviour_probabilities(s_next) @ self.q[s_next]
        target = r if terminated else r + self.gamma * expected_next
        td_error = target - self.q[s, a]
        self.q[s, a] += self.learning_rate * td_error
        return float(td_error)
