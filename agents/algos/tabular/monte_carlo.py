"""On-policy first-visit Monte Carlo control with ε-greedy exploration (Sutton & Barto, section 5.4).

The agent plays a whole episode without learning, then walks it backwards computing the return
G = R + γ·G and moves Q(S, A) a step α towards G at the first visit of each pair (constant-α Monte
Carlo, section 6.1). No bootstrapping: the target is what actually happened, so it is unbiased but noisy.
When the time limit cuts an episode short, G starts from the greedy value of the last state, since the
episode would have gone on.
"""

from __future__ import annotations

from agents.algos.tabular.learner import Learner
from agents.algos.tabular.params import MONTE_CARLO_SCHEMA


class MonteCarloControl(Learner):
    """Learns from complete episodes: each visited pair moves towards the return that followed it.

    A step's ``error`` is 0 until the episode ends; the last step reports the mean of |G - Q(S, A)|
    over the episode's first visits.
    """

    algo_id = "mc_control"
    title = "Monte Carlo control"
    schema = MONTE_CARLO_SCHEMA
    error_key = "train/mc_error"

    episode: list[tuple[int, int, float]]
    """(S, A, R) of the episode so far; a new episode (``reset_episode``) starts it afresh."""

    def _on_episode_start(self) -> None:
        super()._on_episode_start()
        self.episode = []

    def update(self, s: int, a: int, r: float, s_next: int, terminated: bool, truncated: bool) -> float:
        self.episode.append((s, a, r))
        if not (terminated or truncated):
            return 0.0
        first_visit: dict[tuple[int, int], int] = {}
        for t, (s_t, a_t, _) in enumerate(self.episode):
            first_visit.setdefault((s_t, a_t), t)
        g = 0.0 if terminated else float(self.q[s_next].max())
        errors = []
        for t in reversed(range(len(self.episode))):
            s_t, a_t, r_t = self.episode[t]
            g = r_t + self.gamma * g
            if first_visit[(s_t, a_t)] == t:
                error = g - self.q[s_t, a_t]
                self.q[s_t, a_t] += self.learning_rate * error
                errors.append(abs(error))
        self.episode = []
        return float(sum(errors) / len(errors))

    def _episode_error(self) -> float:
        errors = self._episode.errors
        return float(errors[-1]) if errors else 0.0
