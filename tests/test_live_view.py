"""The small things a run's page must get right: the progress line, value axes, the solved line, no empty axes,
and the clip's caption."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from agents.analysis.compare import RunCurve
from agents.config.run_config import build_config
from agents.runs.live import RunStats
from agents.runs.manager import get_manager
from agents.runs.run import RunStatus
from ui.charts import losses_figure, returns_figure
from ui.compare_view import compare_figure
from ui.gridworld_view import returns_figure as gridworld_returns
from ui.run_figures import run_figures
from ui.run_view import NO_EPISODE_YET, progress_text

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def stats_with_episodes(threshold: float | None = 0.7) -> RunStats:
    stats = RunStats(10_000, threshold)
    for i in range(1, 41):
        stats.add_episode(i * 50, float(i % 2), float(i % 2), 50, i * 0.1)
    stats.set_progress(2_000, 4.0)
    stats.set_progress(4_000, 6.0)
    stats.add_metrics(1_000, {"train/value_loss": 4e-7, "train/learning_rate": 3e-4, "train/entropy_loss": -0.6})
    stats.add_metrics(2_000, {"train/value_loss": 2e-7, "train/learning_rate": 3e-4, "train/entropy_loss": -0.5})
    return stats


@pytest.mark.parametrize("status", [RunStatus.FINISHED, RunStatus.STOPPED, RunStatus.FAILED, RunStatus.INTERRUPTED])
def test_an_ended_runs_progress_line_says_how_long_it_trained_not_what_is_left(status: RunStatus) -> None:
    text = progress_text(stats_with_episodes().snapshot(), status)
    assert text.startswith("4,000 / 10,000 steps · ")
    assert "left" not in text and "–" not in text
    assert text.endswith("6 s of training")


def test_a_running_runs_progress_line_gives_the_time_left_only_when_known() -> None:
    snap = stats_with_episodes().snapshot()
    assert progress_text(snap, RunStatus.RUNNING).endswith("6 s elapsed · about 6 s left")  # 1,000 steps/s
    assert progress_text(snap, RunStatus.PAUSED).endswith("elapsed · paused")
    fresh = RunStats(10_000, None).snapshot()
    assert progress_text(fresh, RunStatus.RUNNING) == "0 / 10,000 steps · 0 s elapsed"


def test_every_value_axis_reads_scientific_not_si_prefixes() -> None:
    """A loss of 4e-7 read "400n" and a learning rate of 3e-4 "300µ" with plotly's default SI prefixes."""
    snap = stats_with_episodes().snapshot()
    figures = [*run_figures("axes-test", snap, threshold=0.7, show_shaped=True, algo="ppo").values()]
    curve = RunCurve("a", "a", np.array([10, 20]), np.array([1.0, 2.0]), np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    figures += [compare_figure([curve], x_axis="steps", shaped=False), gridworld_returns([0.0, 1.0, 0.5])]
    for figure in figures:
        value_axes = [name for name in figure.layout.to_plotly_json() if name.startswith("yaxis")]
        assert value_axes, figure.layout.title.text
        for name in value_axes:
            assert figure.layout[name].exponentformat == "e", (figure.layout.title.text, name)
    assert len([n for n in losses_figure(snap, "ppo").layout.to_plotly_json() if n.startswith("yaxis")]) == 3


def test_the_solved_line_is_named_in_the_legend_not_labelled_on_the_curve() -> None:
    """FrozenLake's mean return climbs to its threshold of 0.7 at the right edge, where the label used to sit."""
    snap = stats_with_episodes(threshold=0.7).snapshot()
    figure = returns_figure(snap, threshold=0.7, show_shaped=False)
    assert not figure.layout.annotations and not figure.layout.shapes
    (line,) = [trace for trace in figure.data if trace.name == "solved at 0.7"]
    assert list(line.x) == [50, 2_000] and list(line.y) == [0.7, 0.7]
    assert line.line.dash == "dash" and "solved" in line.hovertemplate


def test_before_the_first_episode_the_page_says_so_instead_of_drawing_empty_axes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ui.common

    monkeypatch.setattr(ui.common, "require_entrypoint", lambda: None)
    config = build_config("CartPole-v1", "ppo", timesteps=5_000, shaping={"reward_expr": "reward / (t - 3)"})
    run = get_manager().start(config, owner="y" * 20)  # fails at step 3 of its first episode
    assert run.join(30) and not run.snapshot().episode_steps
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"run": run.id})
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception
    assert NO_EPISODE_YET in [info.value for info in at.info]
    curves = [chart for chart in at.get("plotly_chart") if "-map-" not in chart.key]  # a map has content already
    assert not curves


def test_the_train_page_refuses_a_reward_the_learner_cannot_store_and_keeps_start_disabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """reward*exp(100) is finite in float64 and inf in SB3's float32 buffers: the preview's sample steps show it."""
    import ui.common

    monkeypatch.setattr(ui.common, "require_entrypoint", lambda: None)
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/train.py")
    at.run()
    at.text_input(key="sh_reward_expr").input("reward*exp(100)").run()
    assert not at.exception
    errors = [str(e.value).replace("\\", "") for e in at.error]
    assert any("gave 2.69e+43 (the learner stores float32" in e for e in errors), errors
    assert [b.disabled for b in at.button if b.label == "Start training"] == [True]
