"""GridWorld: layouts round-trip through share links, hostile text is refused, the env keeps gymnasium's API and its
published model ``P`` says exactly what ``step()`` does."""

from __future__ import annotations

import doctest
import re
import time
import urllib.parse
import warnings
from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs
import envs.gridworld
from envs.gridworld import (
    LAYOUT_NOTES,
    LAYOUTS,
    MAX_EPISODE_STEPS,
    GridLayout,
    GridWorldEnv,
    build_model,
    follow_policy,
    render_layout,
)
from envs.gridworld_layouts import MAX_SIDE, MAX_STRING_LENGTH

UP, RIGHT, DOWN, LEFT = range(4)


def make(layout: GridLayout | str = "4x3", **kwargs: object) -> gym.Env:
    return gym.make("GridWorld-v0", layout=layout, **kwargs)


# --- layouts and their strings ------------------------------------------------------------------------------


def test_the_named_layouts_of_the_issue_ship_with_notes() -> None:
    assert {"4x3", "cliff", "four_rooms", "bridge"} <= set(LAYOUTS)
    assert set(LAYOUT_NOTES) == set(LAYOUTS)


def test_russell_and_norvig_4x3_world_is_the_book_one() -> None:
    layout = LAYOUTS["4x3"]
    assert (layout.width, layout.height) == (4, 3)
    assert layout.start == (0, 2)
    assert layout.walls == {(1, 1)}
    assert dict(layout.terminals) == {(3, 0): 1.0, (3, 1): -1.0}
    assert layout.step_reward == -0.04
    assert layout.slip == 0.2
    model = build_model(layout)
    start = layout.state_of(layout.start)
    # Up from the start: 0.8 up, 0.1 right, 0.1 left into the edge (stays).
    outcomes = {layout.cell_of(s): p for p, s, _, _ in model[start][UP]}
    assert outcomes == pytest.approx({(0, 1): 0.8, (1, 2): 0.1, (0, 2): 0.1})


def test_the_cliff_is_sutton_and_bartos() -> None:
    layout = LAYOUTS["cliff"]
    assert (layout.width, layout.height, layout.start) == (12, 4, (0, 3))
    assert dict(layout.terminals) == {**{(x, 3): -100.0 for x in range(1, 11)}, (11, 3): 0.0}
    assert layout.step_reward == -1.0 and layout.slip == 0.0


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_named_layout_round_trips_through_its_string(name: str) -> None:
    layout = LAYOUTS[name]
    text = layout.to_string()
    assert GridLayout.from_string(text) == layout
    assert GridLayout.from_string(text).to_string() == text, "the string form is canonical"
    assert hash(GridLayout.from_string(text)) == hash(layout)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_layout_strings_are_url_safe_and_short(name: str) -> None:
    text = LAYOUTS[name].to_string()
    assert re.fullmatch(r"[A-Za-z0-9._~-]+", text)
    assert urllib.parse.quote(text, safe="") == text, "needs no escaping in a share link"
    assert len(text) < 200


def test_an_edited_layout_with_many_values_round_trips_exactly() -> None:
    layout = LAYOUTS["four_rooms"]
    for x, reward in enumerate((0.3, -2.5, 7.125, 1e-6, -999.999999)):
        layout = layout.with_cell((x, 2), "reward", reward)
    layout = layout.with_cell((10, 0), "terminal", -3.75).with_cell((0, 10), "wall")
    layout = replace(layout, step_reward=-0.013, slip=0.35)
    assert GridLayout.from_string(layout.to_string()) == layout
    assert layout.cell_rewards[(3, 2)] == 1e-6


def test_reading_the_4x3_string_by_hand() -> None:
    layout = GridLayout.from_string("...A_.W.B_S...~A1~B-1~step-0.04~slip0.2")
    assert layout == LAYOUTS["4x3"]
    assert str(layout) == "...A\n.W.B\nS..."


