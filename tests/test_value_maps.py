"""Value and policy maps: the env's state slices, each algorithm's reading of a state on hand-built networks whose
value and greedy action are known functions of the state, the episode's path on the slice, and the worker that
sends a map with each evaluation clip, of the clip's step."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import DQN, PPO, SAC

from agents.algos.registry import get_algo
from agents.config.run_config import build_config
from agents.runs.control import RunControl
from agents.runs.eval_streams import evaluation_seed
from agents.runs.events import CollectingSink, Evaluated
from agents.runs.live import EvalSchedule
from agents.runs.training import TrainJob, train
from agents.runs.value_map import MAX_PATH_POINTS, ValueMap, map_policy, path_on_slice
from envs.registry import ENVS
from envs.state_slice import ACROBOT, MOUNTAIN_CAR, PENDULUM

SLICED = [env for env in ENVS.values() if env.state_slice is not None]
POINTS = 41


def _set(layer: torch.nn.Module, weight: list[list[float]], bias: list[float]) -> None:
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))  # type: ignore[operator]
        layer.bias.copy_(torch.tensor(bias))  # type: ignore[operator]


def _grid(state_slice: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grid's x and y per point, shape (P, P) each, as the map lays them out, and its observations."""
    xs, ys, observations = state_slice.grid_observations(POINTS)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return grid_x, grid_y, observations


# --- the envs' slices ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", SLICED, ids=lambda env: env.id)
def test_each_slice_round_trips_grid_points_through_observations_the_env_accepts(env: Any) -> None:
    state_slice = env.state_slice
    grid_x, grid_y, observations = _grid(state_slice)
    space = env.make().observation_space
    assert observations.shape == (POINTS * POINTS, *space.shape) and observations.dtype == np.float32
    assert all(space.contains(obs) for obs in observations[:: POINTS + 1]), "the grid's states are observations"
    back = state_slice.project(observations)
    np.testing.assert_allclose(back[:, 0], grid_x.reshape(-1), atol=1e-5)
    np.testing.assert_allclose(back[:, 1], grid_y.reshape(-1), atol=1e-5)
    mapped = {axis.index for axis in (state_slice.x, state_slice.y) if axis.angle_of is None}
    mapped |= {i for axis in (state_slice.x, state_slice.y) if axis.angle_of for i in axis.angle_of}
    held = [i for i in range(space.shape[0]) if i not in mapped]
    assert np.all(observations[:, held] == np.asarray(state_slice.rest, dtype=np.float32)[held]), "the rest is held"
    assert state_slice.name and state_slice.x.unit and state_slice.y.unit


def test_slices_that_hold_part_of_the_state_say_so_and_the_rest_have_none() -> None:
    assert "at rest in the centre" in ENVS["CartPole-v1"].state_slice.name  # type: ignore[union-attr]
    assert ENVS["FixedHorizonCartPole-v0"].state_slice == ENVS["CartPole-v1"].state_slice
    assert "at rest" in ACROBOT.name and "angular velocities 0" in ACROBOT.name
    assert MOUNTAIN_CAR.name == "position × velocity"
    assert all(ENVS[e].state_slice is None for e in ("FrozenLake-v1", "CliffWalking-v1", "Taxi-v4", "GridWorld-v0"))


def test_a_real_pendulum_state_projects_to_its_angle_and_velocity() -> None:
    env = gym.make("Pendulum-v1")
    obs, _ = env.reset(seed=3)
    theta, theta_dot = env.unwrapped.state  # type: ignore[attr-defined]
    wrapped = (theta + np.pi) % (2 * np.pi) - np.pi
    np.testing.assert_allclose(PENDULUM.project(obs[None])[0], [wrapped, theta_dot], atol=1e-5)


