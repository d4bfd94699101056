"""Comparing runs: seeds group into one line whose band, mean and IQM mean what the Compare page says."""

from __future__ import annotations

import numpy as np
import pytest

from agents.analysis.compare import (
    WINDOW,
    RunCurve,
    aggregate,
    aggregate_groups,
    group_key,
    interquartile_mean,
    moving_average,
)
from agents.analysis.seeds import seed_groups
from agents.analysis.summary import bootstrap_iqm_ci, summary_table
from agents.config.run_config import build_config
from agents.runs.live import SOLVE_WINDOW, RunStats
from ui.compare_view import compare_figure


def flat_run(
    run_id: str, value: float, episodes: int = 60, every: int = 100, group: str = "g", **kw: object
) -> RunCurve:
    """A run whose every episode returns ``value`` (so its moving average is ``value`` everywhere)."""
    steps = np.arange(1, episodes + 1) * every
    returns = np.full(episodes, float(value))
    return RunCurve(run_id, run_id, steps, steps / 1000.0, returns, returns, group=group, **kw)  # type: ignore[arg-type]


def noisy_run(run_id: str, seed: int, spread: float, episodes: int = 200) -> RunCurve:
    """Returns climbing from 0 to 100 plus per-episode noise of std ``spread``."""
    rng = np.random.default_rng(seed)
    steps = np.cumsum(rng.integers(50, 150, episodes))
    true_returns = np.linspace(0, 100, episodes) + rng.normal(0, spread, episodes)
    return RunCurve(run_id, run_id, steps, steps / 900.0, true_returns - 5, true_returns, group="g")


# --- grouping ------------------------------------------------------------------------------------------------------


def test_grouping_ignores_the_seed_but_not_other_differences() -> None:
    base = build_config("CartPole-v1", "ppo", seed=0)
    assert group_key(build_config("CartPole-v1", "ppo", seed=1)) == group_key(base)
    assert group_key(build_config("CartPole-v1", "ppo", seed=2, preset_name="mine")) == group_key(base), (
        "the preset's name is only a label; its hyperparameters are compared"
    )
    different = [
        build_config("CartPole-v1", "ppo", overrides={"learning_rate": 0.01}),
        build_config("CartPole-v1", "ppo", preset="zoo"),
        build_config("CartPole-v1", "a2c"),
        build_config("Acrobot-v1", "ppo"),
        build_config("CartPole-v1", "ppo", shaping={"living_reward": -0.1}),
        build_config("CartPole-v1", "ppo", timesteps=1000),
        build_config("CartPole-v1", "ppo", stop_when_solved=True),
    ]
    keys = {group_key(config) for config in different}
    assert len(keys) == len(different) and group_key(base) not in keys


def test_aggregate_groups_draws_one_line_per_configuration() -> None:
    curves = [flat_run("a0", 1, group="A"), flat_run("b0", 5, group="B"), flat_run("a1", 3, group="A")]
    lines = aggregate_groups(curves, n_boot=200)
    assert [line.run_ids for line in lines] == [("a0", "a1"), ("b0",)]
    assert lines[0].mean == pytest.approx(np.full(lines[0].x.size, 2.0))
    assert lines[1].mean == pytest.approx(np.full(lines[1].x.size, 5.0))


# --- mean, band, IQM -----------------------------------------------------------------------------------------------


def test_band_contains_the_mean_and_narrows_with_more_agreeing_runs() -> None:
    few = aggregate([noisy_run(f"r{i}", i, spread=20) for i in range(4)])
    many = aggregate([noisy_run(f"r{i}", i, spread=20) for i in range(16)])
    for line in (few, many):
        assert np.all(line.ci_low <= line.mean + 1e-9) and np.all(line.mean <= line.ci_high + 1e-9)
        assert np.all(line.n_runs == len(line.run_ids))
    assert np.mean(many.ci_high - many.ci_low) < 0.7 * np.mean(few.ci_high - few.ci_low)
    identical = aggregate([flat_run(f"r{i}", 7.0) for i in range(5)])
    assert np.all(identical.ci_low == 7.0) and np.all(identical.ci_high == 7.0), "runs that agree: no spread"


def test_iqm_is_the_mean_of_the_middle_half_as_rliable_computes_it() -> None:
    finals = [3.0, 100.0, 1.0, 6.0, 4.0, 2.0, 5.0, 7.0]  # 8 runs: drop 2 lowest (1, 2) and 2 highest (7, 100)
    assert interquartile_mean(np.array(finals))[0] == pytest.approx((3 + 4 + 5 + 6) / 4)
    assert interquartile_mean(np.array([5.0, 1.0, 9.0, 2.0, 3.0]))[0] == pytest.approx((2 + 3 + 5) / 3)  # int(1.25)
    assert interquartile_mean(np.array([1.0, 2.0, 30.0]))[0] == pytest.approx(11.0), "3 runs: nothing is trimmed"
    line = aggregate([flat_run(f"r{i}", value) for i, value in enumerate(finals)])
    assert line.iqm == pytest.approx(np.full(line.x.size, 4.5))
    assert line.mean == pytest.approx(np.full(line.x.size, 16.0))