MALFORMED = [
    ("", "empty"),
    ("S" * (MAX_STRING_LENGTH + 1), "too long"),
    ("_".join(["S" + "." * 3] + ["...."] * MAX_SIDE), f"at most {MAX_SIDE} rows"),
    ("S" + "." * MAX_SIDE, f"at most {MAX_SIDE} rows of at most {MAX_SIDE} cells"),
    ("S.._..", "same, non-zero number of cells"),
    ("S.#A~A1", "unknown character '#' at cell (2, 0)"),
    ("S..A~A1~", "cannot read ''"),
    ("S.SA~A1", "exactly one start 'S', found 2"),
    ("...A~A1", "exactly one start 'S', found 0"),
    ("S..A", "uses 'A' but no value is given for it"),
    ("S..A~A1~B2", "values are given for B but no cell uses them"),
    ("S..A~A=1", "cannot read 'A=1'"),
    ("S..A~A1e5", "cannot read 'A1e5'"),
    ("S..A~Anan", "cannot read 'Anan'"),
    ("S..A~A1~A2", "'A' is given twice"),
    ("S..A~A1~gamma1", "unknown setting 'gamma'"),
    ("S..A~A1001", "between -1000 and 1000"),
    ("S..A~A1~slip1.5", "slip is a probability from 0 to 1"),
    ("S..A~A1~step-0.1234567", "cannot read"),
    ("S..a~a1~__import__", "cannot read"),
]


