"""Seeing the reward model: the worker reports it after each refit (a point of the label-efficiency curve and a bounded
sample of learned against true reward), the server keeps the curve without holding a model, and the run's folder
keeps it for a stored run's page and a resumed run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agents.config.run_config import build_config
from agents.feedback.report import (
    MAX_SAMPLE_POINTS,
    REPORT_FILE,
    RewardReport,
    reports_from_json,
    reports_to_json,
)
from agents.runs.control import RunControl
from agents.runs.events import CollectingSink
from agents.runs.live import RunStats
from agents.runs.preferences import PreferenceLearning
from agents.runs.run import Run, RunStatus
from agents.runs.training import TrainJob, train
from agents.storage.store import RunStore
from ui.charts import returns_figure
from ui.reward_model_view import correlation_text, label_efficiency_figure, reward_scatter_figure

TINY_PPO = {"n_steps": 64, "batch_size": 32, "n_epochs": 1, "net_arch": "32"}


def _config(timesteps: int = 640, labels: str = "30"):
    feedback = {"feedback": "oracle", "labels": labels, "initial_labels": "10", "fragment_length": "10"}
    return build_config("Pendulum-v1", "ppo", overrides=TINY_PPO, timesteps=timesteps, feedback=feedback)


def _swing(obs: np.ndarray) -> np.ndarray:
    return np.clip(np.array([-obs[2]], dtype=np.float32), -2.0, 2.0)


def test_a_report_samples_at_most_its_bound_of_recent_steps_and_keeps_the_loops_figures() -> None:
    learning = PreferenceLearning(_config(), None)
    learning.loop.query(_swing, 20)  # 40 clips of 10 steps: 400 steps, more than the sample holds
    report = learning.report(step=123)
    stats = learning.stats
    assert report.step == 123 and report.labels_used == 20
    assert report.accuracy == stats.reward_model_accuracy and report.correlation == stats.reward_correlation
    assert report.sample_of == 400 and len(report.learned) == len(report.true) == MAX_SAMPLE_POINTS
    # the sample's true rewards are the clips' own steps, and the learned ones the reward the agent is paid
    steps = np.concatenate([f.true_rewards for f in learning.loop.recent])
    assert set(report.true) <= {round(float(v), 5) for v in steps}
    assert np.corrcoef(report.learned, report.true)[0, 1] == pytest.approx(report.correlation, abs=0.1)
    learning.close()


def test_reports_round_trip_through_json_and_only_the_latest_keeps_its_sample() -> None:
    first = RewardReport(100, 10, 0.5, 0.2, learned=(0.1, 0.2), true=(-1.0, -0.5), sample_of=2)
    second = RewardReport(200, 20, None, None, learned=(0.3,), true=(-0.2,), sample_of=1)
    again = reports_from_json(reports_to_json([first, second]))
    assert again == [first.without_sample(), second]
    with pytest.raises(ValueError):
        reports_from_json(json.dumps({"reports": [{**second.to_json(), "learned": [float("nan")]}]}))
    stats = RunStats(1000, None)
    stats.add_reward_report(first)
    stats.add_reward_report(second)
    assert stats.snapshot().reward_reports == (first.without_sample(), second)  # one sample in memory, not one a refit


def test_the_worker_reports_the_reward_model_after_each_refit_and_keeps_the_curve_in_the_folder(
    tmp_path: Path,
) -> None:
    sink = CollectingSink()
    train(TrainJob("20261130-000000-abcdef", _config(), folder=tmp_path, record_episodes=False), RunControl(), sink)
    reports = sink.of_type(RewardReport)
    assert len(reports) >= 2
    assert reports[0].labels_used == 10 and reports[-1].labels_used == 30  # the first labels, then the schedule's
    assert [r.labels_used for r in reports] == sorted({r.labels_used for r in reports})  # one point per refit
    assert all(0 < len(r.learned) <= MAX_SAMPLE_POINTS for r in reports)
    stored = reports_from_json((tmp_path / REPORT_FILE).read_bytes())
    assert [r.without_sample() for r in stored] == [r.without_sample() for r in reports]
    assert stored[-1] == reports[-1]


def test_a_stored_lab_run_draws_its_reward_model_again_after_a_restart(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run = Run(_config(), record_episodes=False, store=store)
    run.start()
    assert run.join(120) and run.status == RunStatus.FINISHED, run.error
    live = run.snapshot().reward_reports
    restored = Run.restore(store.open(run.id), record_episodes=False)
    assert restored.snapshot().reward_reports == live and live[-1].labels_used == 30


def test_the_charts_draw_both_returns_the_scatter_with_its_correlation_and_the_label_efficiency_curve() -> None:
    stats = RunStats(1000, -200.0)
    for step, true, learned in ((200, -1200.0, -15.0), (400, -900.0, 5.0), (600, -400.0, 30.0)):
        stats.add_episode(step, learned, true, 200, step / 100)
    returns = returns_figure(stats.snapshot(), threshold=-200.0, show_shaped=True, learned=True).to_plotly_json()
    axes = {trace["name"]: trace.get("yaxis", "y") for trace in returns["data"]}
    assert (
        axes["true return, per episode"] == "y"
        and axes["learned return (what the agent optimises), per episode"] == "y2"
    )
    assert "shaped" not in json.dumps([trace["name"] for trace in returns["data"]])  # a lab run's words
    assert returns["layout"]["yaxis2"]["title"]["text"] == "learned return (normalised)"

    report = RewardReport(600, 30, 0.8, 0.91234, learned=(0.1, 0.5, 0.9), true=(-3.0, -2.0, -1.0), sample_of=250)
    scatter = reward_scatter_figure(report).to_plotly_json()
    assert scatter["layout"]["title"]["text"] == correlation_text(report)
    assert "correlation 0.91" in correlation_text(report) and "250 steps" in correlation_text(report)
    assert list(scatter["data"][0]["x"]) == [-3.0, -2.0, -1.0] and list(scatter["data"][0]["y"]) == [0.1, 0.5, 0.9]
    assert "no correlation" in correlation_text(RewardReport(1, 2, None, None))

    curve = label_efficiency_figure([RewardReport(100, 10, None, None), RewardReport(200, 20, 0.6, 0.3), report])
    points = curve.to_plotly_json()["data"][0]
    assert list(points["x"]) == [20, 30] and list(points["y"]) == [0.6, 0.8]  # refits with a held-out accuracy
