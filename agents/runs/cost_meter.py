"""The worker's cost meter: wall and CPU seconds, env steps, parameters and labels of one run, as it trains.

The worker body (:mod:`agents.runs.training`) keeps one :class:`CostMeter`: the algorithm names and counts its
trainable parameters (``AlgoInfo.parameters``), evaluation clips add their steps, and anything else the worker runs
for the run (the feedback lab's reward model and clips) joins as a :class:`CostSource`. :class:`ReportCost` notes
the reading at the moment the run counts as solved and reports the cost about once a second; the body reports it
again before each checkpoint and at the end, so ``status.json`` holds it (see :mod:`agents.storage.cost`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from stable_baselines3.common.callbacks import BaseCallback

from agents.runs.events import EventSink
from agents.storage.cost import AUTOMATED, EVALUATION_CLIPS, FEEDBACK_CLIPS, PERSON, TRAINING, Cost

REPORT_EVERY_S = 1.0
"""Seconds of training between two cost reports (the Train page redraws about once a second)."""

PERSON_SOURCES = frozenset({"human", "person"})
"""Labeller sources (``Labeler.source``) that are a person; every other source is automated."""

Clock = Callable[[], float]


class CostSource(Protocol):
    """Something else a run's worker computes for the run, with a cost of its own (e.g. learning from preferences)."""

    def cost_env_steps(self) -> Mapping[str, int]:
        """Env steps it took, by part (e.g. ``{"feedback clips": 1200}``)."""
        ...

    def cost_params(self) -> Mapping[str, int]:
        """Trainable parameters it adds, by part (e.g. ``{"reward model": 4481}``)."""
        ...

    def cost_labels(self) -> Mapping[str, int]:
        """Labels used, by who gave them (:data:`~agents.storage.cost.PERSON` or ``AUTOMATED``)."""
        ...


def labels_by_who(labels_by_source: Mapping[str, int]) -> dict[str, int]:
    """Labels by labeller source (``"human"``, ``"oracle"``, ``"rule"``) summed into a person's and automated ones."""
    labels = {PERSON: 0, AUTOMATED: 0}
    for source, count in labels_by_source.items():
        labels[PERSON if source in PERSON_SOURCES else AUTOMATED] += int(count)
    return labels


def cpu_clock(own_process: bool) -> Clock:
    """CPU seconds of the worker: its whole process when it has one, else its thread (the headless trainer's)."""
    return time.process_time if own_process else time.thread_time


class CostMeter:
    """One run's cost as its worker trains it; a resumed run counts on from ``before`` (its stored cost).

    ``clock`` is the run's training clock (pauses excluded), ``cpu`` a CPU clock of the worker; the meter reads
    CPU seconds from the moment it is made.
    """

    def __init__(self, clock: Clock, cpu: Clock, before: Cost | None = None) -> None:
        self.clock = clock
        self._cpu = cpu
        self._cpu_start = cpu()
        self.before = before or Cost()
        self.params: dict[str, int] = dict(self.before.params)
        self.evaluation_steps = int(self.before.env_steps.get(EVALUATION_CLIPS, 0))
        self.sources: list[CostSource] = []
        self.solve_unknown = False
        """The run counted as solved before it had a cost meter (resumed from an older folder): no solved-at cost."""
        before = self.before
        self._solved: tuple[float, float, int, int | None] | None = (
            (before.wall_s_to_solve or 0.0, before.cpu_s_to_solve or 0.0, before.steps_to_solve, before.labels_to_solve)
            if before.steps_to_solve is not None
            else None
        )

    def cpu_s(self) -> float:
        """CPU seconds of the run so far, those before a resume included."""
        return self.before.cpu_s + self._cpu() - self._cpu_start

    def add_evaluation(self, steps: int) -> None:
        """An evaluation clip played ``steps`` env steps."""
        self.evaluation_steps += int(steps)

    def env_steps(self, training_steps: int) -> dict[str, int]:
        """Env steps by part: the learner's own (its checkpoint counts on), evaluation clips, and each source's
        (a source counts from 0 in each worker, so what a resumed run's sources took before is added)."""
        steps = {part: int(count) for part, count in self.before.env_steps.items()}
        steps[TRAINING], steps[EVALUATION_CLIPS] = int(training_steps), self.evaluation_steps
        for source in self.sources:
            for part, count in source.cost_env_steps().items():
                steps[part] = steps.get(part, 0) + int(count)
        return steps

    def note_solved(self, training_steps: int) -> None:
        """The run counts as solved now: keep the reading (only the first time)."""
        if self._solved is None and not self.solve_unknown:
            learning = sum(self.env_steps(training_steps).values()) - self.evaluation_steps
            self._solved = (self.clock(), self.cpu_s(), learning, sum(self.labels().values()))

    def labels(self) -> dict[str, int]:
        """Labels so far, a person's and automated ones (those before a resume included)."""
        labels = {PERSON: 0, AUTOMATED: 0} | dict(self.before.labels)
        for source in self.sources:
            for who, count in source.cost_labels().items():
                labels[who] = labels.get(who, 0) + int(count)
        return labels

    def reading(self, training_steps: int) -> Cost:
        """The cost now, after ``training_steps`` of the learner's own steps."""
        params = dict(self.params)
        for source in self.sources:
            params.update(source.cost_params())
        solved = self._solved
        return Cost(
            wall_s=self.clock(),
            cpu_s=self.cpu_s(),
            env_steps=self.env_steps(training_steps),
            params=params,
            labels=self.labels(),
            wall_s_to_solve=None if solved is None else solved[0],
            cpu_s_to_solve=None if solved is None else solved[1],
            steps_to_solve=None if solved is None else solved[2],
            labels_to_solve=None if solved is None else solved[3],
        )


class ReportCost(BaseCallback):
    """Notes the cost at the step the run counts as solved, and reports the cost every :data:`REPORT_EVERY_S`.

    ``solved()`` says whether the run counts as solved (the body's :class:`~agents.runs.callbacks.EpisodeWindow`);
    put this callback after the one that records episodes, so it sees the episode that solved the run at once.
    """

    def __init__(self, meter: CostMeter, sink: EventSink, solved: Callable[[], bool]) -> None:
        super().__init__(verbose=0)
        self.meter = meter
        self.sink = sink
        self.solved = solved
        self._next_report = 0.0

    def _on_step(self) -> bool:
        if self.solved():
            self.meter.note_solved(self.num_timesteps)
        if self.meter.clock() >= self._next_report:
            self._next_report = self.meter.clock() + REPORT_EVERY_S
            self.sink.emit(self.meter.reading(self.num_timesteps))
        return True


class PreferenceCost:
    """The cost of learning from preferences, as a :class:`CostSource`: the feedback lab's clips, reward model
    and labels (give it the run's :class:`~agents.feedback.preference_loop.PreferenceLoop` and reward net).

    Like every source it counts from 0 in each worker: labels a resumed run's loop restored from its folder were
    counted before (the meter adds the stored cost), so only the labels asked since are its own."""

    def __init__(self, loop: Any, reward_net: Any) -> None:
        self.loop = loop
        self.reward_net = reward_net
        self._restored = labels_by_who(loop.stats.labels_by_source)

    def cost_env_steps(self) -> dict[str, int]:
        return {FEEDBACK_CLIPS: int(self.loop.sampler.env_steps)}

    def cost_params(self) -> dict[str, int]:
        return {"reward model": int(self.reward_net.num_params())}

    def cost_labels(self) -> dict[str, int]:
        now = labels_by_who(self.loop.stats.labels_by_source)
        return {who: count - self._restored.get(who, 0) for who, count in now.items()}