@pytest.mark.parametrize(("text", "fragment"), MALFORMED, ids=[m[1][:30] for m in MALFORMED])
def test_malformed_layout_strings_are_refused_with_a_clear_message(text: str, fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        GridLayout.from_string(text)
    assert fragment in str(caught.value)
    assert len(str(caught.value)) < 200, "a hostile string cannot flood the page"


def test_non_text_layouts_are_refused() -> None:
    with pytest.raises(ValueError, match="as text"):
        GridLayout.from_string(b"S.A~A1")  # type: ignore[arg-type]


def test_hostile_long_strings_are_refused_quickly() -> None:
    started = time.perf_counter()
    for text in ("~" * 10**6, "S" * 10**6, "S.A~" + "A1~" * 10**5):
        with pytest.raises(ValueError):
            GridLayout.from_string(text)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"width": 13, "height": 2, "start": (0, 0)}, "width must be a whole number from 1 to 12"),
        ({"width": 2, "height": 0, "start": (0, 0)}, "height must be"),
        ({"width": 2, "height": 2, "start": (2, 0)}, "outside the 2x2 grid"),
        ({"width": 2, "height": 2, "start": (0, 0), "walls": {(0, 0)}}, "start (0, 0) must be an empty cell"),
        ({"width": 2, "height": 2, "start": (0, 0), "walls": {(1, 0)}, "terminals": {(1, 0): 1.0}}, "two kinds"),
        ({"width": 2, "height": 2, "start": (0, 0), "terminals": {(1, 1): float("inf")}}, "finite"),
        ({"width": 2, "height": 2, "start": (0, 0), "cell_rewards": {(1, 1): True}}, "must be a number"),
        ({"width": 2, "height": 2, "start": (0, 0), "slip": -0.1}, "slip is a probability"),
        ({"width": 2, "height": 2, "start": "a1"}, "(x, y) pair of whole numbers"),
    ],
)
def test_layouts_refuse_impossible_grids(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        GridLayout(**kwargs)
    assert fragment in str(caught.value)


def test_clicking_a_cell_cycles_wall_reward_terminal_start() -> None:
    layout = LAYOUTS["corridor"]  # S...A
    cell = (2, 0)
    kinds = []
    for _ in range(5):
        layout = layout.cycle_cell(cell)
        kinds.append(layout.kind(cell))
    assert kinds == ["wall", "reward", "terminal", "start", "start"]
    assert layout.start == cell
    assert layout.kind((0, 0)) == "empty", "the old start became an empty cell"


def test_a_reward_keeps_its_value_from_reward_cell_to_terminal() -> None:
    layout = LAYOUTS["corridor"].with_cell((1, 0), "reward", 2.5).cycle_cell((1, 0))
    assert layout.kind((1, 0)) == "terminal"
    assert layout.reward_at((1, 0)) == 2.5


def test_the_start_cannot_be_removed_only_moved() -> None:
    layout = LAYOUTS["corridor"]
    with pytest.raises(ValueError, match="start cannot be removed"):
        layout.with_cell(layout.start, "wall")
    moved = layout.with_cell((3, 0), "start")
    assert moved.start == (3, 0) and moved.kind((0, 0)) == "empty"


def test_editing_returns_a_new_layout_and_leaves_the_old_one_alone() -> None:
    before = LAYOUTS["4x3"]
    text = before.to_string()
    after = before.with_cell((2, 2), "wall").with_cell((0, 0), "terminal", 5).with_cell((3, 0), "empty")
    assert before.to_string() == text
    assert after.kind((2, 2)) == "wall" and after.reward_at((0, 0)) == 5.0 and after.kind((3, 0)) == "empty"
    with pytest.raises(ValueError, match="unknown cell kind"):
        before.with_cell((0, 0), "lava")  # type: ignore[arg-type]


def test_cells_may_be_given_as_numpy_integers() -> None:
    layout = LAYOUTS["4x3"].with_cell((np.int64(2), np.int64(2)), "wall")
    assert layout.kind((2, 2)) == "wall"


# --- the environment -----------------------------------------------------------------------------------------


def test_importing_envs_registers_gridworld_with_a_time_limit() -> None:
    assert envs.gridworld.ENV_ID in gym.registry
    env = gym.make("GridWorld-v0")
    assert env.spec is not None and env.spec.max_episode_steps == MAX_EPISODE_STEPS
    assert env.unwrapped.layout == LAYOUTS["4x3"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_check_env_passes_on_every_named_layout(name: str) -> None:
    env = make(name, render_mode="rgb_array")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a warning from gymnasium's checker
        check_env(env.unwrapped)


def test_the_layout_kwarg_takes_a_name_a_string_or_a_layout() -> None:
    text = LAYOUTS["bridge"].to_string()
    for layout in ("bridge", text, LAYOUTS["bridge"]):
        assert make(layout).unwrapped.layout == LAYOUTS["bridge"]  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="unknown layout 'no-such-layout'; named layouts: 4x3, cliff"):
        make("no-such-layout")
    with pytest.raises(ValueError, match="unknown character"):
        make("S.#")


def test_spaces_are_cell_indices_and_four_moves() -> None:
    env = make("cliff")
    assert env.observation_space == gym.spaces.Discrete(48)
    assert env.action_space == gym.spaces.Discrete(4)
    obs, _ = env.reset(seed=0)
    assert obs == 36  # row 3, column 0
    obs, reward, terminated, truncated, _ = env.step(UP)
    assert (obs, reward, terminated, truncated) == (24, -1.0, False, False)
    obs, reward, terminated, _, _ = env.step(DOWN)
    obs, reward, terminated, _, _ = env.step(RIGHT)
    assert (obs, reward, terminated) == (37, -101.0, True), "into the cliff: step reward plus -100, and it ends"


def test_bad_actions_are_refused() -> None:
    env = make()
    env.reset(seed=0)
    for action in (4, -1, 1.5, True):
        with pytest.raises(ValueError, match="action must be"):
            env.step(action)


@pytest.mark.parametrize("name", ["4x3", "bridge", "reward_placement"])
def test_model_probabilities_are_complete_and_terminals_absorb(name: str) -> None:
    layout = LAYOUTS[name]
    model = build_model(layout)
    assert set(model) == set(range(layout.n_states))
    for state, by_action in model.items():
        for outcomes in by_action.values():
            assert sum(p for p, *_ in outcomes) == pytest.approx(1.0)
            assert len({s for _, s, _, _ in outcomes}) == len(outcomes), "outcomes that land alike are merged"
        if layout.cell_of(state) in layout.terminals:
            assert all(outcomes == [(1.0, state, 0.0, True)] for outcomes in by_action.values())


def test_step_samples_exactly_the_published_model() -> None:
    """For every state and action of the slippery 4x3 world, step() lands where P says, as often as P says,
    with P's reward and termination."""
    env = make("4x3").unwrapped
    env.reset(seed=123)
    n = 800
    for state in range(env.observation_space.n):
        for action in range(4):
            outcomes = {s: (p, r, done) for p, s, r, done in env.P[state][action]}
            counts: dict[int, int] = {}
            for _ in range(n):
                env.state = state
                landing, reward, terminated, truncated, info = env.step(action)
                assert landing in outcomes
                assert (reward, terminated, truncated) == (outcomes[landing][1], outcomes[landing][2], False)
                assert info["prob"] == outcomes[landing][0]
                counts[landing] = counts.get(landing, 0) + 1
            for landing, (p, _, _) in outcomes.items():
                assert counts.get(landing, 0) / n == pytest.approx(p, abs=0.06)


def test_a_reward_is_paid_for_entering_a_cell_not_for_bumping_a_wall_in_it() -> None:
    layout = GridLayout.from_string("Sa.~a0.5~step-0.1")
    env = make(layout)
    env.reset(seed=0)
    assert env.step(RIGHT)[1] == pytest.approx(0.4)
    assert env.step(UP)[1] == pytest.approx(-0.1), "bumping the edge stays in the cell: no second bonus"
    assert env.step(RIGHT)[1] == pytest.approx(-0.1)
    assert env.step(LEFT)[1] == pytest.approx(0.4)


def test_seeded_resets_repeat_the_same_slips() -> None:
    def trajectory(seed: int) -> list[int]:
        env = make("4x3")
        env.reset(seed=seed)
        return [env.step(UP)[0] for _ in range(30)]

    assert trajectory(5) == trajectory(5)
    assert trajectory(5) != trajectory(6)


def test_rendering_draws_the_grid_and_the_agent() -> None:
    env = make("4x3", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.shape == (3 * 48, 4 * 48, 3)
    start_tile = frame[2 * 48 : 3 * 48, 0:48]
    agent_blue = np.array([40, 70, 160])
    assert (start_tile == agent_blue).all(axis=2).sum() > 100, "the agent is drawn in its cell"
    wall_tile = frame[48 + 10 : 96 - 10, 48 + 10 : 96 - 10]
    assert (wall_tile == wall_tile[0, 0]).all() and wall_tile[0, 0].max() < 100, "the wall is dark"
    plus, minus = frame[24, 3 * 48 + 24], frame[48 + 24, 3 * 48 + 24]
    assert plus[1] > plus[0] and minus[0] > minus[1], "+1 is green, -1 is red"
    env.step(UP)
    assert not np.array_equal(env.render(), frame)
    silent = make("4x3")
    silent.reset(seed=0)
    assert silent.render() is None, "no picture without render_mode"
    with pytest.raises(ValueError, match="render_mode"):
        GridWorldEnv(render_mode="human")


def test_render_layout_draws_a_layout_without_an_env() -> None:
    image = render_layout(LAYOUTS["cliff"], agent=None, cell_px=10)
    assert image.shape == (40, 120, 3)


def test_follow_policy_finds_exits_and_loops() -> None:
    layout = LAYOUTS["corridor"]  # S...A
    all_right = np.full(layout.n_states, RIGHT)
    route = follow_policy(layout, all_right)
    assert route.exit == (4, 0) and not route.loops and len(route.cells) == 5
    back_and_forth = np.array([RIGHT, LEFT, RIGHT, RIGHT, RIGHT])
    route = follow_policy(layout, back_and_forth)
    assert route.exit is None and route.loops and route.cells == ((0, 0), (1, 0), (0, 0))


def test_module_docstring_example_runs() -> None:
    result = doctest.testmod(envs.gridworld, verbose=False)
    assert result.attempted >= 1 and result.failed == 0
