"""The worker's SB3 callbacks, one job each, composed with SB3's ``CallbackList`` (SB3's own style).

* :class:`RecordEpisodes` reports each finished training episode and the run's progress through the sink;
* :class:`CheckStoredValues` ends the run when a reward or observation the learner stores is not finite;
* :class:`PauseStopGate` holds the loop while paused and ends it on Stop, also before every optimizer step;
* :class:`StopWhenSolved` ends the run once the env counts as solved;
* :class:`WallClockCap` ends it at the wall-clock cap;
* :class:`EvaluationEpisodes` plays a separate evaluation episode now and then and reports the clip;
* :class:`~agents.storage.records.TimedCheckpoint` saves the model every few seconds.

They share what they need through small objects (the :class:`EpisodeWindow` of recent episodes, the
:class:`~agents.runs.control.RunControl`), never by reading back what they reported.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from agents.runs.control import RunControl
from agents.runs.events import Episode, Evaluated, EventSink, Progress
from agents.runs.live import SOLVE_WINDOW, EvalResult, EvalSchedule, NotStorableError

PROGRESS_EVERY_S = 0.05
"""Seconds between two progress reports (a page redraws at most once a second)."""

Clock = Callable[[], float]


class EpisodeWindow:
    """The last :data:`SOLVE_WINDOW` training episodes and the first moment the env counted as solved.

    Solved: the mean true return (the env's own, not the shaped one) of the last 20 episodes reaches the
    env's threshold, as gymnasium and RL Zoo define it.
    """

    def __init__(self, threshold: float | None) -> None:
        self.threshold = threshold
        self.true_returns: deque[float] = deque(maxlen=SOLVE_WINDOW)
        self.lengths: deque[int] = deque(maxlen=SOLVE_WINDOW)
        self.solved_at_step: int | None = None
        self.solved_at_s: float | None = None

    def add(self, step: int, true_return: float, length: int, train_s: float) -> None:
        self.true_returns.append(true_return)
        self.lengths.append(length)
        if self.solved_at_step is None and self._solved_now():
            self.solved_at_step, self.solved_at_s = step, train_s

    def _solved_now(self) -> bool:
        if self.threshold is None or len(self.true_returns) < SOLVE_WINDOW:
            return False
        return float(np.mean(self.true_returns)) >= self.threshold

    @property
    def solved(self) -> bool:
        return self.solved_at_step is not None

    def expected_length(self) -> float:
        """Mean length of the recent episodes: what the next evaluation episode will likely take (1 if none)."""
        return float(np.mean(self.lengths)) if self.lengths else 1.0


class RecordEpisodes(BaseCallback):
    """Reports each finished episode (from SB3's Monitor info) and, at most every 50 ms, the progress."""

    def __init__(self, sink: EventSink, clock: Clock, window: EpisodeWindow, cpu_s: Clock | None = None) -> None:
        super().__init__(verbose=0)
        self.sink = sink
        self.clock = clock
        self.window = window
        self.cpu_s = cpu_s
        """The run's CPU seconds so far (the body's :class:`~agents.runs.cost_meter.CostMeter`); None: not reported."""
        self._next_progress = 0.0

    def _on_step(self) -> bool:
        elapsed = self.clock()
        dones = self.locals.get("dones")
        if dones is None or np.any(dones):  # most steps end nothing
            for info in self.locals.get("infos", ()):
                episode = info.get("episode")
                if episode:
                    self._record(episode, elapsed)
        if elapsed >= self._next_progress:
            self._next_progress = elapsed + PROGRESS_EVERY_S
            self.report_progress()
        return True

    def _on_rollout_end(self) -> None:
        self.report_progress()  # the exact step count before an update phase, which can take a while

    def _on_training_end(self) -> None:
        self.report_progress()

    def _record(self, episode: dict[str, Any], elapsed: float) -> None:
        shaped = float(episode["r"])
        true_return = float(episode.get("true_return", shaped))
        length = int(episode["l"])
        self.sink.emit(Episode(self.num_timesteps, shaped, true_return, length, elapsed))
        if not np.isfinite(shaped):
            raise FloatingPointError(f"an episode's return became {shaped} at step {self.num_timesteps}")
        self.window.add(self.num_timesteps, true_return, length, elapsed)

    def report_progress(self) -> None:
        """Report the step count, training time and CPU time now (also when a run stops or fails mid-step)."""
        model = getattr(self, "model", None)  # set by SB3 when learn() starts
        if model is None:
            return
        steps = int(model.num_timesteps)
        self.sink.emit(Progress(steps, self.clock(), None if self.cpu_s is None else self.cpu_s()))


class CheckStoredValues(BaseCallback):
    """The rewards and observations the learner just stored, in its own float32 buffers, must be finite.

    The shaping wrappers refuse a reward beyond float32 with a precise message; this catches what reaches the
    learner by any other way (an env's NaN observation, a float64 observation too large for float32) and ends
    the run with :class:`~agents.runs.live.NotStorableError`.
    """

    def _on_step(self) -> bool:
        for name in ("rewards", "new_obs"):
            values = self.locals.get(name)
            if isinstance(values, np.ndarray) and values.dtype.kind == "f" and not np.isfinite(values).all():
                bad = values[~np.isfinite(values)].ravel()[0]
                what = "reward" if name == "rewards" else "observation"
                raise NotStorableError(f"an {what} the learner stores became {bad} at step {self.num_timesteps:,}")
        return True


class PauseStopGate(BaseCallback):
    """Blocks while paused and raises :class:`~agents.runs.live.StopTraining` on Stop.

    Checked after every env step and, through a pre-hook on each optimizer, before every gradient step,
    so a long update phase (PPO's epochs, SAC's gradient steps) cannot delay a pause or a stop.
    ``optimizers`` lists a model's torch optimizers (its algorithm's ``AlgoInfo.optimizers``).
    """

    def __init__(self, control: RunControl, optimizers: Callable[[Any], list[Any]]) -> None:
        super().__init__(verbose=0)
        self.control = control
        self.optimizers = optimizers
        self._hooks: list[Any] = []

    def _on_training_start(self) -> None:
        for optimizer in self.optimizers(self.model):
            self._hooks.append(optimizer.register_step_pre_hook(lambda *_: self.control.checkpoint()))

    def _on_training_end(self) -> None:
        for handle in self._hooks:
            handle.remove()
        self._hooks.clear()

    def _on_step(self) -> bool:
        self.control.checkpoint()
        return True


class StopWhenSolved(BaseCallback):
    """Ends ``learn()`` once the env counts as solved (see :class:`EpisodeWindow`)."""

    def __init__(self, window: EpisodeWindow) -> None:
        super().__init__(verbose=0)
        self.window = window
        self.end_reason = ""

    def _on_step(self) -> bool:
        if self.window.solved:
            self.end_reason = "solved"
            return False
        return True


class WallClockCap(BaseCallback):
    """Ends ``learn()`` once the run has trained for ``max_wall_s`` seconds (pauses excluded)."""

    def __init__(self, clock: Clock, max_wall_s: float) -> None:
        super().__init__(verbose=0)
        self.clock = clock
        self.max_wall_s = max_wall_s
        self.end_reason = ""

    def _on_step(self) -> bool:
        if self.clock() >= self.max_wall_s:
            self.end_reason = f"reached the wall-clock cap of {self.max_wall_s:.0f} s"
            return False
        return True


class EvaluationEpisodes(BaseCallback):
    """Plays an evaluation episode when the :class:`~agents.runs.live.EvalSchedule` says one is due.

    ``evaluate(model, index, expected_length)`` plays and renders one episode on an env of its own (its frames
    spread over the expected length); the clip is reported
    as an :class:`~agents.runs.events.Evaluated` event.
    """

    def __init__(
        self,
        evaluate: Callable[[Any, int, float], EvalResult],
        sink: EventSink,
        clock: Clock,
        window: EpisodeWindow,
        schedule: EvalSchedule | None = None,
    ) -> None:
        super().__init__(verbose=0)
        self.evaluate = evaluate
        self.sink = sink
        self.clock = clock
        self.window = window
        self.schedule = schedule or EvalSchedule()
        self.played = 0
        self._cpu_start = time.thread_time()

    def _on_training_start(self) -> None:
        self._cpu_start = time.thread_time()

    def _on_step(self) -> bool:
        elapsed = self.clock()
        if elapsed >= self.schedule.earliest_s and self.schedule.due(
            elapsed, self.window.expected_length(), time.thread_time() - self._cpu_start
        ):
            self.play(self.model)
        return True

    def play(self, model: Any, *, count: bool = True) -> EvalResult:
        """Play one evaluation episode now and report it.

        ``count=False`` for the one played after training ended (finished or stopped), to show the final
        policy: it is not part of the training time the schedule accounts for.
        """
        started = time.thread_time()  # the CPU it costs the training thread (see EvalSchedule)
        self.played += 1
        result = self.evaluate(model, self.played, self.window.expected_length())
        self.sink.emit(Evaluated(result))
        if count:
            cost = time.thread_time() - started
            self.schedule.done(self.clock(), cost, result.length, result.steps_s, max(1, result.frames))
        return result
