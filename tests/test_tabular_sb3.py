"""Tabular agents through stable-baselines3's surface: callbacks, logger, predict, save/load; and the app's
algorithm registry, run and headless trainer driving them like SB3 models."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import KVWriter, Logger
from stable_baselines3.common.monitor import Monitor

import envs  # noqa: F401  (registers GridWorld-v0)
from agents.algos.registry import algorithms, get_algo
from agents.algos.tabular import AGENTS, Learner, QLearning, Sarsa, TabularAgent, ValueIteration
from agents.config.run_config import build_config
from agents.runs.run import Run, RunStatus
from envs.gridworld import GridLayout
from envs.registry import ENVS

LEARNERS = ("q_learning", "sarsa", "expected_sarsa", "mc_control")
PLANNERS = ("value_iteration", "policy_iteration")


def grid(layout: GridLayout | str, monitor: bool = False) -> gym.Env:
    env = gym.make("GridWorld-v0", layout=layout)
    return Monitor(env) if monitor else env


# --- the SB3-shaped surface ---------------------------------------------------------------------------------


class Recorder(BaseCallback):
    """Records what the model tells a callback, and can stop training after ``stop_after`` steps."""

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.stop_after = stop_after
        self.events: list[str] = []
        self.episodes: list[dict[str, Any]] = []
        self.seen_locals: set[str] = set()

    def _on_training_start(self) -> None:
        self.events.append("start")

    def _on_training_end(self) -> None:
        self.events.append("end")

    def _on_step(self) -> bool:
        self.seen_locals |= set(self.locals)
        assert self.num_timesteps == self.model.num_timesteps
        self.episodes += [info["episode"] for info in self.locals["infos"] if "episode" in info]
        return self.stop_after is None or self.n_calls < self.stop_after


@pytest.mark.parametrize("algo", LEARNERS)
def test_learners_honour_sb3_callbacks_with_monitor_episodes(algo: str) -> None:
    agent = AGENTS[algo](grid("4x3", monitor=True), seed=0)
    first, second = Recorder(), Recorder()
    agent.learn(1500, callback=[first, second])
    for recorder in (first, second):
        assert recorder.events == ["start", "end"]
        assert recorder.n_calls == 1500 == agent.num_timesteps
        assert {"infos", "dones", "rewards", "new_obs", "actions"} <= recorder.seen_locals
        assert [e["r"] for e in recorder.episodes] == pytest.approx(agent.episode_returns)
        assert [e["l"] for e in recorder.episodes] == agent.episode_lengths


@pytest.mark.parametrize("algo", LEARNERS + PLANNERS)
def test_a_callback_returning_false_stops_learning(algo: str) -> None:
    agent = AGENTS[algo](grid("4x3", monitor=True), seed=0)
    recorder = Recorder(stop_after=7)
    agent.learn(100_000, callback=recorder)
    assert recorder.n_calls == 7 and recorder.events == ["start", "end"]
    per_call = agent.n_states if algo in PLANNERS else 1
    assert agent.num_timesteps == 7 * per_call


@pytest.mark.parametrize("algo", PLANNERS)
def test_planners_report_one_greedy_episode_per_sweep(algo: str) -> None:
    agent = AGENTS[algo](grid("4x3", monitor=True), seed=0)
    recorder = Recorder()
    agent.learn(12 * 30, callback=recorder)
    assert recorder.n_calls == 30 and agent.num_timesteps == 360
    assert len(recorder.episodes) == 30 == len(agent.episode_returns)


def test_none_and_plain_functions_are_accepted_as_callbacks() -> None:
    calls: list[int] = []

    def on_step(locals_: dict[str, Any], globals_: dict[str, Any]) -> bool:
        calls.append(1)
        return len(calls) < 5

    agent = QLearning(grid("4x3", monitor=True), seed=0)
    agent.learn(50, callback=None)
    assert agent.num_timesteps == 50
    agent.learn(50, callback=on_step)
    assert len(calls) == 5 and agent.num_timesteps == 5


def test_reset_num_timesteps_false_continues_the_count() -> None:
    agent = QLearning(grid("4x3", monitor=True), seed=0)
    agent.learn(100)
    agent.learn(100, reset_num_timesteps=False)
    assert agent.num_timesteps == 200 and agent.schedule_timesteps == 200


class Capture(KVWriter):
    def __init__(self) -> None:
        self.rows: list[tuple[int, dict[str, Any]]] = []

    def write(self, key_values: dict[str, Any], key_excluded: dict[str, Any], step: int = 0) -> None:
        self.rows.append((step, dict(key_values)))


@pytest.mark.parametrize(
    ("algo", "keys"), [("q_learning", {"train/epsilon", "train/td_error"}), ("value_iteration", {"train/delta"})]
)
def test_learning_logs_train_values_at_episode_ends(algo: str, keys: set[str]) -> None:
    capture = Capture()
    agent = AGENTS[algo](grid("4x3", monitor=True), seed=0)
    agent.set_logger(Logger(folder=None, output_formats=[capture]))
    agent.learn(600)
    assert capture.rows, "something was logged"
    assert all(keys <= set(values) for _, values in capture.rows)
    steps = [step for step, _ in capture.rows]
    assert steps == sorted(steps) and steps[-1] <= agent.num_timesteps
    assert len(capture.rows) == len(agent.episode_returns)


@pytest.mark.parametrize("algo", LEARNERS + PLANNERS)
def test_predict_returns_actions_shaped_like_sb3s(algo: str) -> None:
    agent = AGENTS[algo](grid("4x3"), seed=0)
    agent.learn(300)
    greedy = agent.greedy_policy()
    action, state = agent.predict(8, deterministic=True)
    assert state is None and action.shape == () and int(action) == greedy[8]
    actions, _ = agent.predict(np.array([0, 8, 11]), deterministic=True)
    assert actions.shape == (3,) and list(actions) == [greedy[0], greedy[8], greedy[11]]
    assert agent.predict(np.int64(2))[0].shape == ()
    with pytest.raises(ValueError, match="outside"):
        agent.predict(12)
    with pytest.raises(ValueError, match="whole-number"):
        agent.predict(np.array([0.5]))


@pytest.mark.parametrize("algo", LEARNERS + PLANNERS)
def test_save_and_load_round_trip_without_pickle(algo: str, tmp_path: Any) -> None:
    agent = AGENTS[algo](grid("4x3"), seed=0)
    agent.learn(500)
    agent.save(tmp_path / "agent")
    saved = tmp_path / "agent.npz"
    with np.load(saved, allow_pickle=False) as data:  # plain arrays: loading runs no code
        assert json.loads(str(data["meta"]))["algo"] == algo
    loaded = TabularAgent.load(saved)
    assert type(loaded) is type(agent) and loaded.hyperparams == agent.hyperparams
    assert loaded.num_timesteps == agent.num_timesteps and loaded.get_env() is None
    states = np.arange(12)
    assert np.array_equal(loaded.predict(states, deterministic=True)[0], agent.predict(states, deterministic=True)[0])
    assert np.array_equal(loaded.state_values(), agent.state_values())
    with pytest.raises(RuntimeError, match="no environment"):
        loaded.step()
    loaded.set_env(grid("4x3"))
    assert np.allclose(loaded.q_table, agent.q_table)
    loaded.step()


def test_load_refuses_another_algorithms_file(tmp_path: Any) -> None:
    QLearning(grid("4x3")).save(tmp_path / "q.npz")
    with pytest.raises(ValueError, match="holds a 'q_learning' agent, not a sarsa one"):
        Sarsa.load(tmp_path / "q.npz")
    assert isinstance(Learner.load(tmp_path / "q.npz", env=grid("4x3")), QLearning)


def test_agents_refuse_continuous_observations() -> None:
    with pytest.raises(ValueError, match="discrete states and actions"):
        QLearning(gym.make("CartPole-v1"))


# --- the algorithm registry, the run and the headless trainer ----------------------------------------------


def test_the_six_tabular_algorithms_are_registered_for_discrete_envs() -> None:
    tabular = {a.id: a for a in algorithms().values() if a.entry_point.startswith("agents.algos.tabular.")}
    assert set(tabular) == set(LEARNERS + PLANNERS)
    for info in tabular.values():
        assert info.description and info.title
        assert all(p.help for p in info.schema)
        for env in ENVS.values():
            assert info.supports(env) == (env.obs_kind == "discrete")
    for algo in LEARNERS:
        names = get_algo(algo).schema.names
        assert set(names) == {
            "learning_rate",
            "gamma",
            "exploration_initial_eps",
            "exploration_final_eps",
            "exploration_fraction",
        }
    assert get_algo("value_iteration").schema.names == ("gamma", "theta")
    assert get_algo("policy_iteration").schema.names == ("gamma", "theta", "evaluation_sweeps")


def test_gridworld_is_in_the_env_registry_and_solvable_by_its_default_algorithm() -> None:
    info = ENVS["GridWorld-v0"]
    assert (info.obs_kind, info.action_kind, info.default_algo) == ("discrete", "discrete", "q_learning")
    planner = ValueIteration(info.make(), gamma=1.0)
    while not planner.step().converged:
        pass
    best = planner.state_values()[8]
    assert info.solved_threshold is not None and info.solved_threshold < best


DISCRETE_ENVS = [env.id for env in ENVS.values() if env.obs_kind == "discrete"]


@pytest.mark.parametrize("algo", LEARNERS + PLANNERS)
@pytest.mark.parametrize("env_id", DISCRETE_ENVS)
def test_every_tabular_algorithm_trains_on_every_discrete_env_through_the_run(env_id: str, algo: str) -> None:
    config = build_config(env_id, algo, timesteps=3000, seed=1)
    run = Run(config, record_episodes=env_id == "GridWorld-v0")
    run.start()
    assert run.join(60)
    assert run.status == RunStatus.FINISHED, run.error
    snap = run.snapshot()
    assert snap.timesteps >= 3000 and snap.episode_returns
    expected = "train/delta" if algo in PLANNERS else "train/epsilon"
    assert expected in snap.losses
    if env_id == "GridWorld-v0":
        assert snap.evaluation is not None and snap.evaluation.gif.startswith(b"GIF")


def test_the_headless_trainer_runs_a_tabular_algorithm(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    from agents.train import main

    argv = ["--env", "CliffWalking-v1", "--algo", "q_learning", "--timesteps", "5000", "--quiet"]
    code = main([*argv, "--runs-dir", str(tmp_path)])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["status"] == "finished" and result["algo"] == "q_learning" and result["timesteps"] == 5000
    assert result["episodes"] > 0


def test_tabular_algorithms_are_found_after_sb3_algos_was_imported_first() -> None:
    """The app (and the exporter) import ``agents.algos.sb3.algorithm`` directly; the registry must still hold the
    tabular agents. Checked in a fresh interpreter, where nothing is registered yet."""
    code = (
        "import agents.algos.sb3.algorithm\n"
        "from agents.algos.registry import algorithms, get_algo\n"
        "assert get_algo('q_learning').checkpoint_file == 'model.npz'\n"
        "print(len(algorithms()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == str(len(algorithms()))


def test_the_headless_trainer_solves_gridworld_with_value_iteration(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from agents.train import main

    assert main(["--env", "GridWorld-v0", "--algo", "value_iteration", "--quiet", "--runs-dir", str(tmp_path)]) == 0
    assert (next(tmp_path.iterdir()) / "model.npz").exists(), "the run keeps a tabular checkpoint"
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["end_reason"] == "solved" and result["mean_true_return_last20"] >= 0.6
