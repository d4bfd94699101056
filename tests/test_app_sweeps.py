"""AppTest of the Sweeps page: a link fills the form, a range outside the schema's bounds is refused under its
field, an oversized sweep is refused with a sentence before anything starts, and a tiny sweep shows its table,
its parallel-coordinates chart and its best configuration."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agents.runs.manager import get_manager
from agents.sweeps.runner import SWEEPS

TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[1] / "app.py")
TINY = {"n_steps": "32", "batch_size": "32", "n_envs": "2", "net_arch": "32", "timesteps": "64"}


@pytest.fixture(autouse=True)
def _no_entrypoint_rerun(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import ui.common

    monkeypatch.setattr(ui.common, "require_entrypoint", lambda: None)
    yield
    SWEEPS.stop_all()  # before the autouse fixture stops the manager's runs: no sweep starts another after it


def sweeps_at(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.switch_page("pages/sweeps.py")
    return at.run()


def start_button(at: AppTest):  # type: ignore[no-untyped-def]
    return next(b for b in at.sidebar.button if b.label == "Start the sweep")


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error).replace("\\", "")


def test_a_link_fills_the_form_and_a_range_outside_the_schema_is_refused_under_its_field() -> None:
    before = len(get_manager().runs())
    at = sweeps_at(env="Acrobot-v1", algo="dqn", method="grid", seeds="1", learning_rate="1e-4:1e-2", net_arch="32,64")
    assert not at.exception
    assert at.sidebar.selectbox[0].value == "Acrobot-v1" and at.sidebar.selectbox[1].value == "dqn"
    assert at.sidebar.multiselect[0].value == ["learning_rate", "net_arch"]
    low = at.sidebar.number_input(key="sw_dqn_learning_rate_low")
    assert low.value == pytest.approx(1e-4)
    assert not start_button(at).disabled
    assert any("grid search, 6 trials x 1 seed" in c.value for c in at.sidebar.caption)  # 3 points x 2 options

    low.set_value(5.0).run()  # out of the schema's bounds: kept as typed, refused right under it
    assert "learning_rate must be between 1e-06 and 1, not 5" in errors(at)
    assert at.sidebar.number_input(key="sw_dqn_learning_rate_low").value == 5.0
    assert start_button(at).disabled
    low.set_value(1e-4).run()
    assert errors(at) == "" and not start_button(at).disabled

    at.sidebar.multiselect[0].set_value(["learning_rate", "batch_size"]).run()  # a number's values, typed as a list
    at.sidebar.toggle(key="sw_dqn_batch_size_list").set_value(True).run()
    at.sidebar.text_input(key="sw_dqn_batch_size_listed").set_value("32, abc").run()
    assert "batch_size: 'abc' is not a number" in errors(at) and start_button(at).disabled
    at.sidebar.text_input(key="sw_dqn_batch_size_listed").set_value("32, 64").run()
    assert any(
        "6 trials x 1 seed over learning_rate, batch_size" in c.value.replace("\\", "") for c in at.sidebar.caption
    )
    assert len(get_manager().runs()) == before and "sweep" not in at.query_params  # the form alone starts nothing


def test_a_hostile_link_is_refused_value_by_value_and_an_oversized_sweep_never_starts() -> None:
    at = sweeps_at(env="CartPole-v1", algo="ppo", learning_rate="1e-4:9", gamma="0.9:0.99", bogus="<script>", seeds="3")
    warnings = "\n".join(w.value for w in at.warning).replace("\\", "")
    assert "ignored learning_rate must be between 1e-06 and 1, not 9" in warnings
    assert "ignored unknown parameter 'bogus'" in warnings and "<script>" not in warnings
    assert at.sidebar.multiselect[0].value == ["gamma"]
    assert not at.exception
    at.sidebar.radio[0].set_value("grid").run()
    at.sidebar.number_input(key="sw_points").set_value(10).run()
    at.sidebar.multiselect[0].set_value(["learning_rate", "n_epochs"]).run()
    assert "asks for 300 runs (a grid of 100 configurations times 3 seeds)" in errors(at)
    assert "at most 48 (RL_PLAYGROUND_MAX_SWEEP_RUNS)" in errors(at)
    assert start_button(at).disabled
    assert "sweep" not in at.query_params and SWEEPS.get(at.query_params.get("sweep")) is None


@pytest.mark.slow
def test_a_tiny_sweep_shows_its_table_chart_and_best_configuration() -> None:
    at = sweeps_at(env="CartPole-v1", algo="ppo", method="grid", seeds="1", learning_rate="1e-3,3e-2", **TINY)
    start_button(at).click().run()
    sweep_id = at.query_params["sweep"]
    sweep = SWEEPS.get(sweep_id if isinstance(sweep_id, str) else sweep_id[0])
    assert sweep is not None and [t.params for t in sweep.trials] == [{"learning_rate": 0.001}, {"learning_rate": 0.03}]
    deadline = time.monotonic() + 120
    while not sweep.done and time.monotonic() < deadline:
        time.sleep(0.5)
    assert sweep.done
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["status"]) == ["finished", "finished"] and list(table["learning_rate"]) == ["0.001", "0.03"]
    assert all(metric != "-" for metric in table["metric"])
    # every trial is an ordinary run of the server's manager, so Runs and Compare list it
    ids = {run.id for run in get_manager().runs()}
    assert all(run_id in ids for result in sweep.results() for run_id in result.run_ids)
    chart = at.get("plotly_chart")[0].proto.spec
    assert '"type":"parcoords"' in chart.replace(" ", "")
    (metric_axis,) = [d for d in json.loads(chart)["data"][0]["dimensions"] if d["label"] == "metric"]
    assert [f"{v:.1f}" for v in metric_axis["values"]] == list(table["metric"]), "the chart's metric is the table's"
    assert all(v == round(v, 1) for v in metric_axis["values"]) and metric_axis["tickformat"] == ".1f"
    best = sweep.best()
    assert best is not None and f"trial {best.index + 1}" in "\n".join(m.value for m in at.markdown)
    link = next(b for b in at.get("link_button") if b.proto.label == "Open on Train").proto.url
    assert (
        link.startswith("/train?env=CartPole-v1&algo=ppo") and f"learning_rate={best.params['learning_rate']}" in link
    )
    assert any(b.proto.label == "RL Zoo YAML" for b in at.get("download_button"))
