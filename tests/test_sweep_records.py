"""Sweeps kept in the runs folder: the Sweeps page lists and shows a past sweep after a server restart, and a
record that fails its checks (edited by hand, or hostile) is refused with a sentence, never half shown."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import agents.runs.manager as manager_module
from agents.runs.manager import RunManager, get_manager
from agents.storage.store import RunStore, default_root
from agents.sweeps import records
from agents.sweeps.runner import SWEEPS
from tests.conftest import wait_until
from tests.test_app_sweeps import TINY, _no_entrypoint_rerun, start_button, sweeps_at  # noqa: F401  (autouse fixture)


def _start_tiny_sweep() -> str:
    at = sweeps_at(env="CartPole-v1", algo="ppo", method="grid", seeds="1", learning_rate="1e-3,3e-2", **TINY)
    start_button(at).click().run()
    sweep = SWEEPS.get(at.query_params["sweep"])
    assert sweep is not None
    deadline = time.monotonic() + 60
    while not sweep.done and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sweep.done
    record = default_root() / "sweeps" / sweep.id / "sweep.json"  # saved once more by the feeding thread when done
    assert wait_until(lambda: json.loads(record.read_text())["status"] == "done", 10)
    for run_id in sweep.run_ids():  # their workers gone and folders closed, as when a server stops
        run = get_manager().get(run_id)
        assert run is not None and run.join(30)
    return sweep.id


def _restart(monkeypatch: pytest.MonkeyPatch) -> RunManager:
    """As after a server restart: no sweep in memory, a new run manager that reads the runs folder."""
    monkeypatch.setattr(SWEEPS, "_sweeps", {})
    fresh = RunManager(store=RunStore(default_root()))
    monkeypatch.setattr(manager_module, "_manager", fresh)
    return fresh


def test_a_sweep_started_in_the_app_is_listed_and_shown_after_a_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    sweep_id = _start_tiny_sweep()
    before = {r.index: r for r in SWEEPS.get(sweep_id).results()}  # type: ignore[union-attr]
    record = json.loads((default_root() / "sweeps" / sweep_id / "sweep.json").read_text())
    assert record["status"] == "done" and [t["status"] for t in record["trials"]] == ["finished", "finished"]

    fresh = _restart(monkeypatch)
    at = sweeps_at()
    past = at.button(key=f"past-sweep-{sweep_id}")
    assert not at.exception and "grid search, 2 trials x 1 seed over learning_rate · done" in past.label
    at = past.click().run()
    assert not at.exception and at.query_params["sweep"] == sweep_id
    assert any("From the runs folder" in c.value and "finished" in c.value for c in at.caption)
    table = at.dataframe[0].value
    assert list(table["status"]) == ["finished", "finished"] and list(table["learning_rate"]) == ["0.001", "0.03"]
    assert list(table["metric"]) == [records_metric(before[0].metric), records_metric(before[1].metric)]
    shown = SWEEPS.get(sweep_id) or records.load(default_root(), sweep_id, fresh.get)
    for result in shown.results():  # each trial's run is an ordinary stored run the new server knows
        assert len(result.run_ids) == 1 and fresh.get(result.run_ids[0]) is not None, (result, fresh.store.run_ids())
    compare = next(b for b in at.get("link_button") if b.proto.label == "Compare the runs").proto.url
    assert all(run_id in compare for result in before.values() for run_id in result.run_ids)


def records_metric(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _write(root: Path, sweep_id: str, record: object) -> None:
    folder = root / "sweeps" / sweep_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sweep.json").write_text(record if isinstance(record, str) else json.dumps(record))


GOOD = {
    "sweep_id": "20260101-000000-aaaaaa",
    "started_at": 1767225600.0,
    "status": "done",
    "driver": "",
    "definition": {"env": "CartPole-v1", "algo": "ppo", "method": "grid", "seeds": "1", "learning_rate": "0.001,0.01"},
    "trials": [
        {"trial": 1, "params": {"learning_rate": 0.001}, "status": "finished", "metric": 21.5,
         "seed_metrics": [21.5], "run_ids": ["20260101-000001-bbbbbb"]},
        {"trial": 2, "params": {"learning_rate": 0.01}, "status": "failed", "metric": None,
         "seed_metrics": [None], "run_ids": ["20260101-000002-cccccc"]},
    ],
}  # fmt: skip


def _with(**changes: object) -> dict:
    return {**GOOD, **changes}


def _trial(**changes: object) -> dict:
    return {**GOOD, "trials": [{**GOOD["trials"][0], **changes}]}  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ("\x80\x04\x95 not json", "cannot be read"),  # a pickle's first bytes: never unpickled
        ([1, 2], "not a sweep's"),
        (_with(sweep_id="20260101-000000-ffffff"), "names another sweep"),
        (_with(definition={"env": "CartPole-v1", "algo": "ppo", "learning_rate": "0.001,9"}), "not valid here"),
        (
            _with(definition={"env": "CartPole-v1", "algo": "ppo", "learning_rate": "1e-3,1e-2", "x": "<b>"}),
            "not valid",
        ),
        (_trial(params={"learning_rate": 5.0}), "trial 1"),
        (_trial(params={"gamma": 0.9}), "each searched hyperparameter"),
        (_trial(run_ids=["../../etc"]), "not run ids"),
        (_trial(metric=float("inf")), "finite"),
        (_trial(status="<script>"), "status"),
        (_with(started_at="yesterday"), "finite number"),
    ],
)
def test_a_record_that_fails_its_checks_is_refused_with_why(tmp_path: Path, record: object, reason: str) -> None:
    _write(tmp_path, GOOD["sweep_id"], record)  # type: ignore[arg-type]
    with pytest.raises(records.RecordError, match=reason):
        records.load(tmp_path, GOOD["sweep_id"], lambda run_id: None)


def test_a_good_record_loads_with_its_rows_when_its_runs_are_gone(tmp_path: Path) -> None:
    _write(tmp_path, GOOD["sweep_id"], GOOD)
    (listed,) = records.stored(tmp_path)
    assert (listed.sweep_id, listed.status, listed.trials) == (GOOD["sweep_id"], "done", 2)
    sweep = records.load(tmp_path, GOOD["sweep_id"], lambda run_id: None)
    assert [(r.status, r.metric, r.run_ids) for r in sweep.results()] == [
        ("finished", 21.5, ("20260101-000001-bbbbbb",)),
        ("failed", None, ("20260101-000002-cccccc",)),
    ]
    assert sweep.done and not sweep.is_owner("anyone") and sweep.best().index == 0  # type: ignore[union-attr]
    with pytest.raises(records.RecordError, match="not a sweep id"):
        records.load(tmp_path, "../sweeps", lambda run_id: None)


def test_a_sweep_id_in_the_address_that_names_a_bad_record_shows_a_warning_not_a_traceback() -> None:
    _write(default_root(), "20260101-000000-dddddd", {"sweep_id": "20260101-000000-dddddd", "definition": "x"})
    at = sweeps_at(sweep="20260101-000000-dddddd")
    assert not at.exception
    assert any("That sweep is not on this server: its definition is not a link's query" in w.value for w in at.warning)
    assert get_manager() is not None


def test_sweep_records_past_the_limit_are_pruned_oldest_first_by_a_new_sweep(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A class server's sweeps folder stays bounded: a new sweep's first save removes the oldest past MAX_KEPT."""
    monkeypatch.setattr(records, "MAX_KEPT", 3)
    root = tmp_path / "sweeps"
    ids = [f"20261201-0{hour}0000-abcdef" for hour in range(1, 6)]  # ids sort by start time
    for sweep_id in ids[:4]:
        (root / sweep_id).mkdir(parents=True)
        (root / sweep_id / "sweep.json").write_text("{}")
    (root / "notes").mkdir()  # not a sweep's folder: never touched
    (root / ids[4]).mkdir()  # named like one but no record (a run's folder, if --out pointed here): never touched
    sweep_id = _start_tiny_sweep()  # saves its record in the default runs folder, whose own sweeps are counted there
    assert records.prune(root, keep=2) == [ids[1], ids[0]]
    assert sorted(p.name for p in root.iterdir()) == [ids[2], ids[3], ids[4], "notes"]
    kept = records.sweeps_root(default_root())
    assert (kept / sweep_id / "sweep.json").is_file()  # the new sweep's own record stays
    for extra in ids:  # more old records than the limit, then one more sweep's first save
        (kept / extra.replace("20261201", "20201201")).mkdir()
        (kept / extra.replace("20261201", "20201201") / "sweep.json").write_text("{}")
    second = _start_tiny_sweep()
    names = sorted(p.name for p in kept.iterdir())
    assert len(names) == 3 and second in names and sweep_id in names
