"""Tabular agents: planning matches hand-computed values, learners find the optimal routes, the lab's lessons hold,
and the SB3-shaped surface (callbacks, logger, predict, save/load) lets the app's run code drive them."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import KVWriter, Logger
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.utils import LinearSchedule

import envs  # noqa: F401  (registers GridWorld-v0)
from agents.algorithms import algorithms, get_algo
from agents.config import build_config
from agents.run import Run, RunStatus
from agents.schema import HyperParamError
from agents.tabular import (
    AGENTS,
    ExpectedSarsa,
    Learner,
    MonteCarloControl,
    PolicyIteration,
    QLearning,
    Sarsa,
    TabularAgent,
    ValueIteration,
)
from agents.tabular.lessons import LESSONS, run_setup
from envs.gridworld import LAYOUTS, GridLayout, follow_policy
from envs.registry import ENVS

UP, RIGHT, DOWN, LEFT = range(4)
LEARNERS = ("q_learning", "sarsa", "expected_sarsa", "mc_control")
PLANNERS = ("value_iteration", "policy_iteration")
TOY_TEXT = {"FrozenLake-v1": {}, "CliffWalking-v1": {"max_episode_steps": 200}, "Taxi-v4": {}}


def grid(layout: GridLayout | str, monitor: bool = False) -> gym.Env:
    env = gym.make("GridWorld-v0", layout=layout)
    return Monitor(env) if monitor else env


def converge(agent: TabularAgent, limit: int = 100_000) -> TabularAgent:
    for _ in range(limit):
        if agent.step().converged:
            return agent
    raise AssertionError(f"{agent.title} did not converge")


# --- planning ----------------------------------------------------------------------------------------------


def test_value_iteration_matches_a_hand_computed_deterministic_corridor() -> None:
    # S . A  with A = +1 (terminal), -0.1 per step, γ = 0.9:
    #   V(middle) = -0.1 + 1 = 0.9;  V(start) = -0.1 + 0.9 × 0.9 = 0.71
    agent = converge(ValueIteration(grid("S.A~A1~step-0.1"), gamma=0.9, theta=1e-12))
    assert agent.state_values() == pytest.approx([0.71, 0.9, 0.0], abs=1e-6)
    assert list(agent.greedy_policy()[:2]) == [RIGHT, RIGHT]


def test_value_iteration_matches_a_hand_computed_slippery_step() -> None:
    # S A  with slip 0.2: moving right reaches A with 0.8; the sideways slips hit the edge and stay.
    #   V = 0.8 × (-0.1 + 1) + 0.2 × (-0.1 + 0.9 V)  =>  V = 0.70 / 0.82
    agent = converge(ValueIteration(grid("SA~A1~step-0.1~slip0.2"), gamma=0.9, theta=1e-12))
    assert agent.state_values()[0] == pytest.approx(0.70 / 0.82, abs=1e-6)
    assert agent.greedy_policy()[0] == RIGHT


def test_value_iteration_reproduces_russell_and_norvigs_4x3_utilities() -> None:
    """AIMA figure 17.3 (γ = 1), to the book's three decimals."""
    agent = converge(ValueIteration(grid("4x3"), gamma=1.0, theta=1e-10))
    book = [[0.812, 0.868, 0.918, 0.0], [0.762, 0.0, 0.660, 0.0], [0.705, 0.655, 0.611, 0.388]]
    assert agent.state_values().reshape(3, 4) == pytest.approx(np.array(book), abs=5e-4)
    assert follow_policy(LAYOUTS["4x3"], agent.greedy_policy()).exit == (3, 0), "up and round to +1"


@pytest.mark.parametrize("layout", ["4x3", "cliff", "four_rooms", "bridge", "discount", "reward_placement"])
def test_policy_iteration_and_value_iteration_agree(layout: str) -> None:
    vi = converge(ValueIteration(grid(layout), gamma=0.95, theta=1e-10))
    pi = converge(PolicyIteration(grid(layout), gamma=0.95, theta=1e-10))
    assert pi.state_values() == pytest.approx(vi.state_values(), abs=1e-6)
    q = vi.q_table
    chosen = q[np.arange(len(q)), pi.greedy_policy()]
    assert chosen == pytest.approx(q.max(axis=1), abs=1e-6), "policy iteration's actions are optimal too"


