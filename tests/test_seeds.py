"""Statistics claim only what they hold: distinct seeds, repeats set aside, lengths and the IQM's reach said in words.

The issue's input: three runs of one configuration, all with seed 0, stopped at different steps, were drawn as "mean
of 3 seeds" with a 95% band. They are one seed: no mean across seeds, no band, and a note saying so.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.analysis.compare import RunCurve, interquartile_mean
from agents.analysis.seeds import MIN_SEEDS_FOR_IQM, seed_groups
from agents.analysis.summary import summary_table
from ui.compare_view import compare_figure, group_notes, summary_frame


def run(run_id: str, seed: int | None, episodes: int, value: float = 100.0, group: str = "g") -> RunCurve:
    steps = np.arange(1, episodes + 1) * 100
    returns = np.full(episodes, value)
    return RunCurve(
        run_id, run_id, steps, steps / 1000, returns, returns, group=group, group_label="CartPole · ppo", seed=seed,
        timesteps=int(steps[-1]) if episodes else 0,
    )  # fmt: skip


def names(fig: object) -> list[str]:
    return [trace.name or "" for trace in fig.data]  # type: ignore[attr-defined]


def test_three_runs_of_seed_0_are_one_seed_not_three() -> None:
    curves = [run("a", 0, 30), run("b", 0, 50), run("c", 0, 40)]
    (group,) = seed_groups(curves)
    assert group.n_seeds == 1 and [c.run_id for c in group.seeds] == ["b"], "the run that trained longest"
    assert sorted(c.run_id for c in group.repeats) == ["a", "c"]
    notes = " ".join(group.notes())
    assert "2 runs repeat a seed (seed 0 3 times)" in notes and "One seed only (seed 0)" in notes
    fig = compare_figure(curves, x_axis="steps", shaped=False)
    assert not any("mean of" in name or "CI" in name or "IQM" in name for name in names(fig))
    assert any("seed 0 (one run)" in name for name in names(fig))
    assert [row.kind for row in summary_table(curves)] == ["run", "run", "run"], "no group row for one seed"


def test_repeats_do_not_count_as_seeds_in_the_mean_or_the_table() -> None:
    curves = [run("a", 0, 50, 10.0), run("b", 1, 50, 30.0), run("c", 1, 40, 1000.0)]
    (group,) = seed_groups(curves)
    assert group.n_seeds == 2 and [c.run_id for c in group.repeats] == ["c"]
    (row,) = [row for row in summary_table(curves) if row.kind == "group"]
    assert row.n_runs == 2 and row.final_return == pytest.approx(20.0), "the repeat's 1000 is not averaged in"
    assert any("mean of 2 seeds" in name for name in names(compare_figure(curves, x_axis="steps", shaped=False)))


def test_runs_of_different_lengths_are_said_to_differ_and_the_mean_stops_where_the_shortest_does() -> None:
    curves = [run("a", 0, 30), run("b", 1, 60)]
    (group,) = seed_groups(curves)
    assert group.lengths_differ
    assert any("different lengths (3,000 to 6,000 steps)" in note for note in group.notes())
    fig = compare_figure(curves, x_axis="steps", shaped=False)
    mean = next(trace for trace in fig.data if (trace.name or "").endswith("mean of 2 seeds"))
    drawn = np.asarray(mean.x, dtype=float)[~np.isnan(np.asarray(mean.y, dtype=float))]
    assert drawn.max() <= 3_000, "no 'mean of 2 seeds' where only one seed has data"
    same = seed_groups([run("a", 0, 30), run("b", 1, 30)])[0]
    assert not same.lengths_differ and not any("lengths" in note for note in same.notes())


@pytest.mark.parametrize("n_seeds", [2, 3])
def test_too_few_seeds_for_the_iqm_to_differ_is_said_not_drawn(n_seeds: int) -> None:
    values = np.arange(n_seeds, dtype=float) * 100
    assert interquartile_mean(values)[0] == pytest.approx(values.mean()), "the arithmetic the note relies on"
    curves = [run(f"r{i}", i, 30, values[i]) for i in range(n_seeds)]
    fig = compare_figure(curves, x_axis="steps", shaped=False)
    assert not any("IQM" in name for name in names(fig))
    assert any(f"With {n_seeds} seeds the IQM equals the mean" in note for note in group_notes(curves))
    table = summary_frame(curves)
    assert table[table[""] == "group"]["IQM"].isna().all()


def test_from_four_seeds_the_iqm_is_drawn_and_differs() -> None:
    values = [0.0, 100.0, 110.0, 1000.0]
    curves = [run(f"r{i}", i, 30, value) for i, value in enumerate(values)]
    assert MIN_SEEDS_FOR_IQM == 4
    fig = compare_figure(curves, x_axis="steps", shaped=False)
    iqm = next(trace for trace in fig.data if "IQM of 4 seeds" in (trace.name or ""))
    assert np.nanmax(np.asarray(iqm.y, dtype=float)) == pytest.approx(105.0)  # middle two of four
    (row,) = [row for row in summary_table(curves) if row.kind == "group"]
    assert row.final_return_iqm == pytest.approx(105.0) and row.final_return == pytest.approx(302.5)
    assert not any("IQM" in note for note in group_notes(curves))


def test_runs_without_a_seed_each_count_as_their_own() -> None:
    (group,) = seed_groups([run("a", None, 30), run("b", None, 30)])
    assert group.n_seeds == 2 and not group.repeats


def test_runs_still_waiting_are_kept_apart() -> None:
    (group,) = seed_groups([run("a", 0, 30), run("b", 1, 0)])
    assert [c.run_id for c in group.waiting] == ["b"] and group.n_seeds == 1
