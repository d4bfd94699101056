"""One training run in a background thread: build, learn, evaluate, end with a status a person can read.

A :class:`Run` owns its thread, its :class:`~agents.runs.live.RunStats` and its :class:`~agents.runs.live.RunControl`.
It never imports streamlit; pages read :meth:`Run.snapshot`. A failure inside ``learn()`` (a NaN, an env
error, a shaping expression gone non-finite) ends the run as ``failed`` with a readable reason, and
nothing escapes the thread.

Given a :class:`~agents.storage.store.RunStore`, the run persists itself in SB3's formats (see
:mod:`agents.storage.folder` and :mod:`agents.storage.records`): after a restart :meth:`Run.restore` brings it back with
its charts, and a run that was training when the server died resumes from its last checkpoint with
:meth:`Run.resumed`. That half of a run lives in :mod:`agents.runs.persistence`; this module keeps the thread.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import gymnasium as gym
import torch
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.monitor import Monitor

from agents.algos.registry import UpdateBoundary
from agents.config.run_config import RunConfig
from agents.runs.eval_streams import evaluation_rng, evaluation_seed, evaluation_streams
from agents.runs.evaluation import encode_gif, play_episode, shrink_frame
from agents.runs.live import (
    EvalResult,
    EvalSchedule,
    LiveCallback,
    NotStorableError,
    RunControl,
    RunSnapshot,
    RunStats,
    StatsLoggerSink,
    StopTraining,
)
from agents.runs.names import fallback_name
from agents.runs.persistence import DEFAULT_CHECKPOINT_EVERY_S, RunPersistence
from agents.runs.status import RunStatus
from agents.storage.checkpoint import restore_checkpoint
from agents.storage.folder import RunFolder, RunRecord, hash_owner
from agents.storage.records import EpisodeLog, ProgressCSV, TimedCheckpoint, reset_records
from agents.storage.store import RunStore
from envs.shaping import ShapingError, TrueReturnRecorder, apply_shaping

__all__ = [
    "DEFAULT_CHECKPOINT_EVERY_S",
    "Run",
    "RunStatus",
    "describe_failure",
    "make_training_env",
    "new_run_id",
]

torch.set_num_threads(1)  # measured 3x-29x faster under CPU contention, and half the CPU time

log = logging.getLogger(__name__)

USER_STOP = "stopped by the user"
"""The end reason of a run its owner stopped; it gets a final evaluation episode, as a finished run does."""


def make_training_env(config: RunConfig, monitor: Callable[[gym.Env], gym.Env] | None = None) -> gym.Env:
    """The env the agent trains on: true-return recorder innermost, then shaping, then SB3's Monitor.

    ``monitor`` replaces the in-memory Monitor, e.g. with :meth:`agents.storage.records.EpisodeLog.wrap` (CSV files).
    """
    env: gym.Env = TrueReturnRecorder(config.env_info.make())
    env = apply_shaping(env, config.effective_shaping, config.env_id)
    return monitor(env) if monitor is not None else Monitor(env, info_keywords=("true_return",))


def new_run_id() -> str:
    """Sortable and unguessable: ``20261126-013000-a1b2c3``."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def describe_failure(error: BaseException) -> str:
    """One readable line for a failure inside a run (the traceback goes to the server log only)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, ShapingError):
        return f"The shaped reward failed: {text}"
    if isinstance(error, NotStorableError):
        return f"The learner was given a value it cannot store: {text[:200]}."
    # "nan" as a word only: "maintenance" or "tenant" in a message is no sign of divergence
    if isinstance(error, FloatingPointError) or re.search(r"\bnan\b|invalid values", text, re.IGNORECASE):
        return (
            "Training diverged: values became NaN or infinite. Try a smaller learning_rate or reward scale. "
            f"({text[:200]})"
        )
    if isinstance(error, MemoryError):
        return "The run ran out of memory; try a smaller buffer_size, batch_size or network."
    return f"{type(error).__name__}: {text[:300]}"


class Run(RunPersistence):
    """A training run that lives in a background thread until it finishes, stops or fails."""

    def __init__(
        self,
        config: RunConfig,
        *,
        owner: str = "",
        run_id: str | None = None,
        record_episodes: bool = True,
        store: RunStore | None = None,
        checkpoint_every_s: float = DEFAULT_CHECKPOINT_EVERY_S,
        stored: tuple[RunFolder, RunRecord] | None = None,
        resume: bool = False,
        name: str = "",
    ) -> None:
        """``store``: persist a new run there. ``stored``: a run found on disk (see :meth:`restore`);
        ``resume`` then continues it from its checkpoint when started."""
        folder, record = stored if stored else (None, None)
        self.id = record.run_id if record else (run_id or new_run_id())
        self.name = (record.name if record else name) or fallback_name(config, self.id)
        """What a person reads: "CartPole · PPO · seed 0 · #3" (:mod:`agents.runs.names`); the id stays the id."""
        self.record_episodes = record_episodes
        """Play and render evaluation episodes (the headless trainer turns this off: nobody watches)."""
        self.config = config
        self.owner = owner
        self.owner_hash = hash_owner(owner) if owner else (record.owner_sha256 if record else "")
        """SHA-256 of the owner's token: all a stored run keeps of it, and enough for :meth:`is_owner`."""
        self.created_at = record.created_at if record else time.time()
        self.status = RunStatus.QUEUED
        self.error = ""
        self.end_reason = ""
        self._stop_reason = USER_STOP
        self.start_latency_s: float | None = None
        """Seconds from the run leaving the queue to its first training step."""
        self.resumed_from_step: int | None = None
        """The checkpoint's step count a resumed run continued from."""
        self.resume_note = record.resume_note if record else ""
        """What the resumed run does differently from one never stopped (refilling its replay buffer); "" if nothing."""
        self._boundary: UpdateBoundary | None = None
        self.control = RunControl()
        self.checkpoint_every_s = checkpoint_every_s
        self.checkpoint_timesteps: int | None = record.checkpoint_timesteps if record else None
        """Steps of the last checkpoint on disk (None: none yet, or the run is not stored)."""
        self.checkpoint_save_s = 0.0
        """Seconds this run spent writing checkpoints."""
        self._checkpoint_train_s = record.checkpoint_train_s if record else 0.0
        self._record = record
        self._evaluation_meta: dict[str, float] | None = record.evaluation if record else None
        self._resume = resume
        self._persist_lock = threading.Lock()
        self._status_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._stats: RunStats | None = None if folder else self._new_stats()
        self.folder: RunFolder | None = folder
        """Where the run is stored; None for a run kept in memory only."""
        if store is not None and folder is None:
            self.folder = store.create(self.id, config.to_dict(), self._status_record())
        self.model: Any = None
        self.eval_schedule: EvalSchedule | None = None
        """When evaluation episodes play (None: :class:`~agents.runs.live.EvalSchedule`'s defaults)."""
        self._callback: LiveCallback | None = None
        self._thread: threading.Thread | None = None
        self._acquire: Callable[[Run], bool] = lambda run: True
        self._release: Callable[[Run], None] = lambda run: None

    def is_owner(self, token: str) -> bool:
        """Whether ``token`` is the control token of the tab that started (or resumed) this run."""
        return bool(token) and bool(self.owner_hash) and hmac.compare_digest(hash_owner(token), self.owner_hash)

    @property
    def stats(self) -> RunStats:
        """What the run has done; a stored run's history is read from its folder on first use."""
        if self._stats is None:
            with self._stats_lock:
                if self._stats is None:
                    self._stats = self._load_stats()
        return self._stats

    def _new_stats(self) -> RunStats:
        return RunStats(self.config.total_timesteps, self.config.env_info.solved_threshold)

    # --- life cycle ---------------------------------------------------------------------------------------

    def start(
        self,
        acquire: Callable[[Run], bool] | None = None,
        release: Callable[[Run], None] | None = None,
    ) -> None:
        """Start the thread; ``acquire`` blocks until the run may train (the manager's queue).

        A stored run first claims its folder: StorageError if another process is training it.
        """
        if self.folder is not None:
            self.folder.lock()
        if acquire:
            self._acquire = acquire
        if release:
            self._release = release
        self._thread = threading.Thread(target=self._main, name=f"run-{self.id}", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        with self._status_lock:
            if self.status in (RunStatus.RUNNING, RunStatus.STARTING):
                self.control.pause()
                self.status = RunStatus.PAUSED

    def resume(self) -> None:
        with self._status_lock:
            if self.status == RunStatus.PAUSED:
                self.control.resume()
                self.status = RunStatus.RUNNING

    def stop(self, reason: str = USER_STOP) -> None:
        """Ask the run to end; ``learn()`` returns within one env step or optimizer step.

        ``reason`` becomes the stopped run's ``end_reason``, the words its page shows."""
        if not self.control.stop_requested:
            self._stop_reason = reason
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
            if self._stop_reason == USER_STOP:  # not when the server shuts down: it waits for every run
                self._final_evaluation()  # as a finished run gets: a stopped run's clip is its final policy too
            self.status, self.end_reason = RunStatus.STOPPED, self._stop_reason
            if self.model is not None:
                if self._boundary is not None:
                    self._boundary.rewind()  # on-policy: never save a rollout not learnt from or half an update
                self._save_checkpoint()  # so a stopped run can be resumed where it stopped
        except Exception as error:
            log.exception("run %s failed", self.id)
            self.status, self.error = RunStatus.FAILED, describe_failure(error)
        finally:
            if not queued:
                self._release(self)
            self._close()
            self._persist()
            if self.folder is not None:
                self.folder.unlock()

    def _train(self) -> None:
        torch.set_num_threads(1)
        config = self.config
        stats = self.stats  # a resumed run reads its history before its files change
        first_step = time.perf_counter()
        start_step, start_train_s = self._resume_point() if self._resume else (0, 0.0)
        if self._resume:
            self.resumed_from_step = start_step
        self.control.start_clock(start_train_s)  # time to solve counts building the model, as bare SB3's does
        env_fn = self._env_factory(start_step)
        if start_step:
            assert self.folder is not None
            seed = config.seed + start_step  # reseeds only what the checkpoint's random_state.json does not restore
            restored = restore_checkpoint(self.folder, config.algo_info, env_fn, config.hyperparams, seed)
            self.model, self.resume_note = restored.model, restored.note
        else:
            self.model = config.algo_info.build(env_fn, config.hyperparams, config.seed)
        outputs: list[Any] = []
        if self.folder is not None:  # first: a value that ends the run is still written to progress.csv
            outputs.append(ProgressCSV(self.folder.progress_path, append=start_step > 0))
        outputs.append(StatsLoggerSink(stats))
        self.model.set_logger(Logger(folder=None, output_formats=outputs))
        evaluator = None
        if self.record_episodes:
            self._eval_env = config.env_info.make(render_mode="rgb_array")
            evaluator = self._evaluator(self._eval_env)
        callback = LiveCallback(
            self.stats,
            self.control,
            evaluator,
            optimizers=config.algo_info.optimizers,
            stop_when_solved=config.stop_when_solved,
            max_wall_s=config.max_wall_s,
            schedule=self.eval_schedule or EvalSchedule(),
        )
        self._callback = callback
        with self._status_lock:  # a pause pressed while the model was being built must stick
            if not self.control.paused:
                self.status = RunStatus.RUNNING
        self._persist()
        self.start_latency_s = time.perf_counter() - first_step
        self._boundary = config.algo_info.boundary()
        callbacks: list[Any] = [callback] if self._boundary is None else [callback, self._boundary]
        if self.folder is not None:  # after the boundary: a checkpoint saves the generators it just captured
            callbacks.append(TimedCheckpoint(self._save_checkpoint, self.checkpoint_every_s))
        remaining = config.total_timesteps - start_step
        if remaining > 0:
            self.model.learn(total_timesteps=remaining, callback=callbacks, reset_num_timesteps=start_step == 0)
        self.end_reason = callback.end_reason or "reached its step budget"
        if self.control.stop_requested:
            raise StopTraining
        self._final_evaluation()
        self._save_checkpoint()
        self.status = RunStatus.FINISHED

    def _evaluator(self, env: gym.Env) -> Callable[[Any, int, float], EvalResult]:
        seed = self.config.seed
        env.reset(seed=evaluation_seed(seed, 0))
        # The first render sets up the renderer (pygame: ~80 ms) and the first GIF loads its encoder: one-off
        # costs no episode should be priced at.
        encode_gif([shrink_frame(env.render())])

        def evaluate(model: Any, index: int, expected_length: float) -> EvalResult:
            started = time.thread_time()
            with evaluation_streams(model, seed, index):  # watching never changes what is learned
                recording = play_episode(
                    model,
                    env,
                    seed=evaluation_seed(seed, index),
                    expected_length=expected_length,
                    rng=evaluation_rng(seed, index),
                )
            result = EvalResult(
                index,
                int(model.num_timesteps),
                recording.episode_return,
                recording.length,
                b"",
                steps_s=recording.play_s,
                frames=len(recording.frames),
            )
            gif = encode_gif(
                recording.frames, fps=recording.fps, comment=f"RL Playground run {self.id}. {result.describe()}."
            )
            result = replace(result, gif=gif, cost_s=time.thread_time() - started)
            if self.folder is not None:
                self._evaluation_meta = {
                    "index": index,
                    "step": result.step,
                    "episode_return": result.episode_return,
                    "length": result.length,
                }
                try:
                    self.folder.write_gif(result.gif)
                except OSError:
                    log.warning("could not write the evaluation GIF of run %s", self.id, exc_info=True)
            return result

        return evaluate

    def _final_evaluation(self) -> None:
        """Play one more evaluation with the final weights, so the clip beside the curve is the last policy's."""
        callback = self._callback
        if callback is None or self.model is None:
            return
        try:
            callback.run_evaluation(count=False)
        except Exception:  # the run itself ended well: a clip that cannot be played must not fail it
            log.warning("the final evaluation episode of run %s failed", self.id, exc_info=True)

    def _close(self) -> None:
        for env in (getattr(self, "_eval_env", None), getattr(self.model, "env", None)):
            if env is not None:
                try:
                    env.close()
                except Exception:
                    log.debug("closing an env of run %s failed", self.id, exc_info=True)
        logger = getattr(self.model, "_logger", None)
        if logger is not None:
            try:
                logger.close()  # flushes and closes progress.csv
            except Exception:
                log.debug("closing the logger of run %s failed", self.id, exc_info=True)

    def _env_factory(self, start_step: int) -> Callable[[], gym.Env]:
        """Training envs; for a stored run they write Monitor CSVs, cut back to ``start_step`` first."""
        config = self.config
        if self.folder is None:
            return lambda: make_training_env(config)
        reset_records(self.folder, start_step)
        episode_log = EpisodeLog(self.folder.monitor_dir, self.control.elapsed, start_step)
        return lambda: make_training_env(config, episode_log.wrap)