@pytest.mark.parametrize("env_id", list(TOY_TEXT))
def test_planners_use_the_toy_text_models_and_agree(env_id: str) -> None:
    vi = converge(ValueIteration(gym.make(env_id, **TOY_TEXT[env_id]), theta=1e-9))
    pi = converge(PolicyIteration(gym.make(env_id, **TOY_TEXT[env_id]), theta=1e-9))
    assert pi.state_values() == pytest.approx(vi.state_values(), abs=1e-5)


def test_policy_iteration_alternates_evaluation_and_improvement_and_stops_when_stable() -> None:
    agent = PolicyIteration(grid("4x3"), gamma=0.9, evaluation_sweeps=3)
    sweeps = [agent.step() for _ in range(8)]
    assert [s.phase for s in sweeps] == ["evaluate"] * 3 + ["improve"] + ["evaluate"] * 3 + ["improve"]
    assert sweeps[3].policy_changes > 0 and sweeps[3].delta == 0.0
    converge(agent)
    assert agent.converged and agent.step().policy_changes == 0


def test_a_bellman_backup_shows_the_sum_that_produced_each_value() -> None:
    for agent in (ValueIteration(grid("4x3"), gamma=0.9), PolicyIteration(grid("4x3"), gamma=0.9)):
        for _ in range(4):
            agent.step()
        values = agent.state_values()
        for state in range(agent.n_states):
            backup = agent.bellman_backup(state)
            assert backup.value == pytest.approx(values[state], abs=1e-12)
            for action in backup.actions:
                assert sum(t.probability for t in action.terms) == pytest.approx(1.0)
                assert sum(t.contribution for t in action.terms) == pytest.approx(action.value)
    start = ValueIteration(grid("4x3"), gamma=0.9)
    start.step()
    start.step()
    backup = start.bellman_backup(8)
    lines = backup.lines(["up", "right", "down", "left"])
    assert len(lines) == 4 and lines[0].startswith("up: 0.8×(-0.04 + 0.9×")
    assert sum("← chosen" in line for line in lines) == 1
    with pytest.raises(ValueError, match="outside"):
        start.bellman_backup(12)


class ModelFree(gym.Env):
    """Discrete spaces, but no published model ``P``."""

    observation_space = gym.spaces.Discrete(3)
    action_space = gym.spaces.Discrete(2)


def test_planners_need_a_model_and_say_so() -> None:
    with pytest.raises(ValueError, match="Value iteration plans with the environment's model, and ModelFree publishes"):
        ValueIteration(ModelFree())
    assert isinstance(QLearning(ModelFree()), QLearning), "learners do not need one"


def test_changing_gamma_between_sweeps_takes_effect_at_once() -> None:
    agent = converge(ValueIteration(grid("discount"), gamma=0.99))
    start = LAYOUTS["discount"].state_of(LAYOUTS["discount"].start)
    assert agent.greedy_policy()[start] == RIGHT
    agent.set_hyperparams(gamma=0.5)
    assert not agent.converged
    converge(agent)
    assert agent.greedy_policy()[start] == LEFT
    with pytest.raises(HyperParamError, match="gamma must be between 0 and 1"):
        agent.set_hyperparams(gamma=1.5)


def test_a_planner_replans_when_the_grid_is_edited() -> None:
    layout = LAYOUTS["corridor"]  # S...A
    agent = converge(ValueIteration(grid(layout), gamma=0.9))
    walled = layout.with_cell((2, 0), "wall")
    agent.set_env(grid(walled))
    converge(agent)
    assert follow_policy(walled, agent.greedy_policy()).exit is None
    assert agent.state_values()[0] == pytest.approx(-0.1 / (1 - 0.9), abs=1e-4), "no way out: -0.1 per step for ever"


# --- learning ----------------------------------------------------------------------------------------------


