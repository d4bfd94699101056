"""AppTest for the Compare page: what its statistics claim, how its table shows numbers, and which runs still wait.

Issue 8 item 10 (three runs of seed 0 drawn as "mean of 3 seeds" with a band; ``None`` and 4-decimal seconds in
tables) and issue 9 item 3 (say which selected runs are still queued, and where, or running).
"""

from __future__ import annotations

import json
import re

from streamlit.testing.v1 import AppTest

from agents.analysis.compare import group_key
from agents.config.run_config import build_config
from agents.runs.manager import get_manager
from agents.runs.run import Run, RunStatus
from tests.conftest import wait_until
from tests.test_app_pages import _no_entrypoint_rerun, app_at, shown  # noqa: F401  (autouse fixture)
from tests.test_app_runs_compare import _finished_runs
from ui.compare_view import group_label, run_label

SMALL = {"net_arch": "32"}


def displayed(at: AppTest, index: int = 0) -> list[dict[str, str]]:
    """The table as the reader sees it, as text (the grid draws any null cell as "None", so none may be sent)."""
    frame = at.dataframe[index].value
    assert not frame.isna().any().any(), "a null cell would be drawn as 'None'"
    return frame.astype(str).to_dict("records")


def trace_names(at: AppTest) -> list[str]:
    return [trace.get("name", "") for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]


def stopped_after(steps: int) -> Run:
    """A seed-0 run of one configuration, stopped by hand once it has trained ``steps`` steps."""
    config = build_config("CartPole-v1", "ppo", seed=0, timesteps=200_000, overrides=SMALL)
    run = get_manager().start(config)
    assert wait_until(lambda: run.snapshot().timesteps >= steps and run.snapshot().episode_steps, timeout=60)
    run.stop()
    assert run.join(30) and run.status == RunStatus.STOPPED
    return run


def test_runs_repeating_one_seed_are_one_seed_with_no_band_and_say_so() -> None:
    runs = [stopped_after(steps) for steps in (600, 1_200, 1_800)]
    at = app_at("pages/compare.py", runs=",".join(run.id for run in runs))
    assert not at.exception
    names = trace_names(at)
    assert not any("mean of" in name or "bootstrap CI" in name or "IQM" in name for name in names), names
    assert any("seed 0 (one run)" in name for name in names)
    warnings = " ".join(shown(w.value) for w in at.warning)
    assert "2 runs repeat a seed (seed 0 3 times)" in warnings and "One seed only (seed 0)" in warnings
    rows = displayed(at)
    assert [row[""] for row in rows] == ["run", "run", "run"], "no group row: there is one seed"
    for row in rows:
        assert row["steps to solve"] == "–" and row["seconds to solve"] == "–" and row["IQM"] == "–"
        assert "None" not in row.values() and "nan" not in row.values()
        assert re.fullmatch(r"[\d,]+\.\d", row["CPU s"]), row["CPU s"]
        assert re.fullmatch(r"-?[\d,]+\.\d", row["final return"]), row["final return"]


def test_four_distinct_seeds_get_a_mean_a_band_and_an_iqm() -> None:
    ids = _finished_runs((0, 1, 2, 3))
    at = app_at("pages/compare.py", runs=",".join(ids))
    assert not at.exception
    names = trace_names(at)
    assert any("mean of 4 seeds" in name for name in names) and any("IQM of 4 seeds" in name for name in names)
    assert not any("IQM" in shown(w.value) for w in at.warning)
    (group,) = [row for row in displayed(at) if row[""] == "group"]
    assert group["seeds"] == "4" and group["solved"].endswith("/4") and group["95% CI"].startswith("[")
    assert re.fullmatch(r"-?[\d,]+\.\d", group["IQM"]), group["IQM"]


def test_compare_says_which_selected_runs_are_queued_and_where_or_training() -> None:
    manager = get_manager()
    runs = [
        manager.start(build_config("CartPole-v1", "ppo", seed=seed, timesteps=500_000, overrides=SMALL))
        for seed in range(manager.max_concurrent + 2)
    ]
    queued = [run for run in runs if run.status == RunStatus.QUEUED]
    assert len(queued) >= 2
    at = app_at("pages/compare.py", runs=",".join(run.id for run in runs))
    assert not at.exception
    info = " ".join(shown(i.value) for i in at.info)
    for run in queued:
        place = f"number {manager.queue_position(run)} in the queue"
        assert f"{run_label(run)} is waiting to start: {place}" in info
    assert "number 1 in the queue" in info and "number 2 in the queue" in info
    assert "still training" in info or "waiting to start" in info
    for run in runs:
        run.stop()


def test_runs_table_shows_dashes_and_rounded_numbers() -> None:
    _finished_runs((0,))
    at = app_at("pages/runs.py")
    assert not at.exception
    row = displayed(at)[0]
    assert row["solved at step"] == "–", "not solved: a dash, not None"
    assert re.fullmatch(r"-?[\d,]+\.\d", row["best return"]) and re.fullmatch(r"[\d,]+", row["steps"])
    assert "None" not in row.values() and "nan" not in row.values()


def test_a_run_changed_while_training_is_a_group_of_its_own_that_says_what_changed() -> None:
    """Issue 13 item 3: a mid-run change is part of the experiment; on Compare it is named, never averaged in."""
    plain = build_config("CartPole-v1", "ppo", seed=0, timesteps=20_000)
    changed = plain.with_change("learning_rate", 8_192, 0.0009)
    labels = [group_label(Run(config)) for config in (plain, changed)]
    assert "changed" not in labels[0]
    assert re.search(r"changed while training: lr \S+ -> 0\.0009 at 8,192", labels[1]), labels[1]
    assert group_key(plain) != group_key(changed)
