"""The reducer of a worker's events into a run's :class:`~agents.runs.live.RunStats` (what pages draw)."""

from __future__ import annotations

from agents.feedback.report import RewardReport
from agents.runs.events import Episode, Evaluated, Event, Metrics, PolicySnapshotsKept, Progress, SettingChanged
from agents.runs.live import RunStats
from agents.runs.value_map import ValueMap
from agents.storage.cost import Cost


def reduce_event(stats: RunStats, event: Event) -> None:
    """Apply one event to ``stats``; events that say nothing about the charts (status, checkpoints) are ignored."""
    if isinstance(event, Episode):
        stats.add_episode(event.step, event.episode_return, event.true_return, event.length, event.train_s)
    elif isinstance(event, Progress):
        stats.set_progress(event.timesteps, event.train_s, event.cpu_s)
    elif isinstance(event, Metrics):
        stats.add_metrics(event.step, event.values)
    elif isinstance(event, Evaluated):
        stats.set_evaluation(event.result)
    elif isinstance(event, Cost):
        stats.set_cost(event)
    elif isinstance(event, ValueMap):
        stats.set_value_map(event)
    elif isinstance(event, PolicySnapshotsKept):
        stats.set_policy_snapshots(event.steps)
    elif isinstance(event, RewardReport):
        stats.add_reward_report(event)
    elif isinstance(event, SettingChanged):
        stats.set_setting(event.name, event.step, event.value)
