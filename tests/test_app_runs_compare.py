"""AppTest for the Runs and Compare pages, and the Train page's "Run N seeds"."""

from __future__ import annotations

import json

from agents.config.run_config import build_config
from agents.runs.manager import get_manager
from agents.runs.run import RunStatus
from tests.test_app_pages import _no_entrypoint_rerun, app_at, shown  # noqa: F401  (autouse fixture)


def _finished_runs(seeds: tuple[int, ...], owner: str = "") -> list[str]:
    ids = []
    for seed in seeds:
        config = build_config("CartPole-v1", "ppo", seed=seed, timesteps=3_000, overrides={"net_arch": "32"})
        run = get_manager().start(config, owner=owner)
        assert run.join(60) and run.status == RunStatus.FINISHED
        ids.append(run.id)
    return ids


def test_runs_page_lists_runs_with_their_status_and_steps() -> None:
    ids = _finished_runs((0,))
    at = app_at("pages/runs.py")
    assert not at.exception
    table = at.dataframe[0].value
    row = table[table["run"] == ids[0]].iloc[0]
    assert row["status"] == "finished" and int(row["steps"].replace(",", "")) >= 3_000  # shown as "3,072"
    assert row["name"].startswith("CartPole · PPO · seed 0 · #"), "a readable name, not only the id"


def test_compare_groups_seeds_into_a_mean_with_a_band_and_a_table() -> None:
    ids = _finished_runs((0, 1, 2))
    at = app_at("pages/compare.py", runs=",".join(ids))
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [trace.get("name", "") for trace in spec["data"]]
    assert any("bootstrap CI" in name for name in names)
    assert any("mean of 3 seeds" in name for name in names)
    assert not any("IQM" in name for name in names), "with 3 seeds the IQM is the mean: not drawn as a line of its own"
    assert any("IQM equals the mean" in shown(w.value) for w in at.warning)
    table = at.dataframe[0].value
    group = table[table[""] == "group"].iloc[0]
    assert group["seeds"] == 3 and group["95% CI"].startswith("[")


def test_compare_ignores_malformed_run_ids_in_the_link() -> None:
    _finished_runs((0,))
    at = app_at("pages/compare.py", runs="../../etc,<script>,20990101-000000-abcdef")
    assert not at.exception
    assert at.multiselect[0].value  # fell back to a default selection of real runs


def test_train_page_queues_several_seeds() -> None:
    at = app_at("pages/train.py", env="CartPole-v1", algo="ppo", timesteps="2000")
    at.number_input(key="seed_count").set_value(3).run()
    next(b for b in at.button if b.label == "Run 3 seeds (0-2)").click().run()
    runs = [r for r in get_manager().runs() if r.config.total_timesteps == 2000]
    assert sorted(r.config.seed for r in runs[:3]) == [0, 1, 2]


def test_a_link_to_compare_runs_shows_those_runs_after_an_earlier_visit_to_compare() -> None:
    """*Compare these seeds* (Train page, lessons) opens Compare with its runs in the link; a session that had
    been on Compare before kept its old selection and drew other runs than the button named."""
    first, *others = _finished_runs((0, 1, 2))
    at = app_at("pages/compare.py", runs=first)
    assert at.multiselect[0].value == [first]
    at.switch_page("pages/runs.py").run()
    at.query_params.clear()
    at.query_params["runs"] = ",".join(others)
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert at.multiselect[0].value == others
    at.switch_page("pages/runs.py").run()
    at.query_params.clear()  # the sidebar's link to Compare: the selection the person left is kept
    at.switch_page("pages/compare.py").run()
    assert at.multiselect[0].value == others


def test_a_selection_changed_on_compare_is_kept_though_the_address_was_behind() -> None:
    first, second = _finished_runs((0, 1))
    at = app_at("pages/compare.py", runs=first)
    at.multiselect[0].select(second).run()
    assert at.multiselect[0].value == [first, second]
    at.query_params["runs"] = first  # the browser asks for a rerun before it showed the new address
    at.toggle(key="compare_shaped").set_value(True).run()
    assert at.multiselect[0].value == [first, second]


def test_a_run_another_browser_started_says_why_it_has_no_resume_or_delete() -> None:
    """A newcomer selected someone else's stopped run and found Resume and Delete silently missing."""
    (theirs,) = _finished_runs((0,), owner="another-browser-token-123")
    at = app_at("pages/runs.py")
    position = list(at.dataframe[0].value["run"]).index(theirs)
    at.session_state["runs_table"] = {"selection": {"rows": [position], "columns": []}}
    at.run()
    assert not at.exception
    assert not any(b.label in ("Resume from checkpoint", "Delete run") for b in at.button)
    assert any("Only the browser that started this run" in shown(c.value) for c in at.caption)


def test_run_n_seeds_opens_compare_on_its_own_runs_after_an_earlier_visit_to_compare() -> None:
    (earlier,) = _finished_runs((5,))
    at = app_at("pages/compare.py", runs=earlier)
    assert at.multiselect[0].value == [earlier]
    at.query_params.clear()
    at.switch_page("pages/train.py").run()
    at.number_input(key="seed_count").set_value(2).run()
    before = {run.id for run in get_manager().runs()}
    next(b for b in at.button if b.label == "Run 2 seeds (0-1)").click().run()
    queued = [run.id for run in get_manager().runs() if run.id not in before]
    assert len(queued) == 2 and not at.exception
    assert sorted(at.multiselect[0].value) == sorted(queued), "the seeds just queued, not the earlier selection"
