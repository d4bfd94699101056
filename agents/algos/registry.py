"""The algorithm registry: which learners exist, what they apply to, and how to build one.

Ids are RL Baselines3 Zoo's lowercase ones (``ppo``, ``dqn``, ...). Each entry carries its hyperparameter
:class:`~agents.config.schema.Schema` and a ``build`` function, so stable-baselines3's algorithms and the
playground's own tabular agents are started the same way by the run, the CLI and the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import gymnasium as gym

from agents.config.schema import Schema, Value
from envs.registry import EnvInfo, SpaceKind

EnvFactory = Callable[[], gym.Env]


class Model(Protocol):
    """What the run needs from a learner: SB3's ``BaseAlgorithm`` surface, which tabular agents mimic."""

    num_timesteps: int

    def learn(self, total_timesteps: int, callback: Any = ..., **kwargs: Any) -> Any: ...

    def predict(
        self, observation: Any, state: Any = ..., episode_start: Any = ..., deterministic: bool = ...
    ) -> Any: ...

    def save(self, path: Any) -> None: ...


BuildFn = Callable[[EnvFactory, Mapping[str, Value], int], Model]
LoadFn = Callable[[Path, EnvFactory, Mapping[str, Value], int], Model]


@dataclass(frozen=True)
class AlgoInfo:
    """One algorithm the playground can train."""

    id: str
    title: str
    description: str
    """One line for a learner: the idea, not the maths."""
    family: Literal["sb3", "tabular"]
    obs_kinds: frozenset[SpaceKind]
    action_kinds: frozenset[SpaceKind]
    schema: Schema
    build: BuildFn
    """Build a model on fresh environments made by the factory, with checked hyperparameters and a seed."""
    load: LoadFn | None = None
    """Rebuild a model from a checkpoint the app saved itself, on fresh environments (to resume a run)."""

    def restore(self, path: Path, env_fn: EnvFactory, values: Mapping[str, Value], seed: int) -> Model:
        """Load a checkpoint written by this app's run code (never a user's file: loading may unpickle)."""
        if self.load is not None:
            return self.load(path, env_fn, values, seed)
        if self.family == "tabular":  # plain arrays and JSON, one class method for every tabular agent
            from agents.algos.tabular.base import TabularAgent

            return TabularAgent.load(path, env=env_fn())
        raise ValueError(f"{self.title} runs cannot be resumed from a checkpoint")

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
    """Import the modules that register the built-in algorithms (deferred to avoid import cycles).

    Not guarded by ``if not ALGOS``: a module that imports ``agents.algos.sb3.algorithm`` directly (the app, the
    exporter) fills the registry with SB3's algorithms first, and the tabular ones must still be added. Importing a
    module again is only a lookup in ``sys.modules``.
    """
    import agents.algos.sb3.algorithm  # both modules register their algorithms on import
    import agents.algos.tabular.registry  # noqa: F401
