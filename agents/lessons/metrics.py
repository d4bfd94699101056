"""What a lesson's checks measure on a finished run: the metrics, by name.

Each :class:`Metric` reads a run's snapshot (its episodes and logged values) or, for runs that learn from
labels, its labelling counters. :func:`measure` takes them all; ``lessons.yml``'s checks name them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from agents.runs.events import LabelsState
from agents.runs.live import SOLVE_WINDOW, RunSnapshot

VALUE_LOSS_KEY = "train/value_loss"
"""The value-function loss as PPO and A2C log it."""
VALUE_LOSS_TAIL = 5
"""Logged value losses averaged for ``value_loss_end`` (one update can be an outlier)."""


@dataclass(frozen=True)
class Metric:
    """A number measured on a finished run, which a check can compare with a bound."""

    name: str
    description: str
    measure: Callable[[RunSnapshot, int | None], float]
    """From the run's snapshot and the env's time limit (None when it has none)."""
    from_labels: Callable[[LabelsState], float] | None = None
    """Instead of ``measure``: from the run's labelling counters (NaN for a run that learns from no labels)."""


def _mean_first(values: list[float]) -> float:
    return float(sum(values[:SOLVE_WINDOW]) / len(values[:SOLVE_WINDOW])) if values else math.nan


def _mean_last(values: list[float]) -> float:
    return float(sum(values[-SOLVE_WINDOW:]) / len(values[-SOLVE_WINDOW:])) if values else math.nan


def _terminated_last(snapshot: RunSnapshot, time_limit: int | None) -> float:
    lengths = snapshot.episode_lengths[-SOLVE_WINDOW:]
    if not lengths:
        return math.nan
    return float(sum(1 for length in lengths if time_limit is None or length < time_limit))


def _value_loss_end(snapshot: RunSnapshot, time_limit: int | None) -> float:
    series = snapshot.losses.get(VALUE_LOSS_KEY, [])[-VALUE_LOSS_TAIL:]
    return float(sum(value for _, value in series) / len(series)) if series else math.nan


def _last_logged(key: str) -> Callable[[RunSnapshot, int | None], float]:
    def last(snapshot: RunSnapshot, time_limit: int | None) -> float:
        series = snapshot.losses.get(key, [])
        return float(series[-1][1]) if series else math.nan

    return last


def _peak_change(values: list[float]) -> float:
    """The mean of the last 20 episodes minus the best mean of 20 consecutive episodes before them."""
    if len(values) < 2 * SOLVE_WINDOW:
        return math.nan
    means = [sum(values[i : i + SOLVE_WINDOW]) / SOLVE_WINDOW for i in range(len(values) - 2 * SOLVE_WINDOW + 1)]
    return _mean_last(values) - max(means)


METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric(
            "true_return_last20",
            "mean true return (the env's own reward) of the last 20 training episodes",
            lambda snap, _: _mean_last(snap.episode_true_returns),
        ),
        Metric(
            "shaped_return_last20",
            "mean shaped return (what the agent optimises) of the last 20 training episodes",
            lambda snap, _: _mean_last(snap.episode_returns),
        ),
        Metric(
            "true_return_change",
            "mean true return of the last 20 episodes minus that of the first 20",
            lambda snap, _: _mean_last(snap.episode_true_returns) - _mean_first(snap.episode_true_returns),
        ),
        Metric(
            "shaped_return_change",
            "mean shaped return of the last 20 episodes minus that of the first 20",
            lambda snap, _: _mean_last(snap.episode_returns) - _mean_first(snap.episode_returns),
        ),
        Metric(
            "terminated_last20",
            "how many of the last 20 episodes ended before the time limit (in MountainCar: at the flag)",
            _terminated_last,
        ),
        Metric(
            "true_return_drop_from_peak",
            "mean true return of the last 20 episodes minus the best mean of 20 episodes before them",
            lambda snap, _: _peak_change(snap.episode_true_returns),
        ),
        Metric(
            "reward_model_accuracy_end",
            "the reward model's last held-out pair accuracy (learning from preferences)",
            _last_logged("train/reward_model_accuracy"),
        ),
        Metric(
            "reward_correlation_end",
            "the last correlation of learned and true reward per step (learning from preferences)",
            _last_logged("train/reward_correlation"),
        ),
        Metric(
            "labels_used",
            "labels the reward model learnt from (learning from preferences)",
            _last_logged("train/labels_used"),
        ),
        Metric(
            "cpu_s",
            "CPU seconds of the run's worker (the cost meter)",
            lambda snap, _: snap.cost.cpu_s if snap.cost is not None else math.nan,
        ),
        Metric(
            "params",
            "trainable parameters, every network of the run (the cost meter)",
            lambda snap, _: float(snap.cost.total_params) if snap.cost is not None else math.nan,
        ),
        Metric(
            "labeller_s_per_label",
            "seconds the labeller spent per label (the oracle's or a rule's measured time; a person's clicks)",
            lambda snap, _: math.nan,
            from_labels=lambda state: (
                sum(state.labeling_s_by_source.values()) / state.labels_used if state.labels_used else math.nan
            ),
        ),
        Metric(
            "value_loss_end",
            f"mean of the last {VALUE_LOSS_TAIL} logged value losses (PPO, A2C)",
            _value_loss_end,
        ),
    )
}


def measure(snapshot: RunSnapshot, time_limit: int | None, labels: LabelsState | None = None) -> dict[str, float]:
    """Every metric of one finished run (``labels``: its labelling counters, if it learnt from labels)."""
    return {
        name: (
            metric.measure(snapshot, time_limit)
            if metric.from_labels is None
            else (metric.from_labels(labels) if labels is not None else math.nan)
        )
        for name, metric in METRICS.items()
    }