SMALL_DETERMINISTIC = {
    "corridor": LAYOUTS["corridor"],
    "maze": GridLayout.from_string("S.W.._..W.W_....._WW.W._....A~A1~step-0.04"),
    "4x3 without slip": replace(LAYOUTS["4x3"], slip=0.0),
}


@pytest.mark.parametrize("algo", LEARNERS)
@pytest.mark.parametrize("name", list(SMALL_DETERMINISTIC))
def test_learners_reach_the_optimal_policy_on_small_deterministic_layouts(algo: str, name: str) -> None:
    layout = SMALL_DETERMINISTIC[name]
    optimal = follow_policy(layout, converge(ValueIteration(grid(layout), gamma=0.99)).greedy_policy())
    learning_rate = 0.1 if algo == "mc_control" else 0.5
    for seed in (0, 1, 2):
        agent = AGENTS[algo](grid(layout), seed=seed, learning_rate=learning_rate, gamma=0.99)
        agent.learn(3000)
        route = follow_policy(layout, agent.greedy_policy())
        assert route.exit == optimal.exit and len(route.cells) == len(optimal.cells), f"seed {seed}: {route}"


def test_q_learning_update_by_hand() -> None:
    agent = QLearning(grid("corridor"), learning_rate=0.5, gamma=0.9)
    agent.q[2] = [0.0, 2.0, -1.0, 0.0]
    error = agent.update(1, RIGHT, -0.1, 2, False, False)
    assert error == pytest.approx(-0.1 + 0.9 * 2.0)  # target - Q(s, a) with Q(s, a) = 0
    assert agent.q[1, RIGHT] == pytest.approx(0.5 * (-0.1 + 1.8))
    agent.update(3, RIGHT, 0.9, 4, True, False)
    assert agent.q[3, RIGHT] == pytest.approx(0.45), "a terminal next state is worth nothing"


def test_expected_sarsa_update_by_hand() -> None:
    agent = ExpectedSarsa(grid("corridor"), learning_rate=1.0, gamma=1.0)
    agent.set_hyperparams(exploration_initial_eps=0.2, exploration_final_eps=0.2)
    agent.q[2] = [0.0, 4.0, 0.0, 0.0]
    agent.update(1, RIGHT, 0.0, 2, False, False)
    # π(right | 2) = 0.8 + 0.2 / 4; the other three 0.05 each.
    assert agent.q[1, RIGHT] == pytest.approx(0.85 * 4.0)


def test_sarsa_takes_the_next_action_it_learnt_from() -> None:
    agent = Sarsa(grid("4x3"), seed=3)
    agent.set_hyperparams(exploration_initial_eps=0.5, exploration_final_eps=0.5)
    for _ in range(300):
        before = agent.rng.bit_generator.state
        transition = agent.step()
        if not transition.done:
            committed = agent._next_action
            assert committed is not None
            assert agent.step().action == committed
        del before


def test_monte_carlo_first_visit_update_by_hand() -> None:
    agent = MonteCarloControl(grid("corridor"), learning_rate=1.0, gamma=0.5)
    agent.reset_episode()
    episode = [(0, RIGHT, 0.0, 1, False), (1, LEFT, 0.0, 0, False), (0, RIGHT, 0.0, 1, False), (1, RIGHT, 1.0, 2, True)]
    errors = [agent.update(s, a, r, s2, done, False) for s, a, r, s2, done in episode]
    assert errors[:3] == [0.0, 0.0, 0.0], "nothing is learnt before the episode ends"
    # Backwards: G = 1 at t=3; 0.5 at t=2 (not a first visit of (0, right)); 0.25 at t=1; 0.125 at t=0.
    assert agent.q[1, RIGHT] == 1.0
    assert agent.q[1, LEFT] == 0.25
    assert agent.q[0, RIGHT] == 0.125
    assert errors[3] == pytest.approx((1.0 + 0.25 + 0.125) / 3)


def test_epsilon_decays_like_stable_baselines3_dqn() -> None:
    agent = QLearning(grid("4x3"), exploration_initial_eps=1.0, exploration_final_eps=0.05, exploration_fraction=0.3)
    schedule = LinearSchedule(1.0, 0.05, 0.3)
    agent.schedule_timesteps = 1000
    for step in (0, 100, 299, 300, 700, 1000):
        agent.num_timesteps = step
        assert agent.exploration_rate == pytest.approx(schedule(1 - step / 1000))
    agent.set_hyperparams(exploration_fraction=0.0)
    assert agent.exploration_rate == 0.05


