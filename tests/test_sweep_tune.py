"""A sweep's search space as Ray Tune's (no cluster: building domains and snapping Tune's draws starts nothing).

The sweep on a real cluster, through Tune, is in :mod:`tests.ray_cases`."""

from __future__ import annotations

import numpy as np
import pytest
from ray import tune
from ray.tune.search.sample import Categorical, Float, Integer

from agents.algos.registry import get_algo
from agents.sweeps.definition import make_definition
from agents.sweeps.ray_tune import tune_space
from agents.sweeps.space import parse_space

SCHEMA = get_algo("ppo").schema


def _definition(method: str, **specs: str):  # type: ignore[no-untyped-def]
    spaces = [parse_space(SCHEMA.get(name), spec) for name, spec in specs.items()]
    return make_definition("CartPole-v1", "ppo", spaces, method=method, points=3, trials=6, seeds=1)


def test_random_search_maps_each_schema_space_to_the_tune_domain_a_ray_user_would_write() -> None:
    space = tune_space(_definition("random", learning_rate="1e-4:1e-2", n_steps="64:256", n_epochs="4,8,16"))
    lr, n_steps, n_epochs = space["learning_rate"], space["n_steps"], space["n_epochs"]
    assert isinstance(lr, Float) and isinstance(lr.sampler, Float._LogUniform)  # the schema's log flag
    assert (lr.lower, lr.upper) == (1e-4, 1e-2)
    assert isinstance(n_steps, Integer) and (n_steps.lower, n_steps.upper) == (64, 257)  # Tune's upper end excluded
    assert isinstance(n_epochs, Categorical) and n_epochs.categories == [4, 8, 16]


def test_a_grid_is_tune_grid_search_over_the_same_values_the_process_pool_would_run() -> None:
    definition = _definition("grid", learning_rate="1e-4:1e-2", n_epochs="4,8")
    space = tune_space(definition)
    assert space == {
        "learning_rate": tune.grid_search([0.0001, 0.001, 0.01]),
        "n_epochs": tune.grid_search([4, 8]),
    }


@pytest.mark.parametrize(("drawn", "kept"), [(0.00123456, 0.001235), (np.float64(0.5), 0.01), (1e-9, 0.0001)])
def test_a_value_tune_drew_is_rounded_and_kept_inside_the_range_as_the_sweeps_own_draws(
    drawn: float, kept: float
) -> None:
    assert parse_space(SCHEMA.get("learning_rate"), "1e-4:1e-2").snap(drawn) == kept


def test_a_value_outside_a_listed_space_is_refused() -> None:
    space = parse_space(SCHEMA.get("n_epochs"), "4,8")
    assert space.snap(np.int64(8)) == 8
    with pytest.raises(ValueError, match="n_epochs"):
        space.snap(5)
