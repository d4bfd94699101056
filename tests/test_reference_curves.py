"""Reference curves: the measured bands load with their source, belong to exactly the configuration measured, and
are drawn behind a run's own curve on the Train page."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from agents.config import reference_curves
from agents.config.reference_curves import (
    REFERENCE_FILE,
    ReferenceCurve,
    ReferenceDataError,
    load,
    parse,
    reference_for,
    reference_note,
)
from agents.config.run_config import RunConfig, build_config
from agents.runs.live import RunStats
from benchmarks.bench_reference_curves import MEASURED_PRESETS, band, checkpoint_steps, curve_at
from benchmarks.steps_per_s import selected
from tests.test_app_learner import finished_run
from tests.test_app_pages import _no_entrypoint_rerun, app_at  # noqa: F401  (autouse fixture)
from ui.charts import returns_figure


def entry(config: RunConfig, **changes: Any) -> dict[str, Any]:
    """A data-file entry for ``config`` as the benchmark writes one (four checkpoints)."""
    budget = config.total_timesteps
    data = {
        "env_id": config.env_id,
        "algo": config.algo,
        "preset": config.preset_info.name,
        "timesteps": budget,
        "hyperparams": dict(config.hyperparams),
        "seeds": [0, 1, 2],
        "steps": [budget // 4, budget // 2, 3 * budget // 4, budget],
        "p10": [None, 20.0, 60.0, 150.0],
        "p50": [None, 30.0, 90.0, 200.0],
        "p90": [None, 45.0, 120.0, 300.0],
        "wall_s_per_seed": 1.0,
        "measured_on": "2026-11-30",
        "commit": "abc1234",
        "machine": {"cores": 2, "cpu": "AMD EPYC"},
        "load_average": [1.0, 1.0],
    }
    return {**data, **changes}


def curves_for(*configs: RunConfig) -> tuple[ReferenceCurve, ...]:
    return parse({"curves": [entry(config) for config in configs]})


DEMO = build_config("CartPole-v1", "ppo", preset="demo")


def test_the_stored_file_loads_and_every_band_still_matches_its_preset_as_defined_today() -> None:
    raw = json.loads(REFERENCE_FILE.read_text())
    assert raw["script"] == "python -m benchmarks.bench_reference_curves"
    curves = load()
    assert curves, "no reference curve is stored"
    for curve in curves:
        config = build_config(curve.env_id, curve.algo, preset=curve.preset)
        # a preset edited after its band was measured loses its band: measure it again
        assert reference_for(config) == curve, f"{curve.env_id}/{curve.algo}/{curve.preset} differs from its preset"
        assert len(curve.seeds) >= 3 and curve.measured_on and curve.commit and "cores" in curve.machine


def test_every_demo_and_rl_zoo_preset_has_its_band() -> None:
    """Issue 13: a learner sees for every demo and RL Zoo preset whether a run is on track."""
    presets = [(env, algo, name) for env, algo, name in selected([], []) if name in MEASURED_PRESETS]
    missing = [case for case in presets if reference_for(build_config(case[0], case[1], preset=case[2])) is None]
    assert len(presets) >= 26 and missing == [], f"no band for {missing}: python -m benchmarks.bench_reference_curves"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"p50": [None, 30.0, 90.0]}, "one value per step"),
        ({"p10": [None, 40.0, 60.0, 150.0]}, "out of order"),
        ({"p90": [None, 45.0, 120.0, float("nan")]}, "non-finite"),
        ({"p10": [10.0, 20.0, 60.0, 150.0]}, "different steps"),
        ({"steps": [100, 50, 150, DEMO.total_timesteps]}, "increasing"),
        ({"steps": [1, 2, 3, 4]}, "budget"),
        ({"commit": None}, "commit"),
        ({"timesteps": True}, "timesteps"),
    ],
)
def test_a_malformed_entry_is_refused_naming_what_is_wrong(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ReferenceDataError, match=message):
        parse({"curves": [entry(DEMO, **change)]})
    with pytest.raises(ReferenceDataError):
        parse({"bands": []})


def test_a_band_belongs_to_its_preset_as_measured_with_any_seed_and_nothing_else() -> None:
    zoo = build_config("CartPole-v1", "ppo", preset="zoo")
    curves = curves_for(DEMO, zoo)
    assert reference_for(DEMO, curves).preset == "demo"
    assert reference_for(replace(DEMO, seed=7), curves).preset == "demo"  # the band is over seeds
    assert reference_for(zoo, curves).preset == "zoo"
    assert reference_for(build_config("CartPole-v1", "ppo", preset="defaults"), curves) is None
    assert reference_for(build_config("Acrobot-v1", "ppo", preset="demo"), curves) is None
    changed = build_config("CartPole-v1", "ppo", preset="demo", overrides={"learning_rate": 0.0005})
    assert reference_for(changed, curves) is None
    assert "changes learning_rate" in reference_note(changed, curves)
    shorter = build_config("CartPole-v1", "ppo", preset="demo", timesteps=60_000)
    assert reference_for(shorter, curves) is None and "timesteps" in reference_note(shorter, curves)
    shaped = build_config("CartPole-v1", "ppo", preset="demo", shaping={"living_reward": 0.5})
    assert reference_for(shaped, curves) is None and "reward shaping" in reference_note(shaped, curves)
    assert "settings while it trained" in reference_note(DEMO, curves, changed_while_training=True)
    scheduled = replace(DEMO, schedule={"learning_rate": ((5_000, 0.0005),)})
    assert reference_for(scheduled, curves) is None and "while it trained" in reference_note(scheduled, curves)
    note = reference_note(DEMO, curves)
    assert "3 seeds" in note and "abc1234" in note and "2026-11-30" in note
    # a preset edited after its band was measured: the stored values are not today's
    stale = parse({"curves": [entry(DEMO, hyperparams={**DEMO.hyperparams, "n_epochs": 20})]})
    assert reference_for(DEMO, stale) is None


def _snapshot(timesteps: int, steps: list[int], returns: list[float]) -> Any:
    stats = RunStats(DEMO.total_timesteps, None)
    for step, value in zip(steps, returns, strict=True):
        stats.add_episode(step, value, value, int(value), 0.1)
    stats.timesteps = timesteps
    return stats.snapshot()


def test_the_band_is_drawn_behind_the_curve_up_to_the_next_stored_step() -> None:
    (curve,) = curves_for(DEMO)
    snap = _snapshot(70_000, [10_000, 65_000], [20.0, 80.0])
    fig = returns_figure(snap, threshold=475.0, show_shaped=False, reference=curve)
    names = [trace.name for trace in fig.data]
    labelled = names.index("reference: PPO demo, 3 seeds, median and 10-90%")
    assert labelled < names.index("true return, per episode") and labelled < names.index("true return, mean of last 20")
    band_traces = [trace for trace in fig.data if trace.legendgroup == "reference"]
    assert len(band_traces) == 3 and band_traces[1].fill == "tonexty"
    median = next(trace for trace in band_traces if trace.name == "reference median")
    # stored steps 30k, 60k and 90k (the first past the run's 70k); 30k has none (a seed had no episode yet)
    assert list(median.x) == [60_000, 90_000] and list(median.y) == [30.0, 90.0]
    assert list(band_traces[0].y) == [45.0, 120.0] and list(band_traces[1].y) == [20.0, 60.0]
    assert "abc1234" in median.hovertemplate
    plain = returns_figure(snap, threshold=475.0, show_shaped=False)
    assert not any("reference" in (trace.name or "") for trace in plain.data)


def test_the_benchmark_takes_the_mean_of_the_last_20_and_percentiles_only_where_every_seed_has_one() -> None:
    assert checkpoint_steps(100, 4) == [25, 50, 75, 100]
    episodes = [(step, float(step)) for step in range(10, 310, 10)]  # 30 episodes, return = step
    assert curve_at(episodes, [5, 30, 300]) == [None, 20.0, pytest.approx(sum(range(110, 310, 10)) / 20)]
    assert band([[None, 1.0], [2.0, 3.0], [4.0, 5.0]]) == {"p10": [None, 1.4], "p50": [None, 3.0], "p90": [None, 4.6]}


def test_the_train_page_draws_the_band_for_a_run_as_measured_and_says_why_not_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = finished_run(timesteps=1_000)
    other = finished_run(timesteps=1_000, overrides={"learning_rate": 0.0005})
    measured = run.config
    monkeypatch.setattr(reference_curves, "load", lambda: curves_for(measured))

    def returns_spec(run_id: str) -> tuple[dict[str, Any], list[str]]:
        at = app_at("pages/train.py", run=run_id)
        assert not at.exception
        specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
        spec = next(s for s in specs if s["layout"]["title"]["text"] == "Return per episode")
        return spec, [c.value for c in at.caption]

    spec, captions = returns_spec(run.id)
    names = [trace.get("name", "") for trace in spec["data"]]
    assert names[:3] == ["reference 90%", "reference: PPO demo, 3 seeds, median and 10-90%", "reference median"]
    assert any(c.startswith("The grey band is what the demo preset reached over 3 seeds") for c in captions)
    spec, captions = returns_spec(other.id)
    assert not any("reference" in trace.get("name", "") for trace in spec["data"])
    assert any("No reference band" in c and "learning_rate" in c for c in captions)
