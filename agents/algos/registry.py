"""The algorithm registry: which learners exist, what they apply to, and everything the app needs to know of each.

Ids are RL Baselines3 Zoo's lowercase ones (``ppo``, ``dqn``, ...). An :class:`AlgoInfo` is an algorithm's one home:
what it applies to (its observation and action spaces), its hyperparameter :class:`~agents.config.schema.Schema`,
its own checks of a combination of values (as SB3's PPO checks its batch size), its checkpoint file, whether it
exports as code, and an ``entry_point`` (``"module:attribute"``, gymnasium's habit) naming the :class:`Algorithm`
that builds, saves and loads its models and names their optimizers. The entry point is imported on first use, so
listing algorithms and checking a configuration never import torch.

Adding an algorithm: a package of its own (its schema, its :class:`Algorithm`, a module that calls
:func:`register_algorithm`) and one line in :data:`BUILTIN_REGISTRATIONS`. ``tests/test_algo_contract.py`` builds,
trains, saves and loads every registered algorithm, so a forgotten hook fails there, loudly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from agents.config.schema import Schema, Value
from envs.registry import EnvInfo, SpaceKind

EnvFactory = Callable[[], gym.Env]
CheckFn = Callable[[Mapping[str, Value], EnvInfo], None]
"""Raise :class:`~agents.config.schema.HyperParamError` (naming the field) if these individually valid values
cannot train together on this env."""

BUILTIN_REGISTRATIONS = ("agents.algos.sb3.registry", "agents.algos.grpo.registry", "agents.algos.tabular.registry")
"""Modules that register the built-in algorithms when imported; each must import without torch."""


class Model(Protocol):
    """What the run needs from a learner: SB3's ``BaseAlgorithm`` surface, which tabular agents mimic."""

    num_timesteps: int

    def learn(self, total_timesteps: int, callback: Any = ..., **kwargs: Any) -> Any: ...

    def predict(
        self, observation: Any, state: Any = ..., episode_start: Any = ..., deterministic: bool = ...
    ) -> Any: ...

    def save(self, path: Any) -> None: ...


class ReplayBuffer(Protocol):
    """How an off-policy algorithm keeps its replay buffer across a stop and resume (SB3's own methods)."""

    def nbytes(self, model: Any) -> int:
        """Bytes the buffer takes when saved (SB3 pickles every allocated row, filled or not)."""
        ...

    def save(self, model: Any, path: Path) -> None:
        """Write the buffer to ``path`` (the caller makes the write atomic)."""
        ...

    def load(self, model: Any, path: Path) -> int | None:
        """Put the buffer saved at ``path`` into ``model``: the transitions it holds, or None (the model keeps its
        empty buffer) when it was saved at another step than the model's."""
        ...

    def restart_warmup(self, model: Any, values: Mapping[str, Value]) -> int:
        """Without its buffer, wait ``learning_starts`` more steps before learning again; the step it resumes at."""
        ...


