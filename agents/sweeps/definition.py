"""A sweep's definition: an env and algorithm, search spaces, grid or random search, trials times seeds.

A definition reproduces its trials exactly: a grid is the product of its spaces' values in order, and random
search draws from ``numpy.random.default_rng(sweep_seed)``, so the same definition (from the CLI, the page or a
link) always gives the same configurations. Each trial is an ordinary :class:`~agents.config.run_config.RunConfig`
per seed (seeds 0..N-1, as the Train page's *Run N seeds*), built through
:func:`~agents.config.run_config.build_config`, so everything a run refuses, a sweep refuses too, before any
trial starts. So does a sweep larger than the server's :data:`~agents.config.limits.MAX_SWEEP_RUNS`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from agents.algos.registry import get_algo
from agents.config.fields import MAX_SEED, TIMESTEPS
from agents.config.limits import MAX_SWEEP_RUNS
from agents.config.run_config import ConfigError, RunConfig, build_config, seed_configs
from agents.config.schema import HyperParam, HyperParamError, Schema, Value, format_value
from agents.sweeps.space import ParamSpace

Method = Literal["grid", "random"]
METHODS: tuple[Method, ...] = ("grid", "random")

TRIALS = HyperParam("trials", "int", 8, "Random search: how many configurations to draw.", low=1, high=MAX_SWEEP_RUNS)
SEEDS = HyperParam(
    "seeds", "int", 2, "Seeds (0, 1, ...) each configuration trains with; its metric is their mean.", low=1, high=10
)
GRID_POINTS = HyperParam(
    "points", "int", 3, "Grid search: how many evenly spaced values each range takes.", low=2, high=10
)
SWEEP_SEED = HyperParam(
    "sweep_seed", "int", 0, "Random search: the seed of the draws (same seed, same trials).", low=0, high=MAX_SEED
)
SWEEP_FIELDS = Schema((TRIALS, SEEDS, GRID_POINTS, SWEEP_SEED))
"""The sweep-level fields, each bounded like a hyperparameter."""


class SweepError(ValueError):
    """A sweep that cannot start; the message says what to change, ``field`` which setting is at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Trial:
    """One configuration of a sweep: its values of the searched parameters, and a run configuration per seed."""

    index: int
    params: dict[str, Value]
    configs: tuple[RunConfig, ...]

    def label(self) -> str:
        """``learning_rate 0.001, n_epochs 4``."""
        return ", ".join(f"{name} {format_value(value)}" for name, value in self.params.items()) or "defaults"


@dataclass(frozen=True)
class SweepDefinition:
    """What a sweep searches and how; :meth:`trials` turns it into run configurations."""

    env_id: str
    algo: str
    spaces: tuple[ParamSpace, ...]
    method: Method = "random"
    trials: int = int(TRIALS.default)
    """Random search's number of configurations (a grid has as many as its points multiply to)."""
    seeds: int = int(SEEDS.default)
    points: int = int(GRID_POINTS.default)
    sweep_seed: int = 0
    preset: str | None = None
    """The preset the trials start from (None: the pair's default)."""
    timesteps: int | None = None
    """Each run's budget (None: the preset's)."""
    fixed: Mapping[str, Value] = field(default_factory=dict)
    """Hyperparameters set for every trial and not searched."""

    @property
    def searched(self) -> tuple[ParamSpace, ...]:
        """The spaces with more than one value (the table's and chart's columns)."""
        return tuple(space for space in self.spaces if not space.fixed)

    def trial_count(self) -> int:
        """How many configurations, computed without making them."""
        if self.method == "grid":
            return math.prod(space.grid_size(self.points) for space in self.spaces)
        return self.trials

    def run_count(self) -> int:
        return self.trial_count() * self.seeds

    def check_size(self, max_runs: int = MAX_SWEEP_RUNS) -> None:
        """Refuse (SweepError, field ``trials``) a sweep of more runs than the server allows."""
        trials, runs = self.trial_count(), self.run_count()
        if runs > max_runs:
            what = f"a grid of {trials}" if self.method == "grid" else str(trials)
            raise SweepError(
                f"This sweep asks for {runs} runs ({what} configurations times {_seeds(self.seeds)}) and this server "
                f"runs sweeps of at most {max_runs} (RL_PLAYGROUND_MAX_SWEEP_RUNS): search fewer values or use "
                "fewer seeds.",
                "trials",
            )

    def param_sets(self) -> list[dict[str, Value]]:
        """Each trial's values of the spaces, in order: the grid's product, or the seeded draws."""
        self.check_size()
        if self.method == "grid":
            grids = [space.grid(self.points) for space in self.spaces]
            return [dict(zip((s.name for s in self.spaces), combo, strict=True)) for combo in itertools.product(*grids)]
        rng = np.random.default_rng(self.sweep_seed)
        return [{space.name: space.sample(rng) for space in self.spaces} for _ in range(self.trials)]

    def make_trials(self) -> list[Trial]:
        """Every trial's run configurations, each checked as a run from the Train page is; SweepError names the
        first trial that cannot run and why."""
        return [self.make_trial(index, params) for index, params in enumerate(self.param_sets())]

    def make_trial(self, index: int, params: dict[str, Value]) -> Trial:
        """Trial ``index`` (from 0) with these values of the spaces: a run configuration per seed, checked as a run
        from the Train page is; SweepError says why the trial cannot run."""
        try:
            base = build_config(
                self.env_id, self.algo, preset=self.preset, overrides={**self.fixed, **params}, timesteps=self.timesteps
            )
        except ConfigError as error:
            shown = ", ".join(f"{k}={format_value(v)}" for k, v in params.items())
            raise SweepError(f"trial {index + 1} ({shown}) cannot run: {error}", error.field) from None
        return Trial(index, params, tuple(seed_configs(base, self.seeds)))

    def describe(self) -> str:
        """One line: ``random search, 8 trials x 2 seeds over learning_rate, n_epochs``."""
        names = ", ".join(space.name for space in self.searched) or "nothing"
        return f"{self.method} search, {self.trial_count()} trials x {_seeds(self.seeds)} over {names}"


