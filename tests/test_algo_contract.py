"""The algorithm registry's contract: every registered algorithm provides each hook the app relies on.

A new algorithm registers one :class:`~agents.algos.registry.AlgoInfo`; these tests build it, train it a few steps,
save and load it and check its declarations, so a forgotten or misnamed hook fails here rather than silently in a
run (a pause that never acts, a checkpoint that cannot be read back, an export of the wrong class).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import stable_baselines3
import torch
from stable_baselines3.common.callbacks import BaseCallback

from agents.algos.registry import AlgoInfo, algorithms, register_algorithm
from agents.config.run_config import build_config
from agents.runs.run import make_training_env
from agents.storage.folder import RunFolder, checkpoint_timesteps
from envs.registry import ENVS, EnvInfo

HOOKS = ("build", "save", "load", "optimizers", "boundary", "parameters", "state_values")
TINY = {
    "n_steps": 16,
    "n_envs": 1,
    "batch_size": 16,
    "buffer_size": 500,
    "learning_starts": 10,
    "train_freq": 1,
    "net_arch": "32",
}
"""Overrides (where the algorithm has the parameter) that keep each contract check to a second."""
STEPS = 48


def _env_for(algo: AlgoInfo) -> EnvInfo:
    """The first registered env the algorithm trains on (the registry promises one for each)."""
    return next(env for env in ENVS.values() if algo.supports(env))


def _config(algo: AlgoInfo) -> Any:
    overrides = {name: value for name, value in TINY.items() if name in algo.schema.names}
    return build_config(_env_for(algo).id, algo.id, preset="defaults", overrides=overrides, timesteps=STEPS)


def _entropy_coefficient(model: Any) -> int:
    """SAC's learnt entropy coefficient: a single number its own optimizer trains, not a network's parameter."""
    return 1 if getattr(model, "ent_coef_optimizer", None) is not None else 0


def _optimizers_inside(model: Any) -> set[int]:
    """Every torch optimizer reachable from the model's attributes (two levels deep), found without its hook."""
    found: set[int] = set()
    for value in vars(model).values():
        for candidate in [value, *(vars(value).values() if hasattr(value, "__dict__") else ())]:
            if isinstance(candidate, torch.optim.Optimizer):
                found.add(id(candidate))
    return found


@pytest.mark.parametrize("algo_id", list(algorithms()))
def test_every_algorithm_builds_trains_saves_and_loads_through_its_hooks(algo_id: str, tmp_path: Path) -> None:
    algo = algorithms()[algo_id]
    implementation = algo.algorithm
    for hook in HOOKS:
        assert callable(getattr(implementation, hook, None)), f"{algo_id}'s entry point has no {hook}()"
    assert hasattr(implementation, "replay_buffer"), f"{algo_id} must say whether it keeps a replay buffer"

    config = _config(algo)
    env_fn = lambda: make_training_env(config)  # noqa: E731
    model = algo.build(env_fn, config.hyperparams, config.seed)
    model.learn(total_timesteps=STEPS)
    assert model.num_timesteps >= STEPS

    listed = algo.optimizers(model)
    assert all(isinstance(o, torch.optim.Optimizer) for o in listed)
    assert {id(o) for o in listed} == _optimizers_inside(model), (
        f"{algo_id}: optimizers() misses one, or names one twice"
    )
    counted = algo.parameters(model)  # the cost meter's params: what the optimizers train, by named part
    assert counted and all(isinstance(n, int) and n > 0 for n in counted.values()), counted
    if listed:
        trained = {id(p): p.numel() for o in listed for group in o.param_groups for p in group["params"]}
        trained_by_gradient = sum(trained.values()) - _entropy_coefficient(model)
        assert sum(counted.values()) == trained_by_gradient, f"{algo_id}: {counted} against {trained_by_gradient}"

    folder = RunFolder(tmp_path, "run")
    folder.save_checkpoint(model, algo)
    path = folder.checkpoint_path(algo.checkpoint_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == [algo.checkpoint_file], "the checkpoint has the declared name"
    assert checkpoint_timesteps(path) == model.num_timesteps

    loaded = algo.restore(path, env_fn, config.hyperparams, config.seed)
    assert loaded.num_timesteps == model.num_timesteps
    observations = np.stack([env_fn().reset(seed=s)[0] for s in range(5)])
    assert np.array_equal(
        model.predict(observations, deterministic=True)[0], loaded.predict(observations, deterministic=True)[0]
    )

    reading = algo.state_values(loaded, observations)  # value maps: None only where no state slice can exist
    assert reading is not None or _env_for(algo).obs_kind == "discrete", f"{algo_id} cannot read states"
    if reading is not None:
        greedy = np.asarray(loaded.predict(observations, deterministic=True)[0])
        assert np.allclose(reading.actions.reshape(greedy.shape), greedy), "the map's action is the greedy one"
        assert reading.values is None or reading.values.shape == (len(observations),)

    boundary = algo.boundary()
    if boundary is not None:
        assert isinstance(boundary, BaseCallback) and callable(boundary.rewind) and hasattr(boundary, "random_state")
        assert algo.boundary() is not boundary, "a fresh callback for each run"
    if implementation.replay_buffer is not None:
        assert implementation.replay_buffer.nbytes(model) > 0
    algo.check_values(config.hyperparams, _env_for(algo))  # its own defaults pass its own checks


@pytest.mark.parametrize("algo_id", list(algorithms()))
def test_every_algorithm_declares_what_it_exports_as(algo_id: str) -> None:
    algo = algorithms()[algo_id]
    assert algo.checkpoint_file and "/" not in algo.checkpoint_file and Path(algo.checkpoint_file).suffix
    if algo.export_class is not None:
        assert isinstance(getattr(stable_baselines3, algo.export_class, None), type), (
            f"{algo_id} exports as stable_baselines3.{algo.export_class}, which does not exist"
        )
        assert algo.export_class.lower() == algo.id, "RL Zoo's --algo id is the class name in lower case"


def test_an_entry_point_that_does_not_load_fails_loudly_naming_it() -> None:
    info = AlgoInfo(
        "ghost",
        "Ghost",
        "",
        frozenset(),
        frozenset(),
        next(iter(algorithms().values())).schema,
        "agents.algos.nowhere:GHOST",
    )
    with pytest.raises(ValueError, match=r"agents\.algos\.nowhere:GHOST"):
        info.build(lambda: None, {}, 0)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="module:attribute"):
        register_algorithm(AlgoInfo("ghost", "Ghost", "", frozenset(), frozenset(), info.schema, "no_colon"))


def test_listing_algorithms_and_checking_every_configuration_does_not_import_torch() -> None:
    """The registry's entry points load lazily: the pages that only choose and check need no torch.

    Run in a fresh interpreter (this one has imported torch long ago).
    """
    code = (
        "import sys\n"
        "from agents.algos.registry import algorithms\n"
        "from agents.config.run_config import build_config\n"
        "from agents.config.share import config_to_query\n"
        "from envs.registry import ENVS\n"
        "pairs = [(e, a) for a in algorithms().values() for e in ENVS.values() if a.supports(e)]\n"
        "for env, algo in pairs:\n"
        "    config_to_query(build_config(env.id, algo.id))\n"
        "heavy = sorted(m for m in ('torch', 'stable_baselines3') if m in sys.modules)\n"
        "print(len(pairs), heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-800:]
    count, heavy = done.stdout.strip().split(" ", 1)
    assert int(count) > 20 and heavy == "[]", f"imported {heavy}"