def test_the_same_seed_learns_the_same_table() -> None:
    tables = [QLearning(grid("4x3"), seed=seed).learn(3000).q_table for seed in (7, 7, 8)]
    assert np.array_equal(tables[0], tables[1])
    assert not np.array_equal(tables[0], tables[2])


# --- stepping by hand (the lab page) ----------------------------------------------------------------------


def test_stepping_by_hand_keeps_the_state_trail_and_returns() -> None:
    agent = QLearning(grid("corridor"), seed=0)
    agent.set_hyperparams(exploration_initial_eps=0.0, exploration_final_eps=0.0)
    assert agent.episode_over and agent.state is None
    agent.q[:, RIGHT] = 1.0  # make "right" greedy everywhere
    first = agent.step()
    assert (first.state, first.action, first.next_state, first.epsilon) == (0, RIGHT, 1, 0.0)
    assert agent.state == 1 and agent.trail == [0, 1]
    result = agent.run_episode()
    assert result.terminated and result.trail == (0, 1, 2, 3, 4) and result.length == 4
    assert result.episode_return == pytest.approx(1 - 0.4)
    assert agent.episode_returns == [pytest.approx(0.6)] and agent.episode_lengths == [4]
    assert agent.episode_over and agent.trail == [0, 1, 2, 3, 4], "the finished trail stays to be drawn"
    agent.step()
    assert agent.trail == [0, 1] and agent.num_timesteps == 5


def test_reset_episode_abandons_the_episode_in_progress() -> None:
    agent = Sarsa(grid("4x3"), seed=0)
    agent.step()
    agent.step()
    assert agent.reset_episode() == 8
    assert agent.trail == [8] and agent.episode_returns == []


def test_a_learner_keeps_its_table_when_the_grid_is_edited_and_starts_afresh_when_resized() -> None:
    agent = QLearning(grid("4x3"), seed=0).learn(2000)
    learnt = agent.q_table
    agent.set_env(grid(LAYOUTS["4x3"].with_cell((2, 2), "wall")))
    assert np.array_equal(agent.q_table, learnt)
    agent.step()
    agent.set_env(grid("cliff"))
    assert agent.q_table.shape == (48, 4) and not agent.q_table.any()


def test_hyperparameters_set_between_steps_are_checked_and_apply_at_once() -> None:
    agent = QLearning(grid("4x3"), seed=0)
    agent.set_hyperparams(learning_rate="0.7", exploration_initial_eps=0.3, exploration_final_eps=0.3)
    assert agent.learning_rate == 0.7 and agent.exploration_rate == 0.3 and agent.step().epsilon == 0.3
    with pytest.raises(HyperParamError, match="learning_rate must be between"):
        agent.set_hyperparams(learning_rate=0)
    with pytest.raises(HyperParamError, match="unknown hyperparameter"):
        agent.set_hyperparams(alpha=0.1)


def test_a_planner_steps_by_sweeps_and_plays_its_plan() -> None:
    agent = ValueIteration(grid("corridor"), gamma=0.9)
    sweep = agent.step()
    assert (sweep.index, sweep.phase, agent.num_timesteps) == (1, "value", 5), "a sweep counts as |S| steps"
    converge(agent)
    episode = agent.run_episode()
    assert episode.terminated and episode.trail == (0, 1, 2, 3, 4)
    assert agent.episode_returns == [pytest.approx(0.6)]


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
    tabular = {a.id: a for a in algorithms().values() if a.family == "tabular"}
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
    best = converge(ValueIteration(info.make(), gamma=1.0)).state_values()[8]
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


def test_the_headless_trainer_runs_a_tabular_algorithm(capsys: pytest.CaptureFixture[str]) -> None:
    from agents.train import main

    code = main(["--env", "CliffWalking-v1", "--algo", "q_learning", "--timesteps", "5000", "--quiet"])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["status"] == "finished" and result["algo"] == "q_learning" and result["timesteps"] == 5000
    assert result["episodes"] > 0


