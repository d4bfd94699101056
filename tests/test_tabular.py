"""Tabular agents: planning matches hand-computed values, learners reach the optimal routes, and a page can step,
retune and reset them. (Their SB3-shaped surface is tested in ``test_tabular_sb3.py``.)"""

from __future__ import annotations

from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.utils import LinearSchedule

import envs  # noqa: F401  (registers GridWorld-v0)
from agents.algos.tabular import (
    AGENTS,
    ExpectedSarsa,
    MonteCarloControl,
    PolicyIteration,
    QLearning,
    Sarsa,
    TabularAgent,
    ValueIteration,
)
from agents.config.schema import HyperParamError
from envs.gridworld import LAYOUTS, GridLayout, follow_policy

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


class WatchedSarsa(Sarsa):
    """SARSA that records every ε-greedy choice it makes."""

    choices: list[tuple[int, int]]

    def behaviour_action(self, state: int) -> int:
        action = super().behaviour_action(state)
        self.choices.append((state, action))
        return action


def test_sarsa_takes_the_next_action_it_learnt_from() -> None:
    agent = WatchedSarsa(grid("4x3"), seed=3)
    agent.choices = []
    agent.set_hyperparams(exploration_initial_eps=0.5, exploration_final_eps=0.5)
    checked = 0
    for _ in range(300):
        if agent.step().done:
            continue
        bootstrapped_from = agent.choices[-1]  # A' drawn in S' for the update's target
        following = agent.step()
        assert (following.state, following.action) == bootstrapped_from
        checked += 1
    assert checked > 100


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


@pytest.mark.parametrize("algo", LEARNERS + PLANNERS)
def test_reset_learning_starts_over_exactly_like_a_new_agent(algo: str) -> None:
    agent = AGENTS[algo](grid("4x3"), seed=4)
    agent.learn(600)
    agent.run_episode()
    agent.reset_learning()
    assert agent.num_timesteps == 0 and agent.episode_returns == [] and agent.state is None
    assert not agent.state_values().any()
    fresh = AGENTS[algo](grid("4x3"), seed=4)
    for model in (agent, fresh):
        model.learn(600)
        model.run_episode()
    assert np.array_equal(agent.q_table, fresh.q_table)
    assert agent.episode_returns == fresh.episode_returns


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