def test_a_path_is_bounded_keeps_its_ends_and_breaks_where_an_angle_wraps() -> None:
    angles = np.linspace(0.0, 4 * np.pi, 1001)  # two turns: wraps at π and 3π
    observations = np.stack([np.cos(angles), np.sin(angles), np.ones_like(angles)], axis=1)
    path = path_on_slice(PENDULUM, observations)
    breaks = np.isnan(path[:, 0])
    assert breaks.sum() == 2 and len(path) - breaks.sum() <= MAX_PATH_POINTS
    np.testing.assert_allclose(path[0], [0.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(path[-1], PENDULUM.project(observations[-1:])[0], atol=1e-6)
    assert np.all(np.abs(np.diff(path[~breaks][:, 0])) < np.pi) or breaks.any()
    straight = path_on_slice(MOUNTAIN_CAR, np.zeros((50, 2)))
    assert straight.shape == (50, 2) and not np.isnan(straight).any(), "every step of a short episode is kept"


# --- each algorithm's reading, on networks whose answers are known ----------------------------------------


def test_ppo_maps_the_critics_v_and_the_most_likely_action() -> None:
    model = PPO("MlpPolicy", gym.make("MountainCar-v0"), policy_kwargs={"net_arch": []}, device="cpu")
    _set(model.policy.value_net, [[2.0, 30.0]], [-1.0])  # V(s) = 2 position + 30 velocity - 1
    _set(model.policy.action_net, [[0.0, -100.0], [0.0, 0.0], [0.0, 100.0]], [0.0, 0.5, 0.0])
    value_map = _map("ppo", model, MOUNTAIN_CAR)
    grid_x, grid_y, _ = _grid(MOUNTAIN_CAR)
    assert value_map.value_name == "V(s)" and value_map.discrete
    np.testing.assert_allclose(value_map.values, 2 * grid_x + 30 * grid_y - 1, atol=1e-5)
    logits = np.stack([-100 * grid_y, np.full_like(grid_y, 0.5), 100 * grid_y])
    assert np.array_equal(value_map.actions, logits.argmax(axis=0)), "accelerate with the velocity, coast near 0"
    assert set(np.unique(value_map.actions)) == {0, 1, 2}


def test_dqn_maps_the_largest_q_value_and_its_action() -> None:
    model = DQN("MlpPolicy", gym.make("MountainCar-v0"), policy_kwargs={"net_arch": []}, device="cpu")
    weights, bias = np.array([[1.0, 0.0], [0.0, 10.0], [-1.0, 0.0]]), np.array([0.0, 0.1234, 0.0])
    _set(model.policy.q_net.q_net[0], weights.tolist(), bias.tolist())
    value_map = _map("dqn", model, MOUNTAIN_CAR)
    grid_x, grid_y, _ = _grid(MOUNTAIN_CAR)
    q_values = np.einsum("ak,kij->aij", weights, np.stack([grid_x, grid_y])) + bias[:, None, None]
    assert value_map.value_name == "max_a Q(s, a)"
    np.testing.assert_allclose(value_map.values, q_values.max(axis=0), atol=1e-5)
    assert np.array_equal(value_map.actions, q_values.argmax(axis=0))


def test_sac_maps_the_smaller_critic_at_the_actors_deterministic_action_in_the_envs_units() -> None:
    model = SAC("MlpPolicy", gym.make("Pendulum-v1"), policy_kwargs={"net_arch": []}, device="cpu")
    _set(model.policy.actor.mu, [[0.0, 0.0, 0.0]], [0.5])  # μ(s) = tanh(0.5) in [-1, 1], 2 tanh(0.5) N·m
    _set(model.policy.critic.qf0[0], [[0.0, 0.0, 1.0, 4.0]], [0.0])  # Q0 = θ̇ + 4 a
    _set(model.policy.critic.qf1[0], [[0.0, 0.0, -1.0, 4.0]], [0.0])  # Q1 = -θ̇ + 4 a
    value_map = _map("sac", model, PENDULUM)
    _, grid_y, _ = _grid(PENDULUM)
    scaled = np.tanh(0.5)
    assert value_map.value_name == "Q(s, μ(s))" and not value_map.discrete
    np.testing.assert_allclose(value_map.values, -np.abs(grid_y) + 4 * scaled, atol=1e-4)
    np.testing.assert_allclose(value_map.actions, np.full((POINTS, POINTS), 2 * scaled), atol=1e-5)
    assert value_map.action_range == (-2.0, 2.0), "Pendulum's torque bounds, for a colour scale fixed in N·m"


def test_grpo_has_no_values_and_maps_its_most_likely_action() -> None:
    config = build_config("Acrobot-v1", "grpo", timesteps=64)
    model = config.algo_info.build(lambda: gym.make("Acrobot-v1"), config.hyperparams, 0)
    _set(model.policy.action_net, np.zeros_like(model.policy.action_net.weight.detach().numpy()).tolist(), [0, 1, 0])
    generator_state = model.policy.generator.get_state()
    value_map = _map("grpo", model, ACROBOT)
    assert value_map.values is None and value_map.value_name == ""
    assert np.all(value_map.actions == 1), "no torque, everywhere"
    assert torch.equal(model.policy.generator.get_state(), generator_state), "mapping draws nothing"


def test_a_tabular_agent_has_no_map() -> None:
    config = build_config("FrozenLake-v1", "q_learning", timesteps=64)
    model = config.algo_info.build(config.env_info.make, config.hyperparams, 0)
    assert map_policy(config.algo_info, model, MOUNTAIN_CAR, [], step=0, index=1) is None


def _map(algo_id: str, model: Any, state_slice: Any) -> ValueMap:
    value_map = map_policy(get_algo(algo_id), model, state_slice, [], step=7, index=1)
    assert value_map is not None and value_map.step == 7 and value_map.actions.shape == (POINTS, POINTS)
    return value_map


# --- the worker ---------------------------------------------------------------------------------------------


def _train(env_id: str, **job: Any) -> CollectingSink:
    overrides = {"n_steps": 64, "batch_size": 64, "n_epochs": 1, "net_arch": "32"}
    config = build_config(env_id, "ppo", preset="defaults", overrides=overrides, timesteps=640)
    schedule = EvalSchedule(min_interval_s=1e9, first_after_s=0.0)  # the first clip and the final one
    sink = CollectingSink()
    train(TrainJob("20261130-000000-abcdef", config, eval_schedule=schedule, **job), RunControl(), sink)
    return sink


def test_the_worker_sends_a_map_with_each_clip_of_the_clips_step_and_path() -> None:
    sink = _train("MountainCar-v0")
    clips = {event.result.index: event for event in sink.of_type(Evaluated)}
    maps = sink.of_type(ValueMap)
    assert len(maps) == len(clips) == 2
    for value_map in maps:
        clip = clips[value_map.index].result
        assert value_map.step == clip.step, "the map and the clip are of the same weights"
        assert sink.events.index(value_map) < sink.events.index(clips[value_map.index]), "the map comes first"
        start, _ = gym.make("MountainCar-v0").reset(seed=evaluation_seed(0, value_map.index))
        np.testing.assert_allclose(value_map.path[0], start, atol=1e-6)
        assert len(value_map.path) == min(clip.length + 1, MAX_PATH_POINTS)
        assert value_map.values is not None and np.isfinite(value_map.values).all()


@pytest.mark.parametrize(("env_id", "job"), [("FrozenLake-v1", {}), ("MountainCar-v0", {"value_maps": False})])
def test_no_map_without_a_slice_or_when_turned_off(env_id: str, job: dict[str, Any]) -> None:
    sink = _train(env_id, **job)
    assert sink.of_type(Evaluated) and not sink.of_type(ValueMap)