def make_definition(
    env_id: str,
    algo: str,
    spaces: list[ParamSpace],
    *,
    method: str = "random",
    trials: object = TRIALS.default,
    seeds: object = SEEDS.default,
    points: object = GRID_POINTS.default,
    sweep_seed: object = 0,
    preset: str | None = None,
    timesteps: object | None = None,
    fixed: Mapping[str, object] | None = None,
) -> SweepDefinition:
    """Check untrusted sweep settings (the CLI, the page, a link) and build the definition; SweepError with one
    line (and the field at fault) otherwise. The env, algorithm, preset and fixed values are checked by building
    the first trial's configuration; the size against the server's limit."""
    if method not in METHODS:
        raise SweepError(f"method must be grid or random, not {method!r}", "method")
    if not spaces:
        raise SweepError("choose at least one hyperparameter to search", "params")
    try:
        raws = (trials, seeds, points, sweep_seed)
        values = {param.name: param.parse(raw) for param, raw in zip(SWEEP_FIELDS, raws, strict=True)}
        budget = None if timesteps is None else int(TIMESTEPS.parse(timesteps))
        schema = get_algo(algo).schema if _known_algo(algo) else None
        checked_fixed = {name: schema.get(name).parse(raw) for name, raw in (fixed or {}).items()} if schema else {}
    except HyperParamError as error:
        raise SweepError(str(error), error.field) from None
    names = [space.name for space in spaces] + list(checked_fixed)
    if len(set(names)) != len(names):
        raise SweepError(f"a hyperparameter is given twice: {', '.join(names)}", "params")
    checked_fixed.update({s.name: s.values[0] for s in spaces if s.fixed and s.values})  # one value: set, not searched
    spaces = [space for space in spaces if not (space.fixed and space.values)]
    if not spaces:
        raise SweepError("choose at least one hyperparameter to search with more than one value", "params")
    definition = SweepDefinition(
        env_id,
        algo,
        tuple(spaces),
        method,  # type: ignore[arg-type]
        int(values["trials"]),
        int(values["seeds"]),
        int(values["points"]),
        int(values["sweep_seed"]),
        preset,
        budget,
        checked_fixed,
    )
    definition.check_size()
    try:
        build_config(env_id, algo, preset=preset, overrides=checked_fixed, timesteps=budget)
    except ConfigError as error:
        raise SweepError(str(error), error.field) from None
    return definition


def _seeds(count: int) -> str:
    return f"{count} seed{'' if count == 1 else 's'}"


def _known_algo(algo: str) -> bool:
    try:
        get_algo(algo)
    except ValueError:
        return False
    return True
