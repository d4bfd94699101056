"""Watching never changes what is learned: evaluation episodes draw from random streams of their own."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from agents.config.run_config import build_config
from agents.runs.eval_streams import evaluation_seed, evaluation_streams
from agents.runs.run import Run, RunStatus
from agents.storage.store import RunStore
from tests.tiny import TINY
from tests.training_paths import EveryNthCall

EVERY = 25
"""Training steps (callback calls) between two evaluation episodes: far more often than a page ever plays them."""
CASES = [
    ("CartPole-v1", "ppo"),
    ("CartPole-v1", "dqn"),
    pytest.param("Pendulum-v1", "sac", marks=pytest.mark.slow),  # ~15 s: SAC's steps are the slowest
    ("FrozenLake-v1", "q_learning"),
    ("CartPole-v1", "grpo"),  # acts through predict: its policy's torch.Generator is swapped
]


Trained = tuple[dict[str, np.ndarray], list[float], int]


def _train(env_id: str, algo: str, tmp_path: Path, *, watched: bool) -> Trained:
    config = build_config(env_id, algo, preset="defaults", overrides=TINY[algo], seed=3, timesteps=400)
    run = Run(config, record_episodes=watched, store=RunStore(tmp_path / ("watched" if watched else "alone")))
    run.eval_schedule = EveryNthCall(EVERY)
    run.start()
    assert run.join(120) and run.status == RunStatus.FINISHED, run.error
    assert run.folder is not None  # the worker holds the model: its final checkpoint is what it learned
    info = config.algo_info
    model = info.restore(run.folder.checkpoint_path(info.checkpoint_file), config.env_info.make, config.hyperparams, 0)
    if hasattr(model, "policy"):
        weights = {k: v.detach().clone().numpy() for k, v in model.policy.state_dict().items()}
    else:
        weights = {"q": np.array(model.q, copy=True)}
    snap = run.snapshot()
    evaluations = snap.evaluation.index if snap.evaluation else 0
    return weights, snap.episode_returns, evaluations


@pytest.mark.parametrize(("env_id", "algo"), CASES)
def test_the_same_config_and_seed_learn_identical_weights_with_evaluation_on_and_off(
    env_id: str, algo: str, tmp_path: Path
) -> None:
    watched, watched_returns, evaluations = _train(env_id, algo, tmp_path, watched=True)
    alone, alone_returns, _ = _train(env_id, algo, tmp_path, watched=False)
    assert evaluations >= 5, "evaluation episodes really played in between"
    assert watched_returns == alone_returns
    assert watched.keys() == alone.keys()
    for key in watched:
        np.testing.assert_array_equal(watched[key], alone[key], err_msg=key)


def test_evaluation_streams_are_restored_and_their_own() -> None:
    class Model:
        def __init__(self) -> None:
            self.rng = np.random.default_rng(1)

    model = Model()
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    expected = (torch.rand(1).item(), np.random.rand(), random.random(), model.rng.random())
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    model.rng = np.random.default_rng(1)
    draws = []
    for _ in range(2):
        with evaluation_streams(model, run_seed=5, index=2):
            draws.append((torch.rand(1).item(), np.random.rand(), random.random(), model.rng.random()))
    assert (torch.rand(1).item(), np.random.rand(), random.random(), model.rng.random()) == expected
    assert draws[0] == draws[1], "evaluation 2 of a seed plays the same way every time"
    with evaluation_streams(model, run_seed=5, index=3):
        assert torch.rand(1).item() != draws[0][0]


def test_evaluation_env_seeds_differ_per_evaluation_and_per_run() -> None:
    seeds = {evaluation_seed(run_seed, index) for run_seed in range(3) for index in range(1, 50)}
    assert len(seeds) == 3 * 49