class Algorithm(Protocol):
    """What an :class:`AlgoInfo`'s entry point names: the code that makes and keeps one algorithm's models."""

    replay_buffer: ReplayBuffer | None
    """How the replay buffer survives a resume; None for an algorithm without one (on-policy, tabular)."""

    def build(self, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> Model:
        """A new model on fresh environments made by ``env_fn``, with checked hyperparameters and a seed."""
        ...

    def save(self, model: Any, path: Path) -> None:
        """Write the model's checkpoint to exactly ``path`` (the caller makes the write atomic)."""
        ...

    def load(self, path: Path, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> Model:
        """Rebuild a model from a checkpoint the app saved itself (never a user's file: loading may unpickle)."""
        ...

    def parameters(self, model: Any) -> dict[str, int]:
        """The model's trainable parameters by part (``policy``, ``value function``, ...; a table's entries), for the
        run's cost meter."""
        ...

    def optimizers(self, model: Any) -> list[Any]:
        """Every torch optimizer the model trains with, so pause and stop can act before each optimizer step."""
        ...

    def boundary(self) -> UpdateBoundary | None:
        """A fresh callback keeping the last state between whole updates (on-policy); None if every step is."""
        ...

    def state_values(self, model: Any, observations: np.ndarray) -> StateValues | None:
        """What the model believes of a batch of states (value maps); None if it cannot say (a table over discrete
        states). Must draw no random number and change nothing."""
        ...


@dataclass(frozen=True)
class StateValues:
    """An agent's reading of a batch of N states: the value it believes each has, and the action it would take.

    Filled by each algorithm's ``state_values`` hook: PPO and A2C give the critic's V(s), DQN max_a Q(s, a), SAC,
    TD3 and DDPG Q(s, μ(s)) at the actor's deterministic action, GRPO (no critic) no values at all.
    """

    values: np.ndarray | None
    """Shape (N,), float64, in the units of the (shaped) return; None: the algorithm has no value function."""
    actions: np.ndarray
    """The greedy action per state: shape (N,) int64 for a Discrete action space, (N, action_dim) float64 in the
    env's units (within its bounds) for a Box one; what ``model.predict(observations, deterministic=True)`` gives."""
    value_name: str = ""
    """What ``values`` are, in the field's notation: ``"V(s)"``, ``"max_a Q(s, a)"``, ``"Q(s, μ(s))"``."""


class UpdateBoundary(Protocol):
    """An SB3 callback (given to ``learn``) that remembers the last point between whole updates."""

    random_state: dict[str, Any] | None
    """The generators' states at that point (:mod:`agents.algos.random_state`), None before the first."""

    def rewind(self) -> None:
        """Put the model back to that point, after a stop, before it is saved."""
        ...


@dataclass(frozen=True)
class AlgoInfo:
    """One algorithm the playground can train, and all the app knows of it."""

    id: str
    title: str
    description: str
    """One line for a learner: the idea, not the maths."""
    obs_kinds: frozenset[SpaceKind]
    action_kinds: frozenset[SpaceKind]
    schema: Schema
    entry_point: str
    """``"module:attribute"`` of its :class:`Algorithm`, imported on first use (may import torch)."""
    checkpoint_file: str = "model.zip"
    """The checkpoint's file name in a run folder; its suffix is the format (SB3's zip, tabular agents' npz)."""
    check: CheckFn | None = None
    """Rules across several hyperparameters (run by ``build_config`` before anything is built); torch-free."""
    export_class: str | None = None
    """stable_baselines3's class the exported script and Zoo YAML entry use (``"PPO"``); None: not exportable."""
    export_note: str = ""
    """Why it does not export (when ``export_class`` is None), in words for a learner; empty: it is the playground's
    own agent."""

    @cached_property
    def algorithm(self) -> Algorithm:
        """The entry point, imported now; ValueError naming the entry point if it cannot be."""
        module_name, _, attribute = self.entry_point.partition(":")
        try:
            return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]
        except (ImportError, AttributeError) as error:
            raise ValueError(f"algorithm {self.id!r}: entry point {self.entry_point!r} fails: {error}") from None

    def build(self, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> Model:
        return self.algorithm.build(env_fn, values, seed)

    def restore(self, path: Path, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> Model:
        """Load a checkpoint written by this app's run code (never a user's file: loading may unpickle)."""
        return self.algorithm.load(path, env_fn, values, seed)

    def save(self, model: Any, path: Path) -> None:
        self.algorithm.save(model, path)

    def optimizers(self, model: Any) -> list[Any]:
        return self.algorithm.optimizers(model)

    def state_values(self, model: Any, observations: np.ndarray) -> StateValues | None:
        """Values and greedy actions of ``observations`` (shape (N, *obs_shape)); see :class:`StateValues`."""
        return self.algorithm.state_values(model, observations)

    def boundary(self) -> UpdateBoundary | None:
        return self.algorithm.boundary()

    @property
    def replay_buffer(self) -> ReplayBuffer | None:
        return self.algorithm.replay_buffer

    def parameters(self, model: Any) -> dict[str, int]:
        """Trainable parameters of ``model`` by part, as its algorithm names them (the cost meter's ``params``)."""
        return self.algorithm.parameters(model)

    def check_values(self, values: Mapping[str, Value], env: EnvInfo) -> None:
        """The algorithm's own :attr:`check`: HyperParamError (with the field at fault) if the values cannot train."""
        if self.check is not None:
            self.check(values, env)

    def supports(self, env: EnvInfo) -> bool:
        return env.action_kind in self.action_kinds and env.obs_kind in self.obs_kinds

    def incompatibility(self, env: EnvInfo) -> str | None:
        """Why this algorithm cannot train on ``env``, in words for a learner; None when it can."""
        if self.supports(env):
            return None
        if env.action_kind not in self.action_kinds:
            if env.action_kind == "box":
                why = (
                    f"{self.title} picks one of a few discrete actions, but {env.id} needs a continuous "
                    "action (a number in a range)."
                )
            else:
                why = f"{self.title} outputs continuous actions, but {env.id} has a discrete set of actions."
        else:
            why = (
                f"{self.title} keeps a table with one row per state, so it needs a small discrete state "
                f"space; {env.id} observes continuous numbers."
            )
        return f"{why} Try {_suggest(env)}."


ALGOS: dict[str, AlgoInfo] = {}


def register_algorithm(info: AlgoInfo) -> None:
    """Add an algorithm to the registry (like gymnasium's ``register``); ids are unique."""
    if info.id in ALGOS:
        raise ValueError(f"algorithm {info.id!r} is already registered")
    if info.entry_point.count(":") != 1:
        raise ValueError(f"algorithm {info.id!r}: entry_point must read 'module:attribute', not {info.entry_point!r}")
    ALGOS[info.id] = info


class UnknownAlgoError(ValueError):
    """An algorithm id the playground does not offer."""


def get_algo(algo_id: str) -> AlgoInfo:
    """Look up an algorithm, with an error that lists what exists."""
    _load_builtin()
    try:
        return ALGOS[algo_id]
    except KeyError:
        raise UnknownAlgoError(f"unknown algorithm {algo_id!r}; choose one of: {', '.join(ALGOS)}") from None


def algorithms() -> dict[str, AlgoInfo]:
    """All registered algorithms, in registration order."""
    _load_builtin()
    return ALGOS


def compatible_algos(env: EnvInfo) -> list[AlgoInfo]:
    """The algorithms that can train on ``env``."""
    return [a for a in algorithms().values() if a.supports(env)]


def _suggest(env: EnvInfo) -> str:
    names = [a.id for a in compatible_algos(env)]
    return " or ".join(names[:3]) if names else "another environment"


def _load_builtin() -> None:
    """Import the modules that register the built-in algorithms (deferred: they import this module).

    Importing a module again is only a lookup in ``sys.modules``.
    """
    for module in BUILTIN_REGISTRATIONS:
        importlib.import_module(module)