def test_iqm_is_robust_to_one_outlier_where_the_mean_is_not() -> None:
    agreeing = [10.0, 11.0, 9.0, 10.5, 9.5, 10.0, 11.0, 9.0]
    broken = [*agreeing[:-1], -1000.0]  # one seed diverged
    calm, upset = (
        aggregate([flat_run(f"r{i}", v) for i, v in enumerate(agreeing)]),
        aggregate([flat_run(f"r{i}", v) for i, v in enumerate(broken)]),
    )
    assert abs(upset.iqm[0] - calm.iqm[0]) < 0.5
    assert abs(upset.mean[0] - calm.mean[0]) > 100


def test_iqm_per_column_leaves_out_missing_runs() -> None:
    values = np.array([[1.0, 1.0], [2.0, np.nan], [3.0, 3.0], [100.0, 5.0]])
    assert interquartile_mean(values) == pytest.approx([2.5, 3.0])  # 4 runs: middle 2; 3 runs: all 3


def test_bootstrap_is_reproducible_with_a_fixed_seed() -> None:
    curves = [noisy_run(f"r{i}", i, spread=15) for i in range(6)]
    first, again, other = aggregate(curves, rng_seed=3), aggregate(curves, rng_seed=3), aggregate(curves, rng_seed=4)
    assert np.array_equal(first.ci_low, again.ci_low) and np.array_equal(first.ci_high, again.ci_high)
    assert not np.array_equal(first.ci_low, other.ci_low)
    assert np.array_equal(first.mean, other.mean), "the mean does not depend on the resampling"
    assert bootstrap_iqm_ci(np.arange(8.0), rng_seed=1) == bootstrap_iqm_ci(np.arange(8.0), rng_seed=1)


def test_wider_confidence_level_gives_a_wider_band() -> None:
    curves = [noisy_run(f"r{i}", i, spread=15) for i in range(6)]
    narrow, wide = aggregate(curves, ci=0.5), aggregate(curves, ci=0.99)
    assert np.all(wide.ci_low <= narrow.ci_low) and np.all(wide.ci_high >= narrow.ci_high)


# --- curves of different lengths, axes, smoothing ------------------------------------------------------------------


def test_curves_of_different_lengths_share_the_range_all_runs_cover() -> None:
    short, long = flat_run("short", 1.0, episodes=50), flat_run("long", 3.0, episodes=100)  # end at 5k and 10k steps
    line = aggregate([short, long], grid_points=50)
    assert line.x[0] == 100 and line.x[-1] == 5000
    assert np.all(line.n_runs == 2) and line.mean == pytest.approx(np.full(50, 2.0))
    extended = aggregate([short, long], grid_points=100, min_runs=1)
    assert extended.x[-1] == 10_000
    beyond = extended.x > 5000
    assert np.all(extended.n_runs[beyond] == 1) and extended.mean[beyond] == pytest.approx(3.0)
    assert np.all(extended.n_runs[~beyond] == 2)
    strict = aggregate([short, long], grid_points=100, min_runs=2)
    assert strict.x[-1] == 5000


def test_runs_that_never_overlap_or_have_no_episodes() -> None:
    early = flat_run("early", 1.0, episodes=10)  # steps 100..1000
    late = RunCurve("late", "late", np.arange(2000, 3000, 100), np.arange(10.0), np.ones(10), np.ones(10))
    empty = RunCurve("empty", "empty", [], [], [], [])
    line = aggregate([early, late], n_boot=100)
    assert line.x.size == 0 and line.mean.size == 0, "no point where all runs have data"
    only = aggregate([early, empty], n_boot=100)
    assert only.run_ids == ("early",) and only.mean == pytest.approx(np.ones(only.x.size))
    nothing = aggregate([empty], n_boot=100)
    assert nothing.x.size == 0 and nothing.run_ids == ()


def test_curve_is_the_moving_average_of_the_last_20_episodes() -> None:
    assert WINDOW == SOLVE_WINDOW
    returns = np.arange(1.0, 41.0)
    assert moving_average(returns)[-1] == pytest.approx(np.mean(returns[-20:]))
    assert moving_average(returns)[4] == pytest.approx(3.0), "early episodes average what exists"
    steps = np.arange(1, 41) * 10
    run = RunCurve("r", "r", steps, steps / 10.0, returns, returns)
    line = aggregate([run], grid_points=40)
    assert line.x == pytest.approx(steps) and line.mean == pytest.approx(moving_average(returns))


def test_episodes_ending_at_the_same_step_keep_the_latest_average() -> None:
    steps = np.array([100, 100, 200, 200])  # two envs finished together, twice
    run = RunCurve("r", "r", steps, [1.0, 1.0, 2.0, 2.0], [0.0, 10.0, 20.0, 30.0], [0.0, 10.0, 20.0, 30.0])
    line = aggregate([run], grid_points=2)
    assert line.mean == pytest.approx([5.0, 15.0])


