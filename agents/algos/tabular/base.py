"""What every tabular agent shares: stable-baselines3's model surface, and a surface for stepping by hand.

The app's run code drives a tabular agent exactly like an SB3 model (``learn`` with callbacks, ``predict``,
``set_logger``, ``save``/``load``, ``num_timesteps``), so the Train page and the headless trainer need no
special case. A page that teaches can instead step it: :meth:`TabularAgent.step` (one env step for a
learner, one sweep for a planner), :meth:`TabularAgent.run_episode`, :meth:`TabularAgent.set_hyperparams`
between steps, and read :attr:`q_table`, :meth:`state_values`, :meth:`greedy_policy`, :attr:`state` and
:attr:`trail` to draw.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import gymnasium as gym
import numpy as np

from agents.algos.callbacks import MaybeCallback, init_callback
from agents.config.schema import Schema, Value

if TYPE_CHECKING:  # SB3 (and so torch) is imported only when an agent learns: the registry lists agents without it
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.logger import Logger

FALLBACK_EPISODE_LIMIT = 1000
"""Steps after which :meth:`TabularAgent.run_episode` gives up when the env has no time limit of its own."""

_AGENT_CLASSES: dict[str, type[TabularAgent]] = {}


@dataclass(frozen=True)
class EpisodeResult:
    """One finished (or cut-off) episode, with the states it visited for drawing a trail."""

    episode_return: float
    length: int
    trail: tuple[int, ...]
    terminated: bool
    truncated: bool


@dataclass
class _Episode:
    """Bookkeeping of the episode in progress."""

    trail: list[int] = field(default_factory=list)
    episode_return: float = 0.0
    length: int = 0
    errors: list[float] = field(default_factory=list)
    over: bool = True


class TabularAgent(ABC):
    """A table-based agent for envs with a few discrete states and actions (GridWorld, FrozenLake, Taxi...).

    Subclasses set ``algo_id``, ``title`` and ``schema`` and implement :meth:`step`, :meth:`greedy_policy`,
    :meth:`state_values` and the ``q_table`` property.
    """

    algo_id: ClassVar[str]
    title: ClassVar[str]
    schema: ClassVar[Schema]
    kind: ClassVar[Literal["learning", "planning"]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "algo_id" in cls.__dict__:
            _AGENT_CLASSES[cls.algo_id] = cls

    def __init__(self, env: gym.Env, *, seed: int | None = None, **hyperparams: Value) -> None:
        self.hyperparams: dict[str, Value] = self.schema.resolve(hyperparams)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.num_timesteps = 0
        self._logger: Logger | None = None
        self.env: gym.Env | None = None
        self.episode_returns: list[float] = []
        """Return of every finished episode, in order (the page's return-per-episode chart)."""
        self.episode_lengths: list[int] = []
        self.state: int | None = None
        """The agent's current state; after an episode ends, the state it ended in (None before any)."""
        self._episode = _Episode()
        self._seed_next_reset = True
        self.last_info: dict[str, Any] = {}
        """The info of the last env step (with ``"episode"`` at an episode's end under SB3's Monitor)."""
        self.n_states, self.n_actions = _table_shape(env, self.title)
        self._init_tables()
        self.set_env(env)

    # --- hyperparameters ----------------------------------------------------------------------------------

    @property
    def gamma(self) -> float:
        return float(self.hyperparams["gamma"])

    def set_hyperparams(self, **values: object) -> None:
        """Change hyperparameters between steps (a page's sliders); they apply from the next step on."""
        self.hyperparams.update({name: self.schema.get(name).parse(raw) for name, raw in values.items()})

    def reset_learning(self) -> None:
        """Forget everything learnt (tables, step count, episode history); keep the env and hyperparameters.

        With a seed, what follows is exactly what a freshly built agent would do (a page's Reset button).
        """
        self._init_tables()
        self.num_timesteps = 0
        self.episode_returns, self.episode_lengths = [], []
        self.state, self.last_info = None, {}
        self._episode = _Episode()
        self._seed_next_reset = True
        self.rng = np.random.default_rng(self.seed)

    # --- the episode in progress --------------------------------------------------------------------------

    @property
    def trail(self) -> list[int]:
        """The states of the current episode so far (of the last one, once it has ended)."""
        return list(self._episode.trail)

    @property
    def episode_over(self) -> bool:
        """True before the first episode and after an episode ended: the next step starts a new one."""
        return self._episode.over

    def reset_episode(self) -> int:
        """Start a new episode at the env's start state; an unfinished episode is abandoned."""
        env = self._require_env()
        obs, _ = env.reset(seed=self.seed if self._seed_next_reset else None)
        self._seed_next_reset = False
        self.state = int(obs)
        self._episode = _Episode(trail=[self.state], over=False)
        self._on_episode_start()
        return self.state

    def _on_episode_start(self) -> None:  # noqa: B027  (a hook: most agents need nothing here)
        """Hook for agents that carry something across steps of one episode."""

    def _env_step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Step the env and keep the episode's books; the caller handles learning."""
        obs, reward, terminated, truncated, info = self._require_env().step(action)
        reward = float(reward)
        if not math.isfinite(reward):
            raise FloatingPointError(f"the environment returned a reward of {reward}")
        next_state = int(obs)
        episode = self._episode
        self.last_info = info
        self.state = next_state
        episode.trail.append(next_state)
        episode.episode_return += reward
        episode.length += 1
        if terminated or truncated:
            episode.over = True
            self.episode_returns.append(episode.episode_return)
            self.episode_lengths.append(episode.length)
        return next_state, reward, bool(terminated), bool(truncated), info

    def _finished_episode(self) -> EpisodeResult:
        episode = self._episode
        return EpisodeResult(episode.episode_return, episode.length, tuple(episode.trail), episode.over, False)

    def _episode_limit(self) -> int:
        spec = getattr(self._require_env(), "spec", None)
        return int(spec.max_episode_steps) if spec is not None and spec.max_episode_steps else FALLBACK_EPISODE_LIMIT

    # --- what the agent knows -----------------------------------------------------------------------------

    @property
    @abstractmethod
    def q_table(self) -> np.ndarray:
        """Action values, shape (n_states, n_actions): a copy, safe to keep and draw."""

    @abstractmethod
    def state_values(self) -> np.ndarray:
        """The value of each state, shape (n_states,)."""

    @abstractmethod
    def greedy_policy(self) -> np.ndarray:
        """The action the agent would pick in each state when not exploring, shape (n_states,)."""

    @abstractmethod
    def step(self) -> Any:
        """One unit of work a person can watch: an env step for a learner, a sweep for a planner."""

    @abstractmethod
    def run_episode(self) -> EpisodeResult:
        """Play one whole episode (learning from it, for a learner)."""

    @abstractmethod
    def _init_tables(self) -> None:
        """Fresh tables for ``self.n_states`` states and ``self.n_actions`` actions."""

    def table_entries(self) -> dict[str, int]:
        """The numbers it learns, by table: a learner's Q-table has one entry per state and action."""
        return {"Q-table": self.n_states * self.n_actions}

    @abstractmethod
    def _tables(self) -> dict[str, np.ndarray]:
        """The arrays :meth:`save` stores and :meth:`load` restores; always includes ``q_table``."""

    # --- stable-baselines3's surface ----------------------------------------------------------------------

    @property
    def logger(self) -> Logger:
        if self._logger is None:
            from stable_baselines3.common.logger import Logger

            self._logger = Logger(folder=None, output_formats=[])
        return self._logger

    def set_logger(self, logger: Logger) -> None:
        self._logger = logger

    def get_env(self) -> gym.Env | None:
        """The env the agent steps (a plain gymnasium env, not a VecEnv)."""
        return self.env

    def set_env(self, env: gym.Env) -> None:
        """Use another env, e.g. after a page edited the grid.

        What the agent learnt is kept when the new env has as many states and actions (an edited grid of
        the same size), so one can watch it adapt; otherwise the tables start afresh. The episode in
        progress ends: the next step starts one on the new env.
        """
        shape = _table_shape(env, self.title)
        if shape != (self.n_states, self.n_actions):
            self.n_states, self.n_actions = shape
            self._init_tables()
        self.env = env
        self._episode = _Episode()
        self._seed_next_reset = True

    def predict(
        self,
        observation: int | np.ndarray,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, None]:
        """The action for an observation (or an array of them), as SB3's ``predict`` returns it."""
        states = np.asarray(observation)
        if states.dtype.kind not in "iu" and not (states.dtype.kind == "f" and np.all(states == np.round(states))):
            raise ValueError(f"{self.title} needs whole-number states, not {observation!r}")
        states = states.astype(np.int64)
        if np.any((states < 0) | (states >= self.n_states)):
            raise ValueError(f"state {observation!r} is outside 0..{self.n_states - 1}")
        actions = np.array([self._predict_one(int(s), deterministic) for s in states.reshape(-1)], dtype=np.int64)
        return actions.reshape(states.shape), None

    def _predict_one(self, state: int, deterministic: bool) -> int:
        return int(self.greedy_policy()[state])

    @abstractmethod
    def learn(
        self,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 1,
        tb_log_name: str = "",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> TabularAgent: ...

    def _init_callback(self, callback: MaybeCallback) -> BaseCallback:
        """SB3's own conversion: a list becomes a CallbackList, a function or None a ConvertCallback."""
        return init_callback(callback, self)

    def save(self, path: str | Path) -> None:
        """Write the tables and hyperparameters to an ``.npz`` file (plain arrays and JSON, no pickle)."""
        meta = {
            "algo": self.algo_id,
            "hyperparams": self.hyperparams,
            "seed": self.seed,
            "num_timesteps": self.num_timesteps,
        }
        np.savez(_npz_path(path), meta=np.array(json.dumps(meta)), **self._tables())

    @classmethod
    def load(cls, path: str | Path, env: gym.Env | None = None) -> TabularAgent:
        """Rebuild an agent saved by :meth:`save`; without ``env`` it can only ``predict`` until ``set_env``."""
        with np.load(_npz_path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            tables = {name: np.array(data[name]) for name in data.files if name != "meta"}
        algo = str(meta.get("algo"))
        klass = _AGENT_CLASSES.get(algo)
        if klass is None or not issubclass(klass, cls):
            raise ValueError(f"{path} holds a {algo!r} agent, not a {getattr(cls, 'algo_id', 'tabular')} one")
        agent = klass.__new__(klass)
        agent.hyperparams = klass.schema.resolve(meta["hyperparams"])
        agent.seed = meta.get("seed")
        agent.rng = np.random.default_rng(agent.seed)
        agent.num_timesteps = int(meta.get("num_timesteps", 0))
        agent._logger, agent.env, agent.state = None, None, None
        agent.episode_returns, agent.episode_lengths = [], []
        agent._episode, agent._seed_next_reset, agent.last_info = _Episode(), True, {}
        agent.n_states, agent.n_actions = (int(n) for n in tables["q_table"].shape)
        agent._restore_tables(tables)
        if env is not None:
            agent.set_env(env)
        return agent

    @abstractmethod
    def _restore_tables(self, tables: Mapping[str, np.ndarray]) -> None: ...

    def _require_env(self) -> gym.Env:
        if self.env is None:
            raise RuntimeError(f"this {self.title} agent has no environment; pass one to load() or set_env()")
        return self.env


def _table_shape(env: gym.Env, title: str) -> tuple[int, int]:
    """(n_states, n_actions) of an env with discrete observations and actions."""
    obs_space, action_space = env.observation_space, env.action_space
    if not isinstance(obs_space, gym.spaces.Discrete) or not isinstance(action_space, gym.spaces.Discrete):
        raise ValueError(f"{title} keeps one table row per state, so it needs discrete states and actions")
    if obs_space.start != 0 or action_space.start != 0:
        raise ValueError(f"{title} needs states and actions numbered from 0")
    return int(obs_space.n), int(action_space.n)


def _npz_path(path: str | Path) -> Path:
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")
