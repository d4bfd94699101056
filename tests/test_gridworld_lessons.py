"""The GridWorld lab's lessons: each one's claim about what to watch for holds with its fixed seeds."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

import envs  # noqa: F401  (registers GridWorld-v0)
from agents.algos.registry import get_algo
from agents.algos.tabular import QLearning
from agents.lessons.gridworld import LESSONS, run_setup
from envs.gridworld import LAYOUTS, GridLayout, follow_policy


def grid(layout: GridLayout | str) -> gym.Env:
    return gym.make("GridWorld-v0", layout=layout)


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
