"""What a run has done, as the server holds it, and when its worker plays an evaluation episode.

The worker never touches the UI: it reports events (:mod:`agents.runs.events`), which the run handle reduces
into :class:`RunStats` under a lock (:mod:`agents.runs.stats`); pages call :meth:`RunStats.snapshot` to get an
immutable copy to draw. :class:`EvalSchedule` decides when the worker plays an evaluation episode; the
worker's side of pause, resume and stop is :class:`agents.runs.control.RunControl`.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from agents.feedback.report import RewardReport
from agents.runs.evaluation import MAX_FRAMES
from agents.runs.series import StepSeries, StepValues
from agents.runs.value_map import ValueMap
from agents.storage.cost import Cost

SOLVE_WINDOW = 20
"""Episodes averaged to decide whether an env is solved (gymnasium's and RL Zoo's habit)."""
MAX_LOSS_POINTS = 20_000
"""Per logged key; past it the series is halved, each bucket keeping its extremes, so memory stays bounded."""


class StopTraining(Exception):
    """Raised inside an optimizer step to end ``learn()`` at once when the user presses Stop."""


class NotStorableError(FloatingPointError):
    """A value reached the learner that its float32 buffers cannot hold (NaN or infinite there)."""


class DivergedError(FloatingPointError):
    """A value the algorithm logged (a loss, an entropy...) became NaN or infinite: the run cannot recover."""


@dataclass(frozen=True)
class EvalResult:
    """The latest evaluation episode, ready to show: played with the weights of training step ``step``."""

    index: int
    step: int
    episode_return: float
    length: int
    gif: bytes
    cost_s: float = 0.0
    """CPU seconds it took to play, render and encode (0 for a clip read back from disk)."""
    steps_s: float = 0.0
    """Of ``cost_s``, the CPU seconds spent choosing actions and stepping the env: grows with the length."""
    frames: int = 0
    """Frames in the clip."""

    def describe(self) -> str:
        """One line that travels with the clip (GIF comment, MP4 metadata): when it was played, what it scored."""
        return (
            f"Evaluation episode {self.index}, played at training step {self.step}: "
            f"return {self.episode_return:.6g} over {self.length} steps"
        )


@dataclass(frozen=True)
class RunSnapshot:
    """An immutable copy of a run's progress, taken under the lock; safe to read from any thread."""

    timesteps: int
    total_timesteps: int
    elapsed_s: float
    fps: float
    episode_steps: list[int]
    episode_returns: list[float]
    episode_true_returns: list[float]
    episode_lengths: list[int]
    episode_wall_s: list[float]
    losses: dict[str, StepValues]
    """Each ``train/*`` value the algorithm logged, as ``(step, value)`` pairs (a sequence of tuples, or an
    ``(n, 2)`` array through :meth:`StepValues.array`)."""
    evaluation: EvalResult | None
    solved_at_step: int | None
    solved_at_s: float | None
    cpu_s: float | None = None
    """CPU seconds the training thread used (None for a run restored from disk before it was measured)."""
    cost: Cost | None = None
    """The run's cost meter (None before its first report, and for runs stored before the meter)."""
    value_map: ValueMap | None = None
    """The latest value and policy map (None: none yet, or the env has no state slice)."""
    reward_reports: tuple[RewardReport, ...] = ()
    """A run learning from preferences: its reward model after each refit, oldest first; only the latest keeps its
    sample of learned against true reward."""
    schedule: dict[str, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    """Settings changed while training, ``{setting: ((step, value), ...)}`` (:mod:`agents.config.schedule`)."""
    policy_snapshots: tuple[int, ...] = ()
    """Steps whose policy snapshot the run's folder holds, ascending: what can be replayed (agents.runs.replay)."""

    @property
    def progress(self) -> float:
        return min(1.0, self.timesteps / self.total_timesteps) if self.total_timesteps else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current speed; None before the speed is known."""
        if self.fps <= 0:
            return None
        return max(0.0, (self.total_timesteps - self.timesteps) / self.fps)

    def mean_last(self, values: list[float], window: int = SOLVE_WINDOW) -> float | None:
        return float(np.mean(values[-window:])) if values else None


@dataclass
class RunStats:
    """What a run has done so far. Written by the training thread, read by pages, always under ``lock``."""

    total_timesteps: int
    solved_threshold: float | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    timesteps: int = 0
    elapsed_s: float = 0.0
    episode_steps: list[int] = field(default_factory=list)
    episode_returns: list[float] = field(default_factory=list)
    episode_true_returns: list[float] = field(default_factory=list)
    episode_lengths: list[int] = field(default_factory=list)
    episode_wall_s: list[float] = field(default_factory=list)
    losses: dict[str, StepSeries] = field(default_factory=dict)
    evaluation: EvalResult | None = None
    solved_at_step: int | None = None
    solved_at_s: float | None = None
    cpu_s: float | None = None
    cost: Cost | None = None
    value_map: ValueMap | None = None
    reward_reports: list[RewardReport] = field(default_factory=list)
    schedule: dict[str, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    policy_snapshots: tuple[int, ...] = ()
    _speed: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=20))

    def add_episode(self, step: int, ret: float, true_ret: float, length: int, wall_s: float) -> None:
        with self.lock:
            self.episode_steps.append(step)
            self.episode_returns.append(ret)
            self.episode_true_returns.append(true_ret)
            self.episode_lengths.append(length)
            self.episode_wall_s.append(wall_s)
            if self.solved_at_step is None and self._solved_now():
                self.solved_at_step, self.solved_at_s = step, wall_s

    def _solved_now(self) -> bool:
        if self.solved_threshold is None or len(self.episode_true_returns) < SOLVE_WINDOW:
            return False
        return float(np.mean(self.episode_true_returns[-SOLVE_WINDOW:])) >= self.solved_threshold

    @property
    def solved(self) -> bool:
        return self.solved_at_step is not None

    def set_progress(self, timesteps: int, elapsed_s: float, cpu_s: float | None = None) -> None:
        with self.lock:
            self.timesteps, self.elapsed_s = timesteps, elapsed_s
            if cpu_s is not None:
                self.cpu_s = cpu_s
            if not self._speed or elapsed_s - self._speed[-1][0] >= 0.25:
                self._speed.append((elapsed_s, timesteps))

    def add_metrics(self, step: int, values: dict[str, float]) -> None:
        with self.lock:
            for key, value in values.items():
                series = self.losses.get(key)
                if series is None:
                    series = self.losses[key] = StepSeries(MAX_LOSS_POINTS)
                series.append(step, value)

    def set_cost(self, cost: Cost) -> None:
        with self.lock:
            self.cost = cost
            self.cpu_s = cost.cpu_s

    def add_reward_report(self, report: RewardReport) -> None:
        """A refit of the reward model: a new point of the curve, and the latest sample (the previous is dropped)."""
        with self.lock:
            if self.reward_reports:
                self.reward_reports[-1] = self.reward_reports[-1].without_sample()
            self.reward_reports.append(report)

    def set_setting(self, name: str, step: int, value: float) -> None:
        """A setting changed while training: from ``step`` on, ``name`` is ``value``."""
        with self.lock:
            entries = {s: v for s, v in self.schedule.get(name, ())}
            entries[step] = value
            self.schedule = {**self.schedule, name: tuple(sorted(entries.items()))}

    def set_evaluation(self, result: EvalResult) -> None:
        with self.lock:
            self.evaluation = result

    def set_value_map(self, value_map: ValueMap) -> None:
        with self.lock:
            self.value_map = value_map

    def set_policy_snapshots(self, steps: tuple[int, ...]) -> None:
        with self.lock:
            self.policy_snapshots = tuple(sorted(steps))

    def snapshot(self) -> RunSnapshot:
        with self.lock:
            return RunSnapshot(
                timesteps=self.timesteps,
                total_timesteps=self.total_timesteps,
                elapsed_s=self.elapsed_s,
                fps=self._fps(),
                episode_steps=list(self.episode_steps),
                episode_returns=list(self.episode_returns),
                episode_true_returns=list(self.episode_true_returns),
                episode_lengths=list(self.episode_lengths),
                episode_wall_s=list(self.episode_wall_s),
                losses={key: series.view() for key, series in self.losses.items()},
                evaluation=self.evaluation,
                solved_at_step=self.solved_at_step,
                solved_at_s=self.solved_at_s,
                cpu_s=self.cpu_s,
                cost=self.cost,
                value_map=self.value_map,
                reward_reports=tuple(self.reward_reports),
                schedule=self.schedule,
                policy_snapshots=self.policy_snapshots,
            )

    def _fps(self) -> float:
        if len(self._speed) >= 2:
            (t0, s0), (t1, s1) = self._speed[0], self._speed[-1]
            if t1 > t0:
                return (s1 - s0) / (t1 - t0)
        return self.timesteps / self.elapsed_s if self.elapsed_s > 0 else 0.0


class EvalSchedule:
    """Decides when to play an evaluation episode so that evaluation takes at most ``budget`` of training time.

    The rule is a running account: the next episode is due once ``min_interval_s`` has passed since the last
    one and the seconds already spent plus the next episode's expected cost fit within ``budget`` of the
    training time so far. Costs and training time are counted in CPU seconds of the training thread when the
    caller gives them (``cpu_s``): a loaded machine, or a page holding the GIL, then makes clips neither
    look dearer nor come less often per training step; the intervals between clips stay in wall seconds.
    The expected cost is priced from the last evaluation's two parts: the seconds per
    step of playing (times the length the agent's training episodes now reach: CartPole's grow from ~20 steps
    to 500) and the seconds of rendering and encoding per frame (times the frames a clip of that length keeps).
    So a long episode waits longer, a cheap one comes every ``min_interval_s``, and the share holds whatever
    the episodes cost. The first episode, after ``first_after_s``, is outside the account: a learner sees the
    agent at once.
    """

    def __init__(
        self,
        budget: float = 0.03,
        min_interval_s: float = 2.0,
        first_after_s: float = 0.5,
        max_frames: int = MAX_FRAMES,
    ) -> None:
        self.budget = budget
        self.min_interval_s = min_interval_s
        self.first_after_s = first_after_s
        self.max_frames = max_frames
        self.last_finished_s: float | None = None
        self.spent_s = 0.0
        """Seconds of training time spent on evaluation episodes so far."""
        self.cost_per_step_s = 0.0
        self.cost_per_frame_s = 0.0

    @property
    def earliest_s(self) -> float:
        """No evaluation is due before this training time: a cheap test for every step."""
        if self.last_finished_s is None:
            return self.first_after_s
        return self.last_finished_s + self.min_interval_s

    def expected_cost(self, expected_length: float) -> float:
        """Seconds the next evaluation will likely take, for an episode of ``expected_length`` steps."""
        length = max(1.0, expected_length)
        return self.cost_per_step_s * length + self.cost_per_frame_s * min(length + 1, self.max_frames + 1)

    def due(self, elapsed_s: float, expected_length: float = 1.0, cpu_s: float | None = None) -> bool:
        """Whether to play one now, ``elapsed_s`` into training (wall), ``cpu_s`` of it spent computing."""
        if self.last_finished_s is None:
            return elapsed_s >= self.first_after_s
        if elapsed_s < self.last_finished_s + self.min_interval_s:
            return False
        training_s = elapsed_s if cpu_s is None else cpu_s
        return self.spent_s + self.expected_cost(expected_length) <= self.budget * training_s

    def done(self, finished_at_s: float, cost_s: float, length: int = 1, steps_s: float = 0.0, frames: int = 1) -> None:
        """Record an evaluation that ended at ``finished_at_s`` (wall) and cost ``cost_s`` (``steps_s`` of it
        playing), in the clock ``due`` is given as ``cpu_s`` (or wall seconds without it)."""
        if self.last_finished_s is not None:  # the first one is the exception that shows the agent at once
            self.spent_s += cost_s
        self.last_finished_s = finished_at_s
        steps_s = min(max(0.0, steps_s), cost_s)
        self.cost_per_step_s = steps_s / max(1, length)
        self.cost_per_frame_s = (cost_s - steps_s) / max(1, frames)


MAY_BE_UNDEFINED = frozenset({"train/explained_variance"})
"""Logged values that are NaN by definition at times, not by divergence: SB3's explained variance is NaN when the
returns have no variance (every reward 0, say). Such a NaN is skipped, never fatal."""