def test_true_return_by_default_shaped_on_the_toggle_against_steps_or_seconds() -> None:
    runs = [noisy_run(f"r{i}", i, spread=5) for i in range(3)]
    true_line, shaped_line = aggregate(runs), aggregate(runs, shaped=True)
    assert shaped_line.mean == pytest.approx(true_line.mean - 5), "shaped returns are the true ones minus 5 here"
    assert not true_line.shaped and shaped_line.shaped
    by_time = aggregate(runs, x="wall_s")
    assert by_time.x_axis == "wall_s" and by_time.x[-1] == pytest.approx(min(r.wall_s[-1] for r in runs))
    with pytest.raises(ValueError):
        aggregate(runs, x="episodes")  # type: ignore[arg-type]


# --- the table -----------------------------------------------------------------------------------------------------


def test_summary_table_has_run_rows_then_group_rows() -> None:
    solved = [
        flat_run("a0", 10.0, solved_at_step=3000, solved_at_s=3.5, cpu_s=4.0),
        flat_run("a1", 20.0, solved_at_step=5000, solved_at_s=6.0, cpu_s=8.0),
        flat_run("a2", 30.0, cpu_s=6.0),
    ]
    alone = flat_run("b0", 50.0, group="B")
    rows = summary_table([*solved, alone], n_boot=500)
    run_rows = [row for row in rows if row.kind == "run"]
    assert [row.run_id for row in run_rows] == ["a0", "a1", "a2", "b0"]
    assert run_rows[0].steps_to_solve == 3000 and run_rows[0].seconds_to_solve == 3.5 and run_rows[0].cpu_s == 4.0
    assert run_rows[2].steps_to_solve is None and run_rows[2].solved_runs == 0
    (group,) = [row for row in rows if row.kind == "group"]  # a single-run group needs no aggregate row
    assert group.group == "g" and group.n_runs == 3 and group.solved_runs == 2
    assert group.final_return == pytest.approx(20.0)
    assert group.final_return_iqm is None and group.final_return_iqm_ci_low is None, "3 seeds: the IQM is the mean"
    assert group.final_return_ci_low is not None and group.final_return_ci_high is not None
    assert 10.0 <= group.final_return_ci_low <= 20.0 <= group.final_return_ci_high <= 30.0
    assert group.steps_to_solve == 4000 and group.seconds_to_solve == pytest.approx(4.75)
    assert group.cpu_s == pytest.approx(6.0)
    assert set(group.as_dict()) >= {"steps_to_solve", "seconds_to_solve", "final_return", "cpu_s"}


def test_two_seeds_get_a_mean_but_no_confidence_interval_and_the_page_says_why() -> None:
    """A newcomer read "95% CI [80.8, 115.7]" for 2 seeds as confidence; it was their two final returns."""
    pair = [flat_run("a0", 80.8, seed=0), flat_run("a1", 115.7, seed=1)]
    (group,) = [row for row in summary_table(pair, n_boot=500) if row.kind == "group"]
    assert group.final_return == pytest.approx(98.25)
    assert group.final_return_ci_low is None and group.final_return_ci_high is None
    (seeds,) = seed_groups(pair)
    assert any("no confidence interval is drawn" in note for note in seeds.notes())
    names = [trace.name or "" for trace in compare_figure(pair, x_axis="steps", shaped=False).data]
    assert any("mean of 2 seeds" in name for name in names) and not any("CI" in name for name in names), names
    three = [*pair, flat_run("a2", 90.0, seed=2)]
    (group,) = [row for row in summary_table(three, n_boot=500) if row.kind == "group"]
    assert group.final_return_ci_low is not None
    assert any(
        "bootstrap CI" in (trace.name or "") for trace in compare_figure(three, x_axis="steps", shaped=False).data
    )


def test_final_return_is_the_mean_of_the_last_20_true_returns() -> None:
    true_returns = np.arange(30.0)
    run = RunCurve("r", "r", np.arange(30) * 10, np.arange(30.0), true_returns + 1000, true_returns)
    (row,) = summary_table([run])
    assert row.final_return == pytest.approx(np.mean(true_returns[-20:])), "true return, not the shaped one"
    (empty,) = summary_table([RunCurve("e", "e", [], [], [], [])])
    assert empty.final_return is None


def test_a_run_snapshot_becomes_a_curve() -> None:
    stats = RunStats(total_timesteps=1000, solved_threshold=5.0)
    for episode in range(25):
        stats.add_episode(step=(episode + 1) * 20, ret=episode - 1.0, true_ret=float(episode), length=20, wall_s=0.1)
    curve = RunCurve.from_snapshot("run-1", stats.snapshot(), label="PPO seed 0", group="k", cpu_s=1.5)
    assert curve.episodes == 25 and curve.label == "PPO seed 0" and curve.group == "k" and curve.cpu_s == 1.5
    assert curve.true_returns[-1] == 24.0 and curve.returns[-1] == 23.0
    assert curve.solved_at_step == stats.solved_at_step == 400
    with pytest.raises(ValueError, match="one entry per episode"):
        RunCurve("bad", "bad", [1, 2], [0.1], [1.0, 2.0], [1.0, 2.0])
