"""Agents that learn from experience: the ε-greedy loop Q-learning, SARSA, Expected SARSA and Monte Carlo share.

Each step picks an action ε-greedily from the Q-table, steps the env and hands the transition to the
algorithm's :meth:`Learner.update`, which is all that differs between them (see ``td.py`` and
``monte_carlo.py``). Epsilon decays like stable-baselines3 DQN's: linearly from ``exploration_initial_eps``
to ``exploration_final_eps`` over the first ``exploration_fraction`` of ``schedule_timesteps`` (set by
``learn`` to its budget).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agents.algos.tabular.base import EpisodeResult, MaybeCallback, TabularAgent, _Episode
from agents.algos.tabular.params import LEARNER_SCHEMA


@dataclass(frozen=True)
class Transition:
    """One env step of a learner, with the error its update corrected and the ε it acted with."""

    state: int
    action: int
    reward: float
    next_state: int
    terminated: bool
    truncated: bool
    error: float
    """TD error δ = target - Q(s, a) before the update (Monte Carlo: see :class:`MonteCarloControl`)."""
    epsilon: float
    info: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated


class Learner(TabularAgent):
    """An ε-greedy agent with a Q-table, learning one env step at a time."""

    kind = "learning"
    schema = LEARNER_SCHEMA
    error_key: ClassVar[str] = "train/td_error"

    def __init__(
        self,
        env: gym.Env,
        *,
        learning_rate: float | None = None,
        gamma: float | None = None,
        exploration_initial_eps: float | None = None,
        exploration_final_eps: float | None = None,
        exploration_fraction: float | None = None,
        seed: int | None = None,
        schedule_timesteps: int = 10_000,
    ) -> None:
        """Hyperparameters left at None take the default of the class's schema (see ``params.py``)."""
        self.schedule_timesteps = int(schedule_timesteps)
        """Steps the ε schedule spans; ``learn`` sets it to its budget, a page may set it for stepping."""
        self._next_action: int | None = None
        given = {
            "learning_rate": learning_rate,
            "gamma": gamma,
            "exploration_initial_eps": exploration_initial_eps,
            "exploration_final_eps": exploration_final_eps,
            "exploration_fraction": exploration_fraction,
        }
        super().__init__(env, seed=seed, **{name: value for name, value in given.items() if value is not None})

    def _init_tables(self) -> None:
        self.q = np.zeros((self.n_states, self.n_actions))

    def _tables(self) -> dict[str, np.ndarray]:
        return {"q_table": self.q}

    def _restore_tables(self, tables: Mapping[str, np.ndarray]) -> None:
        self.q = np.asarray(tables["q_table"], dtype=float)
        self.schedule_timesteps = 10_000
        self._next_action = None

    # --- what it knows ------------------------------------------------------------------------------------

    @property
    def q_table(self) -> np.ndarray:
        return self.q.copy()

    def state_values(self) -> np.ndarray:
        """max_a Q(s, a): the value of acting greedily from each state."""
        return self.q.max(axis=1)

    def greedy_policy(self) -> np.ndarray:
        return self.q.argmax(axis=1)

    @property
    def learning_rate(self) -> float:
        return float(self.hyperparams["learning_rate"])

    @property
    def exploration_rate(self) -> float:
        """The current ε, from the linear schedule (stable-baselines3 DQN's)."""
        start = float(self.hyperparams["exploration_initial_eps"])
        end = float(self.hyperparams["exploration_final_eps"])
        fraction = float(self.hyperparams["exploration_fraction"])
        progress = self.num_timesteps / self.schedule_timesteps if self.schedule_timesteps > 0 else 1.0
        if progress >= fraction:
            return end
        return start + progress * (end - start) / fraction

    # --- acting -------------------------------------------------------------------------------------------

    def greedy_action(self, state: int) -> int:
        """argmax_a Q(state, a), ties broken at random so an untrained agent does not always go the same way."""
        best = np.flatnonzero(self.q[state] == self.q[state].max())
        return int(best[0]) if len(best) == 1 else int(self.rng.choice(best))

    def behaviour_action(self, state: int) -> int:
        """ε-greedy: a random action with probability ε, else the greedy one."""
        if self.rng.random() < self.exploration_rate:
            return int(self.rng.integers(self.n_actions))
        return self.greedy_action(state)

    def behaviour_probabilities(self, state: int) -> np.ndarray:
        """π(a | state) of the ε-greedy policy, ties sharing the greedy share (what ``behaviour_action`` does)."""
        epsilon = self.exploration_rate
        best = self.q[state] == self.q[state].max()
        return epsilon / self.n_actions + (1 - epsilon) * best / best.sum()

    def _predict_one(self, state: int, deterministic: bool) -> int:
        return int(self.q[state].argmax()) if deterministic else self.behaviour_action(state)

    # --- learning -----------------------------------------------------------------------------------------

    @abstractmethod
    def update(self, s: int, a: int, r: float, s_next: int, terminated: bool, truncated: bool) -> float:
        """Learn from one transition; return the error that the update corrected."""

    def _on_episode_start(self) -> None:
        self._next_action = None

    def step(self) -> Transition:
        """One env step: act ε-greedily, observe, update. Starts a new episode when the last one ended."""
        if self.episode_over:
            self.reset_episode()
        assert self.state is not None
        s, epsilon = self.state, self.exploration_rate
        a = self._next_action if self._next_action is not None else self.behaviour_action(s)
        self._next_action = None
        s_next, r, terminated, truncated, info = self._env_step(a)
        self.num_timesteps += 1
        error = self.update(s, a, r, s_next, terminated, truncated)
        self._episode.errors.append(error)
        return Transition(s, a, r, s_next, terminated, truncated, error, epsilon, info)

    def run_episode(self) -> EpisodeResult:
        """Step until the episode ends (or the env's time limit, or 1,000 steps without one)."""
        if self.episode_over:
            self.reset_episode()
        limit = self._episode_limit()
        transition = self.step()
        while not transition.done and self._episode.length < limit:
            transition = self.step()
        cut = not transition.done
        if cut:  # an env without a time limit: end the episode here, as a TimeLimit would
            self._episode.over = True
            self.episode_returns.append(self._episode.episode_return)
            self.episode_lengths.append(self._episode.length)
        episode = self._episode
        return EpisodeResult(
            episode.episode_return,
            episode.length,
            tuple(episode.trail),
            transition.terminated,
            transition.truncated or cut,
        )

    def learn(
        self,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 1,
        tb_log_name: str = "",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> Learner:
        """Train for ``total_timesteps`` env steps, honouring SB3's callback protocol.

        The callback sees ``infos``, ``dones``, ``rewards``, ``new_obs`` and ``actions`` after every step
        (with ``info["episode"]`` when the env is wrapped in SB3's ``Monitor``) and stops training by
        returning False. At each episode's end ``train/epsilon`` and the mean absolute error are logged.
        """
        if reset_num_timesteps:
            self.num_timesteps = 0
            self._episode = _Episode()
        self.schedule_timesteps = self.num_timesteps + int(total_timesteps)
        callback = self._init_callback(callback)
        callback.on_training_start(locals(), globals())
        callback.on_rollout_start()
        while self.num_timesteps < self.schedule_timesteps:
            transition = self.step()
            callback.update_locals(
                {
                    "infos": [transition.info],
                    "dones": np.array([transition.done]),
                    "rewards": np.array([transition.reward]),
                    "new_obs": np.array([transition.next_state]),
                    "actions": np.array([transition.action]),
                }
            )
            if not callback.on_step():
                break
            if transition.done:
                self._log_episode(transition.epsilon)
                callback.on_rollout_end()
                callback.on_rollout_start()
        callback.on_rollout_end()
        callback.on_training_end()
        return self

    def _log_episode(self, epsilon: float) -> None:
        self.logger.record("train/epsilon", epsilon)
        self.logger.record(self.error_key, self._episode_error())
        self.logger.dump(self.num_timesteps)

    def _episode_error(self) -> float:
        errors = self._episode.errors
        return float(np.mean(np.abs(errors))) if errors else 0.0