def test_the_headless_trainer_solves_gridworld_with_value_iteration(capsys: pytest.CaptureFixture[str]) -> None:
    from agents.train import main

    assert main(["--env", "GridWorld-v0", "--algo", "value_iteration", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["end_reason"] == "solved" and result["mean_true_return_last20"] >= 0.6


# --- the lessons ------------------------------------------------------------------------------------------


def test_every_lesson_says_what_to_watch_for_and_loads_as_it_is() -> None:
    assert set(LESSONS) == {"discount", "cliff", "slip", "reward_placement"}
    for lesson in LESSONS.values():
        assert lesson.title and lesson.question and len(lesson.watch_for) > 80
        assert len(lesson.setups) >= 2
        for setup in lesson.setups:
            assert setup.expect
            assert GridLayout.from_string(setup.layout) == setup.grid
            get_algo(setup.algo).schema.resolve(setup.hyperparams)


def test_lesson_discount_a_short_horizon_takes_the_near_exit() -> None:
    short, long = (run_setup(setup) for setup in LESSONS["discount"].setups)
    assert short.route.exit == (0, 1) and len(short.route.cells) == 2, "γ 0.5: the +1 next to the start"
    assert long.route.exit == (7, 1), "γ 0.99: the +10 six steps away"
    for seed in (0, 1, 2):  # Q-learning exploring purely at random finds the same routes
        for gamma, exit_cell in ((0.5, (0, 1)), (0.99, (7, 1))):
            agent = QLearning(grid("discount"), seed=seed, gamma=gamma, learning_rate=0.5, exploration_final_eps=1.0)
            agent.learn(3000)
            assert follow_policy(LAYOUTS["discount"], agent.greedy_policy()).exit == exit_cell


def test_lesson_cliff_sarsa_walks_the_safe_path_and_earns_more_while_learning() -> None:
    lesson = LESSONS["cliff"]
    sarsa, q_learning = lesson.setups
    sarsa_results = [run_setup(sarsa, seed) for seed in lesson.seeds]
    q_results = [run_setup(q_learning, seed) for seed in lesson.seeds]
    assert np.mean([r.online_return for r in sarsa_results]) > np.mean([r.online_return for r in q_results]) + 5
    for result in q_results:
        assert result.route.exit == (11, 3)
        assert all(y == 2 for _, y in result.route.cells[1:-1]), "Q-learning's route hugs the cliff edge"
    for result in sarsa_results:
        assert min(y for _, y in result.route.cells) == 0, "SARSA's route climbs to the top row"
        assert all(y < 2 for x, y in result.route.cells if 3 <= x <= 8), "and crosses the middle away from the edge"
    assert sarsa_results[0].route.exit == (11, 3), "the seed a page loads first shows the whole safe path"


def test_lesson_slip_the_plan_crosses_the_bridge_only_on_a_dry_floor() -> None:
    dry, slippery = (run_setup(setup) for setup in LESSONS["slip"].setups)
    assert dry.route.exit == slippery.route.exit == (8, 3)
    assert all(y == 3 for _, y in dry.route.cells), "slip 0: straight over the bridge"
    assert len(dry.route.cells) == 9
    assert min(y for _, y in slippery.route.cells) == 0 and len(slippery.route.cells) == 15, "slip 0.2: the detour"


def test_lesson_reward_placement_a_bonus_beside_the_path_is_farmed() -> None:
    plain, with_bonus = (run_setup(setup) for setup in LESSONS["reward_placement"].setups)
    assert plain.route.exit == (6, 1) and len(plain.route.cells) == 7
    assert with_bonus.route.exit is None and with_bonus.route.loops
    assert (3, 0) in with_bonus.route.cells, "it circles the bonus cell"
    bonus_setup = LESSONS["reward_placement"].setups[1]
    agent = QLearning(grid(bonus_setup.layout), seed=0, learning_rate=0.5).learn(5000)
    route = follow_policy(bonus_setup.grid, agent.greedy_policy())
    assert route.loops and route.exit is None, "a learner farms it too"
