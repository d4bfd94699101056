"""Planning with a known model: value iteration and policy iteration (Sutton & Barto, chapter 4).

Both read the env's model ``env.unwrapped.P[s][a] = [(prob, next_state, reward, terminated), ...]``
(GridWorld, FrozenLake, CliffWalking and Taxi publish one) and sweep over every state with the Bellman
equation; neither needs to act to learn. A sweep is synchronous: every new value is computed from the
values before the sweep, so :meth:`Planner.bellman_backup` can show exactly the sum that produced a value.

Inside ``learn`` a sweep counts as ``n_states`` timesteps (it backs up every state once), and after each
sweep the agent plays one greedy episode on the env so that the return curve shows the plan improving.
The plan uses the env's own rewards: reward shaping wrappers change the returns it is scored on, not P.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import gymnasium as gym
import numpy as np

from agents.algos.tabular.base import EpisodeResult, MaybeCallback, TabularAgent
from agents.algos.tabular.model import ActionBackup, BackupTerm, BellmanBackup, TabularModel
from agents.algos.tabular.params import POLICY_ITERATION_SCHEMA, VALUE_ITERATION_SCHEMA
from agents.config.schema import Value


@dataclass(frozen=True)
class Sweep:
    """What one sweep did."""

    index: int
    """Sweeps done so far, this one included."""
    phase: Literal["value", "evaluate", "improve"]
    """``value``: a value-iteration sweep; ``evaluate``/``improve``: the two steps of policy iteration."""
    delta: float
    """Largest change of any state value in this sweep (0 for an improvement step)."""
    policy_changes: int
    """States whose action changed."""
    converged: bool


class Planner(TabularAgent):
    """Dynamic programming on the env's model: a step is one sweep over all states."""

    kind = "planning"
    schema = VALUE_ITERATION_SCHEMA
    model: TabularModel | None

    def __init__(
        self,
        env: gym.Env,
        *,
        gamma: float | None = None,
        theta: float | None = None,
        seed: int | None = None,
        **hyperparams: Value,
    ) -> None:
        """Hyperparameters left at None take the default of the class's schema (see ``params.py``)."""
        self.model = None
        given = {"gamma": gamma, "theta": theta, **hyperparams}
        super().__init__(env, seed=seed, **{name: value for name, value in given.items() if value is not None})

    def _init_tables(self) -> None:
        self.values = np.zeros(self.n_states)
        self.previous_values = self.values.copy()
        """The values the last sweep read: with them :meth:`bellman_backup` reproduces that sweep."""
        self.policy = np.zeros(self.n_states, dtype=np.int64)
        self.sweeps = 0
        self.converged = False
        self._backup_gamma: float | None = None
        self._backup_policy: np.ndarray | None = None

    def table_entries(self) -> dict[str, int]:
        """A planner computes one value per state (its Q-values and policy follow from them and the model)."""
        return {"value table": self.n_states}

    def _tables(self) -> dict[str, np.ndarray]:
        q = self.model.q_values(self.values, self.gamma) if self.model else np.zeros((self.n_states, self.n_actions))
        return {"q_table": q, "values": self.values, "policy": self.policy}

    def _restore_tables(self, tables: Mapping[str, np.ndarray]) -> None:
        self.model = None
        self._init_tables()
        self.values = np.asarray(tables["values"], dtype=float)
        self.previous_values = self.values.copy()
        self.policy = np.asarray(tables["policy"], dtype=np.int64)

    def set_env(self, env: gym.Env) -> None:
        """Plan on another env; values carry over when the state count matches (watch them re-converge)."""
        model = TabularModel.from_env(env, self.title)
        super().set_env(env)
        self.model = model
        self.converged = False

    def set_hyperparams(self, **values: object) -> None:
        super().set_hyperparams(**values)
        self.converged = False

    @property
    def theta(self) -> float:
        return float(self.hyperparams["theta"])

    def _require_model(self) -> TabularModel:
        self._require_env()
        assert self.model is not None
        return self.model

    # --- what it knows ------------------------------------------------------------------------------------

    @property
    def q_table(self) -> np.ndarray:
        """Q(s, a) = Σ p · (r + γ · V(s')) from the current values."""
        return self._require_model().q_values(self.values, self.gamma)

    def state_values(self) -> np.ndarray:
        return self.values.copy()

    def greedy_policy(self) -> np.ndarray:
        """The plan: for value iteration the best action of the last sweep's backup, for policy iteration π."""
        return self.policy.copy()

    def bellman_backup(self, state: int) -> BellmanBackup:
        """The sum the last sweep computed for ``state``, term by term, so ``.value == state_values()[state]``.

        Before any sweep it shows what the first sweep will compute.
        """
        model = self._require_model()
        if not 0 <= int(state) < self.n_states:
            raise ValueError(f"state {state} is outside 0..{self.n_states - 1}")
        s = int(state)
        gamma = self.gamma if self._backup_gamma is None else self._backup_gamma
        values = self.previous_values
        actions = []
        for a in range(self.n_actions):
            terms = tuple(
                BackupTerm(
                    probability=float(p),
                    next_state=int(s_next),
                    reward=float(r),
                    next_value=float(values[s_next]),
                    terminated=bool(done),
                    contribution=float(p * (r + (0.0 if done else gamma * values[s_next]))),
                )
                for p, s_next, r, done in zip(
                    model.probability[s, a],
                    model.next_state[s, a],
                    model.reward[s, a],
                    model.terminated[s, a],
                    strict=True,
                )
                if p > 0
            )
            q = float(model.q_values(values, gamma)[s, a])
            actions.append(ActionBackup(a, terms, q))
        if self._backup_policy is not None:
            chosen = int(self._backup_policy[s])
        else:
            chosen = int(np.argmax([a.value for a in actions]))
        return BellmanBackup(s, gamma, tuple(actions), chosen, actions[chosen].value)

    # --- acting -------------------------------------------------------------------------------------------

    def run_episode(self) -> EpisodeResult:
        """Play one episode following the plan (no exploration, nothing learnt)."""
        self.reset_episode()
        limit = self._episode_limit()
        terminated = truncated = False
        while not (terminated or truncated) and self._episode.length < limit:
            assert self.state is not None
            _, _, terminated, truncated, _ = self._env_step(int(self.policy[self.state]))
        if not (terminated or truncated):
            self._episode.over = True
            self.episode_returns.append(self._episode.episode_return)
            self.episode_lengths.append(self._episode.length)
        episode = self._episode
        return EpisodeResult(
            episode.episode_return, episode.length, tuple(episode.trail), terminated, truncated or not terminated
        )

    def learn(
        self,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 1,
        tb_log_name: str = "",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> Planner:
        """Sweep until ``total_timesteps`` (a sweep counts as ``n_states``), one greedy episode after each.

        The callback's ``on_step`` runs once per sweep, after its episode, with that episode's last
        ``infos`` (``info["episode"]`` under SB3's ``Monitor``). ``train/delta`` is logged after each sweep.
        """
        if reset_num_timesteps:
            self.num_timesteps = 0
        end = self.num_timesteps + int(total_timesteps)
        callback = self._init_callback(callback)
        callback.on_training_start(locals(), globals())
        while self.num_timesteps < end:
            sweep = self.step()
            callback.on_rollout_start()
            episode = self.run_episode()
            callback.on_rollout_end()
            self.logger.record("train/delta", sweep.delta)
            self.logger.record("train/policy_changes", sweep.policy_changes)
            self.logger.dump(self.num_timesteps)
            callback.update_locals(
                {
                    "infos": [self.last_info],
                    "dones": np.array([True]),
                    "rewards": np.array([episode.episode_return]),
                    "sweep": sweep,
                }
            )
            if not callback.on_step():
                break
        callback.on_training_end()
        return self

    def _sweep_done(self, phase: Literal["value", "evaluate", "improve"], delta: float, changes: int) -> Sweep:
        self.sweeps += 1
        self.num_timesteps += self.n_states
        return Sweep(self.sweeps, phase, float(delta), int(changes), self.converged)


class ValueIteration(Planner):
    """Value iteration: V(s) ← max_a Σ p · (r + γ · V(s')) for every state, until nothing changes."""

    algo_id = "value_iteration"
    title = "Value iteration"

    def step(self) -> Sweep:
        """One sweep: every state's value becomes the best action's backup."""
        model = self._require_model()
        q = model.q_values(self.values, self.gamma)
        new_values = q.max(axis=1)
        new_policy = q.argmax(axis=1)
        delta = float(np.abs(new_values - self.values).max())
        changes = int((new_policy != self.policy).sum())
        self.previous_values, self.values, self.policy = self.values, new_values, new_policy
        self._backup_gamma, self._backup_policy = self.gamma, None
        self.converged = delta < self.theta
        return self._sweep_done("value", delta, changes)


class PolicyIteration(Planner):
    """Policy iteration: evaluate the current policy, then make it greedy on those values; repeat.

    A step is one evaluation sweep, or, once the values have settled (no change above ``theta``) or after
    ``evaluation_sweeps`` sweeps, one improvement step. Capping the evaluation is modified policy iteration:
    it still converges, and a policy that never ends an episode (walking into a wall forever) is not
    evaluated for thousands of sweeps first. It has converged when an improvement changes no action
    after an evaluation that settled.
    """

    algo_id = "policy_iteration"
    title = "Policy iteration"
    schema = POLICY_ITERATION_SCHEMA

    def __init__(
        self,
        env: gym.Env,
        *,
        gamma: float | None = None,
        theta: float | None = None,
        evaluation_sweeps: int | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(env, gamma=gamma, theta=theta, seed=seed, evaluation_sweeps=evaluation_sweeps)

    def _init_tables(self) -> None:
        super()._init_tables()
        self.sweeps_since_improvement = 0
        self.evaluated = False
        """Evaluation is over (settled or capped): the next step improves the policy."""
        self.settled = False
        """The last evaluation sweep changed no value by more than ``theta``."""

    def step(self) -> Sweep:
        return self._improve() if self.evaluated else self._evaluate()

    def _evaluate(self) -> Sweep:
        """V(s) ← Σ p · (r + γ · V(s')) for the action the policy picks."""
        model = self._require_model()
        q = model.q_values(self.values, self.gamma)
        new_values = q[np.arange(self.n_states), self.policy]
        delta = float(np.abs(new_values - self.values).max())
        self.previous_values, self.values = self.values, new_values
        self._backup_gamma, self._backup_policy = self.gamma, self.policy.copy()
        self.sweeps_since_improvement += 1
        self.settled = delta < self.theta
        self.evaluated = self.settled or self.sweeps_since_improvement >= int(self.hyperparams["evaluation_sweeps"])
        return self._sweep_done("evaluate", delta, 0)

    def _improve(self) -> Sweep:
        """π(s) ← argmax_a Q(s, a), keeping the current action when it is as good as the best (no flip-flop)."""
        q = self._require_model().q_values(self.values, self.gamma)
        best = q.max(axis=1)
        current = q[np.arange(self.n_states), self.policy]
        still_best = current >= best - 1e-10 * np.maximum(1.0, np.abs(best))
        new_policy = np.where(still_best, self.policy, q.argmax(axis=1))
        changes = int((new_policy != self.policy).sum())
        self.policy = new_policy
        self.converged = changes == 0 and self.settled
        self.evaluated, self.sweeps_since_improvement = False, 0
        return self._sweep_done("improve", 0.0, changes)

    def set_hyperparams(self, **values: object) -> None:
        super().set_hyperparams(**values)
        self.evaluated = self.settled = False

    def set_env(self, env: gym.Env) -> None:
        super().set_env(env)
        self.evaluated, self.settled, self.sweeps_since_improvement = False, False, 0
