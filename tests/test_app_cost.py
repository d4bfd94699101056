"""AppTest: the cost meter on the Train page, in the Runs table, and in Compare's table and ranking."""

from __future__ import annotations

from agents.analysis.compare import RunCurve
from agents.analysis.ranking import rank_by_cpu_to_solve
from agents.config.run_config import build_config
from agents.runs.manager import get_manager
from agents.runs.run import Run, RunStatus
from agents.storage.cost import TRAINING, Cost
from tests.test_app_pages import _no_entrypoint_rerun, app_at, shown  # noqa: F401  (autouse fixture)

PARAMS = 226 + 193  # CartPole, net_arch "32": the policy and the value function (tests/test_cost.py counts them)


def _finished(algo: str = "ppo", env_id: str = "CartPole-v1", seed: int = 0, **kwargs: object) -> Run:
    overrides = {"net_arch": "32"} if algo == "ppo" else {}
    config = build_config(env_id, algo, seed=seed, overrides=overrides, **kwargs)  # type: ignore[arg-type]
    run = get_manager().start(config)
    assert run.join(60) and run.status == RunStatus.FINISHED, run.error
    return run


def test_the_train_page_shows_the_run_s_cost_with_its_named_parts() -> None:
    run = _finished(timesteps=1_000)
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    line = next(shown(m.value) for m in at.markdown if m.value.startswith("**Cost:**"))
    assert f"{PARAMS:,} parameters (policy 226, value function 193)" in line
    assert "CPU " in line and "env steps (training " in line and "evaluation clips" in line and "0 labels" in line


def test_the_runs_table_shows_cpu_seconds_env_steps_parameters_and_labels() -> None:
    run = _finished(timesteps=1_000)
    at = app_at("pages/runs.py")
    assert not at.exception
    table = at.dataframe[0].value
    row = table[table["run"] == run.id].iloc[0]
    cost = run.snapshot().cost
    assert cost is not None and row["params"] == f"{PARAMS:,}" and row["labels"] == "0"
    assert row["env steps"] == f"{cost.total_env_steps:,}" and float(row["CPU s"]) > 0
    assert row["CPU s to solve"] == "–", "a run that did not solve has no cost to solve"


def test_compare_shows_the_cost_and_ranks_by_cpu_seconds_to_solve() -> None:
    solved = [_finished("q_learning", "GridWorld-v0", seed) for seed in (0, 1)]
    unsolved = _finished(timesteps=300)
    at = app_at("pages/compare.py", runs=",".join(r.id for r in [unsolved, *solved]))
    assert not at.exception
    summary, ranking = at.dataframe[0].value, at.dataframe[1].value
    group = summary[summary[""] == "group"].iloc[0]
    assert group["params"] == "48" and group["CPU s to solve"] != "–"  # GridWorld: 12 states x 4 actions
    assert list(ranking["rank"]) == [1, 2] and "q_learning" in ranking.iloc[0]["configuration"]
    assert ranking.iloc[0]["solved"] == "2/2" and ranking.iloc[1]["solved"] == "0/1", "unsolved last"
    assert any("Not by wall time" in c.value for c in at.caption)


def _curve(group: str, seed: int, cpu_to_solve: float | None) -> RunCurve:
    solved = cpu_to_solve is not None
    cost = Cost(
        cpu_s=10.0, env_steps={TRAINING: 100}, cpu_s_to_solve=cpu_to_solve, steps_to_solve=50 if solved else None
    )
    return RunCurve(
        f"{group}-{seed}", group, [50], [1.0], [1.0], [1.0], group=group, group_label=group, seed=seed,
        solved_at_step=50 if solved else None, cost=cost,
    )  # fmt: skip


def test_the_ranking_puts_more_solved_seeds_first_then_the_median_cpu_then_the_unsolved() -> None:
    curves = [
        _curve("never", 0, None),
        _curve("cheap-but-one-of-two", 0, 1.0),
        _curve("cheap-but-one-of-two", 1, None),
        _curve("dear", 0, 9.0),
        _curve("dear", 1, 11.0),
        _curve("cheaper", 0, 2.0),
        _curve("cheaper", 1, 8.0),
        _curve("cheaper", 2, 5.0),
    ]
    ranked = rank_by_cpu_to_solve(curves)
    assert [(r.label, r.solved, r.cpu_s_to_solve) for r in ranked] == [
        ("cheaper", 3, 5.0),  # three seeds solved: first, whatever the others' CPU
        ("dear", 2, 10.0),
        ("cheap-but-one-of-two", 1, 1.0),
        ("never", 0, None),
    ]
    assert [r.rank for r in ranked] == [1, 2, 3, 4]
