"""Every environment with every stable-baselines3 algorithm that can train on it, a few hundred steps each.

Like SB3's own test suite: tiny networks and buffers, so the whole matrix runs in seconds, through the same
:class:`agents.runs.run.Run` the app uses (build, learn in a thread, record stats, end with a status).
"""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image

from agents.algos.registry import compatible_algos
from agents.config.run_config import RunConfig, build_config
from agents.runs.run import Run, RunStatus
from envs.registry import ENVS

SB3_IDS = ("ppo", "a2c", "dqn", "sac", "td3", "ddpg")
STEPS = 300
_OFF_POLICY = {"buffer_size": 500, "learning_starts": 50, "batch_size": 16, "n_envs": 1}
TINY: dict[str, dict[str, object]] = {
    "ppo": {"n_steps": 32, "batch_size": 32, "n_epochs": 2, "n_envs": 2},
    "a2c": {"n_steps": 8, "n_envs": 1},
    "dqn": {**_OFF_POLICY, "target_update_interval": 100},
    "sac": _OFF_POLICY,
    "td3": _OFF_POLICY,
    "ddpg": _OFF_POLICY,
}
"""Overrides that make each algorithm cheap: small rollouts, small buffers, an early first update."""

PAIRS = [(env.id, algo.id) for env in ENVS.values() for algo in compatible_algos(env) if algo.id in SB3_IDS]


def tiny_config(env_id: str, algo_id: str, timesteps: int = STEPS, **kwargs: object) -> RunConfig:
    overrides = {**TINY[algo_id], "net_arch": "32"}
    return build_config(env_id, algo_id, preset="defaults", overrides=overrides, timesteps=timesteps, **kwargs)


def train(config: RunConfig, *, record_episodes: bool = False, timeout: float = 60.0) -> Run:
    run = Run(config, record_episodes=record_episodes)
    run.start()
    assert run.join(timeout), f"{config.env_id}/{config.algo} still training after {timeout} s"
    return run


def test_the_matrix_covers_every_env_and_each_sb3_algorithm() -> None:
    assert {env_id for env_id, _ in PAIRS} == set(ENVS)
    assert {algo_id for _, algo_id in PAIRS} == set(SB3_IDS)


@pytest.mark.parametrize(("env_id", "algo_id"), PAIRS, ids=[f"{e}-{a}" for e, a in PAIRS])
def test_every_compatible_pair_trains_to_its_budget(env_id: str, algo_id: str) -> None:
    run = train(tiny_config(env_id, algo_id))
    snap = run.snapshot()
    assert run.status == RunStatus.FINISHED, run.error
    assert run.error == ""
    assert run.end_reason == "reached its step budget"
    assert STEPS <= snap.timesteps < STEPS + 64, "trains for its budget, and not much more"
    assert snap.progress == 1.0
    assert snap.elapsed_s > 0
    assert run.start_latency_s is not None and run.start_latency_s >= 0
    assert snap.evaluation is None, "without record_episodes nothing is rendered"
    counts = {len(snap.episode_steps), len(snap.episode_true_returns), len(snap.episode_lengths)}
    assert counts == {len(snap.episode_returns)}, "every episode list has one entry per episode"
    assert all(math.isfinite(r) for r in snap.episode_returns + snap.episode_true_returns)
    assert all(length > 0 for length in snap.episode_lengths)
    assert snap.episode_steps == sorted(snap.episode_steps) and all(s <= snap.timesteps for s in snap.episode_steps)
    if not run.config.shaping.to_dict():
        # (SB3's Monitor rounds its return to 6 decimals)
        assert snap.episode_returns == pytest.approx(snap.episode_true_returns, abs=1e-5), "no shaping: they agree"


@pytest.mark.parametrize(("env_id", "min_episodes"), [("CartPole-v1", 5), ("FrozenLake-v1", 5)])
def test_short_episode_envs_record_episodes(env_id: str, min_episodes: int) -> None:
    run = train(tiny_config(env_id, "dqn"))
    assert len(run.snapshot().episode_returns) >= min_episodes


def test_ppo_records_its_losses() -> None:
    run = train(tiny_config("CartPole-v1", "ppo"))
    losses = run.snapshot().losses
    assert "train/value_loss" in losses and "train/policy_gradient_loss" in losses
    assert all(math.isfinite(value) for series in losses.values() for _, value in series)


@pytest.mark.parametrize(("env_id", "algo_id"), [("CartPole-v1", "ppo"), ("Pendulum-v1", "ddpg")])
def test_recorded_run_produces_an_evaluation_gif(env_id: str, algo_id: str) -> None:
    run = train(tiny_config(env_id, algo_id), record_episodes=True)
    snap = run.snapshot()
    assert run.status == RunStatus.FINISHED, run.error
    evaluation = snap.evaluation
    assert evaluation is not None, "a recorded run shows its final policy"
    assert evaluation.step == snap.timesteps
    assert evaluation.length >= 1 and math.isfinite(evaluation.episode_return)
    assert evaluation.gif.startswith(b"GIF8")
    image = Image.open(io.BytesIO(evaluation.gif))
    assert image.format == "GIF"
    assert getattr(image, "n_frames", 1) >= 2, "an animation, not a still"
    assert image.width <= 320, "frames are shrunk to stay small on the wire"


def test_same_seed_gives_the_same_episodes() -> None:
    """Teachers rely on a preset making the same point twice."""
    first = train(tiny_config("CartPole-v1", "a2c", seed=5)).snapshot()
    second = train(tiny_config("CartPole-v1", "a2c", seed=5)).snapshot()
    assert first.episode_returns and first.episode_returns == second.episode_returns
