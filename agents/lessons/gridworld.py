"""Lessons for the GridWorld lab: set-ups side by side that make one point each, reliably.

Each :class:`Lesson` says what to watch for, and each of its :class:`Setup` s is a layout, an algorithm
and hyperparameters that a page can load as they are. ``tests/test_gridworld_lessons.py`` runs every
lesson with its fixed seeds and checks that what it tells people to watch for does happen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import gymnasium as gym
import numpy as np

from agents.algos.tabular import AGENTS, Learner, Planner, TabularAgent
from agents.config.schema import Value
from envs.gridworld import LAYOUTS, GridLayout, Route, follow_policy, resolve_layout

MAX_PLANNING_SWEEPS = 10_000
"""A planner that has not converged after this many sweeps is stopped anyway (γ = 1 without an exit)."""


@dataclass(frozen=True)
class Setup:
    """One side of a comparison: a layout, an algorithm and its hyperparameters."""

    label: str
    layout: str
    """A layout string (``GridLayout.to_string``), ready for a share link."""
    algo: str
    hyperparams: Mapping[str, Value] = field(default_factory=dict)
    timesteps: int = 0
    """Learning budget for learners; planners sweep until they converge."""
    expect: str = ""
    """What this side should show, in a sentence."""

    @property
    def grid(self) -> GridLayout:
        return resolve_layout(self.layout)


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    question: str
    watch_for: str
    """What to look at on the page, and why it happens."""
    setups: tuple[Setup, ...]
    seeds: tuple[int, ...] = (0,)
    """Seeds that the claim holds for (learners' results are averaged over them)."""


@dataclass(frozen=True)
class SetupResult:
    agent: TabularAgent
    route: Route
    """Where the learnt greedy policy leads from the start, moves taken as intended."""
    online_return: float
    """Mean return per episode while learning, over the second half of the episodes (nan for planners)."""


def build_agent(setup: Setup, seed: int = 0) -> TabularAgent:
    env = gym.make("GridWorld-v0", layout=setup.grid)
    return AGENTS[setup.algo](env, seed=seed, **dict(setup.hyperparams))  # type: ignore[arg-type]


def run_setup(setup: Setup, seed: int = 0) -> SetupResult:
    """Train one set-up to the end of its budget (planners: to convergence) and summarise what it learnt."""
    agent = build_agent(setup, seed)
    online = float("nan")
    if isinstance(agent, Planner):
        while not agent.step().converged and agent.sweeps < MAX_PLANNING_SWEEPS:
            pass
    elif isinstance(agent, Learner):
        agent.learn(setup.timesteps)
        returns = agent.episode_returns
        online = float(np.mean(returns[len(returns) // 2 :])) if returns else float("nan")
    return SetupResult(agent, follow_policy(setup.grid, agent.greedy_policy()), online)


def _layout(name: str, **changes: object) -> str:
    return replace(LAYOUTS[name], **changes).to_string()  # type: ignore[arg-type]


_CLIFF_HYPERPARAMS: dict[str, Value] = {
    "learning_rate": 0.5,
    "gamma": 1.0,
    "exploration_initial_eps": 0.1,
    "exploration_final_eps": 0.1,
}
"""Sutton & Barto's example 6.6: α 0.5, no discount, a constant ε of 0.1."""

LESSONS: dict[str, Lesson] = {
    lesson.id: lesson
    for lesson in (
        Lesson(
            id="discount",
            title="The discount factor changes the route",
            question="A +1 exit next to the start, a +10 exit six steps away: which one is worth it?",
            watch_for="At γ 0.5 the arrow on the start points left, to the +1 exit next to it: +10 six steps "
            "away is worth only 0.5⁵ × 10 ≈ 0.31 now. At γ 0.99 it points right, to +10 (0.99⁵ × 10 ≈ 9.5). "
            "Watch the values shrink faster with distance when γ is small. A learner has a second problem: "
            "once ε-greedy has found the +1 next door it rarely walks six steps the other way, so it may "
            "never learn that +10 exists; with ε 1 (pure exploration) Q-learning finds the planner's routes.",
            setups=(
                Setup("γ = 0.5", _layout("discount"), "value_iteration", {"gamma": 0.5}, expect="takes the +1 exit"),
                Setup("γ = 0.99", _layout("discount"), "value_iteration", {"gamma": 0.99}, expect="walks to +10"),
            ),
        ),
        Lesson(
            id="cliff",
            title="Risk on the cliff: SARSA against Q-learning",
            question="With ε 0.1 the agent sometimes steps at random. Should it walk along the cliff edge?",
            watch_for="Q-learning learns the values of the greedy policy, so its arrows hug the cliff edge "
            "(the shortest path), and its random steps keep throwing it off: a lower return per episode. "
            "SARSA learns the value of what it really does, exploration included, so it takes the safe path "
            "along the top and earns more while learning (Sutton & Barto, example 6.6). With α 0.5 SARSA's "
            "values stay noisy, so an arrow here and there may wobble.",
            setups=(
                Setup(
                    "SARSA",
                    _layout("cliff"),
                    "sarsa",
                    _CLIFF_HYPERPARAMS,
                    timesteps=5000,
                    expect="the safe path, far from the edge; a higher return per episode",
                ),
                Setup(
                    "Q-learning",
                    _layout("cliff"),
                    "q_learning",
                    _CLIFF_HYPERPARAMS,
                    timesteps=5000,
                    expect="the path along the edge; falls now and then",
                ),
            ),
            seeds=(0, 1, 2),
        ),
        Lesson(
            id="slip",
            title="A slippery floor makes the short way dangerous",
            question="A narrow bridge between pits, or a long detour?",
            watch_for="When every move goes where it is meant to (slip 0), the plan crosses the bridge: 8 steps "
            "instead of 14. With slip 0.2 each step on the bridge has a 20% chance of sliding into a pit "
            "(-10), so the plan goes round. Watch the values on the bridge drop as slip rises.",
            setups=(
                Setup("slip 0", _layout("bridge", slip=0.0), "value_iteration", {"gamma": 0.99}, expect="the bridge"),
                Setup("slip 0.2", _layout("bridge", slip=0.2), "value_iteration", {"gamma": 0.99}, expect="detour"),
            ),
        ),
        Lesson(
            id="reward_placement",
            title="Where a reward is placed",
            question="A small bonus beside the path to the exit: does it help the agent?",
            watch_for="Without the bonus the agent walks straight to the +1 exit. With a +0.1 bonus that pays "
            "each time the cell is entered, the arrows next to it point at each other: stepping on and off "
            "it for ever is worth 0.1 / (1 - 0.99²) ≈ 5, more than the exit. The agent does what the reward "
            "says, not what was meant: reward the goal, not a way to it.",
            setups=(
                Setup(
                    "exit only",
                    _layout("reward_placement", cell_rewards={}),
                    "value_iteration",
                    {"gamma": 0.99},
                    expect="walks to the exit",
                ),
                Setup(
                    "with a bonus",
                    _layout("reward_placement"),
                    "value_iteration",
                    {"gamma": 0.99},
                    expect="circles the bonus cell and never leaves",
                ),
            ),
        ),
    )
}
"""The lessons of the GridWorld lab, by id."""
