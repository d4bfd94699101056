"""One training run in a background thread: build, learn, evaluate, end with a status a person can read.

A :class:`Run` owns its thread, its :class:`~agents.live.RunStats` and its :class:`~agents.live.RunControl`.
It never imports streamlit; pages read :meth:`Run.snapshot`. A failure inside ``learn()`` (a NaN, an env
error, a shaping expression gone non-finite) ends the run as ``failed`` with a readable reason, and
nothing escapes the thread.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import gymnasium as gym
import torch
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.monitor import Monitor

from agents.config import RunConfig
from agents.evaluation import encode_gif, play_episode
from agents.live import (
    EvalResult,
    EvalSchedule,
    LiveCallback,
    RunControl,
    RunSnapshot,
    RunStats,
    StatsLoggerSink,
    StopTraining,
)
from envs.shaping import ShapingError, TrueReturnRecorder, apply_shaping

torch.set_num_threads(1)  # measured 3x-29x faster under CPU contention, and half the CPU time

log = logging.getLogger(__name__)


class RunStatus(StrEnum):
    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        return self in (RunStatus.QUEUED, RunStatus.STARTING, RunStatus.RUNNING, RunStatus.PAUSED)


def make_training_env(config: RunConfig) -> gym.Env:
    """The env the agent trains on: true-return recorder innermost, then shaping, then SB3's Monitor."""
    env: gym.Env = TrueReturnRecorder(config.env_info.make())
    env = apply_shaping(env, config.shaping, config.env_id)
    return Monitor(env, info_keywords=("true_return",))


def new_run_id() -> str:
    """Sortable and unguessable: ``20261126-013000-a1b2c3``."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def describe_failure(error: BaseException) -> str:
    """One readable line for a failure inside a run (the traceback goes to the server log only)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, ShapingError):
        return f"The shaped reward failed: {text}"
    # "nan" as a word only: "maintenance" or "tenant" in a message is no sign of divergence
    if isinstance(error, FloatingPointError) or re.search(r"\bnan\b|invalid values", text, re.IGNORECASE):
        return (
            "Training diverged: values became NaN or infinite. Try a smaller learning_rate or reward scale. "
            f"({text[:200]})"
        )
    if isinstance(error, MemoryError):
        return "The run ran out of memory; try a smaller buffer_size, batch_size or network."
    return f"{type(error).__name__}: {text[:300]}"


class Run:
    """A training run that lives in a background thread until it finishes, stops or fails."""

    def __init__(
        self, config: RunConfig, *, owner: str = "", run_id: str | None = None, record_episodes: bool = True
    ) -> None:
        self.id = run_id or new_run_id()
        self.record_episodes = record_episodes
        """Play and render evaluation episodes (the headless trainer turns this off: nobody watches)."""
        self.config = config
        self.owner = owner
        self.created_at = time.time()
        self.status = RunStatus.QUEUED
        self.error = ""
        self.end_reason = ""
        self.start_latency_s: float | None = None
        """Seconds from the run leaving the queue to its first training step."""
        self.stats = RunStats(config.total_timesteps, config.env_info.solved_threshold)
        self.control = RunControl()
        self.model: Any = None
        self._thread: threading.Thread | None = None
        self._acquire: Callable[[Run], bool] = lambda run: True
        self._release: Callable[[Run], None] = lambda run: None

    # --- life cycle ---------------------------------------------------------------------------------------

    def start(
        self,
        acquire: Callable[[Run], bool] | None = None,
        release: Callable[[Run], None] | None = None,
    ) -> None:
        """Start the thread; ``acquire`` blocks until the run may train (the manager's queue)."""
        if acquire:
            self._acquire = acquire
        if release:
            self._release = release
        self._thread = threading.Thread(target=self._main, name=f"run-{self.id}", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        if self.status in (RunStatus.RUNNING, RunStatus.STARTING):
            self.control.pause()
            self.status = RunStatus.PAUSED

    def resume(self) -> None:
        if self.status == RunStatus.PAUSED:
            self.control.resume()
            self.status = RunStatus.RUNNING

    def stop(self) -> None:
        """Ask the run to end; ``learn()`` returns within one env step or optimizer step."""
        self.control.stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def snapshot(self) -> RunSnapshot:
        return self.stats.snapshot()

    # --- the thread ---------------------------------------------------------------------------------------

    def _main(self) -> None:
        queued = True
        try:
            if not self._acquire(self):
                self.status, self.end_reason = RunStatus.STOPPED, "stopped while queued"
                return
            queued = False
            if self.control.stop_requested:
                self.status, self.end_reason = RunStatus.STOPPED, "stopped before it started"
                return
            self.status = RunStatus.STARTING
            self._train()
        except StopTraining:
            self.status, self.end_reason = RunStatus.STOPPED, "stopped by the user"
        except Exception as error:
            log.exception("run %s failed", self.id)
            self.status, self.error = RunStatus.FAILED, describe_failure(error)
        finally:
            if not queued:
                self._release(self)
            self._close()

    def _train(self) -> None:
        torch.set_num_threads(1)
        config = self.config
        first_step = time.perf_counter()
        self.control.start_clock()  # time to solve counts building the model, as bare SB3's does
        self.model = config.algo_info.build(lambda: make_training_env(config), config.hyperparams, config.seed)
        self.model.set_logger(Logger(folder=None, output_formats=[StatsLoggerSink(self.stats)]))
        evaluator = None
        if self.record_episodes:
            self._eval_env = config.env_info.make(render_mode="rgb_array")
            evaluator = self._evaluator(self._eval_env)
        callback = LiveCallback(
            self.stats,
            self.control,
            evaluator,
            stop_when_solved=config.stop_when_solved,
            max_wall_s=config.max_wall_s,
            schedule=EvalSchedule(),
        )
        if not self.control.paused:
            self.status = RunStatus.RUNNING
        self.start_latency_s = time.perf_counter() - first_step
        self.model.learn(total_timesteps=config.total_timesteps, callback=callback)
        self.end_reason = callback.end_reason or "reached its step budget"
        if self.control.stop_requested:
            raise StopTraining
        callback.run_evaluation()  # show the final policy
        self.status = RunStatus.FINISHED

    def _evaluator(self, env: gym.Env) -> Callable[[Any, int], EvalResult]:
        seed = self.config.seed

        def evaluate(model: Any, index: int) -> EvalResult:
            recording = play_episode(model, env, seed=seed + 10_000 + index)
            fps = min(30.0, 50.0 / recording.frame_every)
            return EvalResult(
                index,
                int(model.num_timesteps),
                recording.episode_return,
                recording.length,
                encode_gif(recording.frames, fps=fps),
            )

        return evaluate

    def _close(self) -> None:
        for env in (getattr(self, "_eval_env", None), getattr(self.model, "env", None)):
            if env is not None:
                try:
                    env.close()
                except Exception:
                    log.debug("closing an env of run %s failed", self.id, exc_info=True)
