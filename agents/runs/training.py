"""The worker body: one function trains one run and reports everything through a sink.

:func:`train` builds the envs and the model (or restores a checkpoint), learns with the one-job callbacks
of :mod:`agents.runs.callbacks`, plays evaluation episodes, writes the run's training files (Monitor CSVs,
progress.csv, TensorBoard event files, checkpoints, the latest evaluation GIF) and reports through an
:class:`~agents.runs.events.EventSink`. It holds the only model of the run. The same body runs inline (the
headless trainer, :mod:`agents.runs.workers.inline`), in a child process of the server
(:mod:`agents.runs.workers.process`), or wherever a future executor puts it; it never raises and always ends
with exactly one :class:`~agents.runs.events.Ended` event.
"""

from __future__ import annotations

import importlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.monitor import Monitor

from agents.algos.registry import UpdateBoundary
from agents.config.run_config import RunConfig
from agents.runs.callbacks import (
    CheckStoredValues,
    EpisodeWindow,
    EvaluationEpisodes,
    PauseStopGate,
    RecordEpisodes,
    StopWhenSolved,
    WallClockCap,
)
from agents.runs.control import RunControl
from agents.runs.cost_meter import CostMeter, PreferenceCost, ReportCost, cpu_clock
from agents.runs.eval_streams import evaluation_rng, evaluation_seed, evaluation_streams
from agents.runs.evaluation import encode_gif, play_episode, shrink_frame
from agents.runs.events import Checkpointed, Ended, EventSink, Started
from agents.runs.live import EvalResult, EvalSchedule, NotStorableError, StopTraining
from agents.runs.metrics_output import EpisodesToTensorBoard, MetricsOutput, TensorBoardOutput
from agents.runs.policy_snapshots import PolicySnapshots
from agents.runs.preferences import PreferenceLearning
from agents.runs.schedule import ApplySchedule
from agents.runs.status import RunStatus
from agents.runs.value_map import map_policy
from agents.storage.checkpoint import restore_checkpoint, save_checkpoint
from agents.storage.cost import Cost
from agents.storage.folder import RunFolder
from agents.storage.records import EpisodeLog, ProgressCSV, TimedCheckpoint, read_episodes, reset_records
from envs.shaping import ShapingError, TrueReturnRecorder, apply_shaping

log = logging.getLogger(__name__)

DEFAULT_CHECKPOINT_EVERY_S = 30.0
"""Seconds between checkpoints of a stored run (saving a small SB3 model takes milliseconds)."""


@dataclass(frozen=True)
class TrainJob:
    """Everything a worker needs to train one run; picklable, so it can cross a process boundary."""

    run_id: str
    config: RunConfig
    folder: Path | None = None
    """The run's folder (None: a run kept in memory only, which writes nothing)."""
    start_step: int = 0
    """Continue from the checkpoint saved at this step (0: a new run)."""
    start_train_s: float = 0.0
    """Training seconds of that checkpoint: the run's clock goes on from there."""
    cost_before: Cost | None = None
    """The cost a resumed run had run up before (from its status.json): its cost meter counts on from it."""
    own_process: bool = False
    """The body runs in a process of its own (a worker process): its CPU seconds are the process's, not a thread's."""
    record_episodes: bool = True
    """Play and render evaluation episodes (the headless trainer turns this off: nobody watches)."""
    value_maps: bool = True
    """With each evaluation episode, map the agent's values and greedy actions on the env's state slice, if it has
    one (:mod:`agents.runs.value_map`; a benchmark turns this off to price them)."""
    tensorboard: bool = True
    """A stored run also writes TensorBoard event files in its folder (a benchmark turns this off to price them)."""
    policy_snapshots: bool = True
    """With each evaluation episode of a stored run, keep a snapshot of the policy to replay that moment later
    (:mod:`agents.storage.snapshots`: at most 20 per run, thinned evenly; a benchmark turns this off to price them)."""
    checkpoint_every_s: float = DEFAULT_CHECKPOINT_EVERY_S
    eval_schedule: EvalSchedule | None = None
    """When evaluation episodes play (None: :class:`~agents.runs.live.EvalSchedule`'s defaults)."""
    max_replay_buffer_bytes: int | None = None
    """The server's limit on a replay buffer kept beside a checkpoint (None: ``RUNS_MAX_REPLAY_BUFFER_BYTES``)."""
    imports: tuple[str, ...] = ()
    """Modules a worker process imports before training (e.g. one that registers extra environments)."""


def make_training_env(
    config: RunConfig,
    monitor: Callable[[gym.Env], gym.Env] | None = None,
    reward: Callable[[gym.Env], gym.Env] | None = None,
) -> gym.Env:
    """The env the agent trains on: true-return recorder innermost, then shaping, then SB3's Monitor.

    ``monitor`` replaces the in-memory Monitor, e.g. with :meth:`agents.storage.records.EpisodeLog.wrap` (CSV files).
    ``reward`` replaces shaping by another reward, e.g. a learned one
    (:meth:`agents.runs.preferences.PreferenceLearning.wrap`); the env's own reward stays in the records.
    """
    env: gym.Env = TrueReturnRecorder(config.env_info.make())
    env = reward(env) if reward is not None else apply_shaping(env, config.effective_shaping, config.env_id)
    return monitor(env) if monitor is not None else Monitor(env, info_keywords=("true_return",))


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


def train(job: TrainJob, control: RunControl, sink: EventSink) -> None:
    """Train ``job`` to its end, reporting through ``sink``; honours ``control`` (pause, resume, stop).

    Never raises: a failure (a NaN, an env error, a shaped reward gone non-finite) ends the run as
    *failed* with one readable sentence (the traceback goes to the log). A stop saves a checkpoint first,
    so a stopped run resumes where it stopped.
    """
    torch.set_num_threads(1)  # measured 3x-29x faster under CPU contention, and half the CPU time
    began = time.perf_counter()
    trainer = _Trainer(job, control, sink)
    try:
        ended = trainer.run(began)
    except StopTraining:
        ended = Ended(RunStatus.STOPPED, "stopped by the user")
        try:
            trainer.report_progress()  # the step it stopped at, before a rewind takes the model back
            trainer.rewind()  # on-policy: never save a rollout not learnt from, or half an update
            trainer.save_checkpoint()  # first: so a stopped run resumes where it stopped, whatever comes next
            if control.final_clip:  # not when the server shuts down: it waits for every run
                trainer.final_evaluation()  # as a finished run gets: a stopped run's clip is its final policy too
        except Exception as error:
            log.exception("run %s failed while stopping", job.run_id)
            ended = Ended(RunStatus.FAILED, error=describe_failure(error))
    except Exception as error:
        log.exception("run %s failed", job.run_id)
        ended = Ended(RunStatus.FAILED, error=describe_failure(error))
    finally:
        trainer.close()
    if ended.status != RunStatus.STOPPED:
        trainer.report_progress()  # where it ended or failed, not where it last reported
    trainer.report_cost()
    sink.emit(ended)
    sink.flush()


class _Trainer:
    """One run of the body: its envs, model and folder while :func:`train` runs."""

    def __init__(self, job: TrainJob, control: RunControl, sink: EventSink) -> None:
        self.job = job
        self.config = job.config
        self.control = control
        self.sink = sink
        self.folder = RunFolder(job.folder, job.run_id) if job.folder is not None else None
        self.model: Any = None
        self.eval_env: gym.Env | None = None
        self.recorder: RecordEpisodes | None = None
        self.preferences: PreferenceLearning | None = None
        self.evaluation: EvaluationEpisodes | None = None
        self.snapshots: PolicySnapshots | None = None
        self.boundary: UpdateBoundary | None = None
        self.resume_note = ""
        self.meter = CostMeter(control.elapsed, cpu_clock(job.own_process), job.cost_before)
        """The run's cost (CPU seconds from here: building the model counts, as it does for time to solve)."""

    def run(self, began: float) -> Ended:
        for module in self.job.imports:
            importlib.import_module(module)
        if self.control.stop_requested:
            return Ended(RunStatus.STOPPED, "stopped before it started")
        config, job = self.config, self.job
        self.control.start_clock(job.start_train_s)  # time to solve counts building the model, as bare SB3's does
        if config.feedback is not None:
            self.preferences = PreferenceLearning(
                config, job.folder, resume=job.start_step > 0, sink=self.sink, control=self.control
            )
            self.meter.sources.append(PreferenceCost(self.preferences.loop, self.preferences.net))
        env_fn = self._env_factory()
        if job.start_step:
            assert self.folder is not None
            seed = config.seed + job.start_step  # reseeds only what the checkpoint's random_state.json does not restore
            restored = restore_checkpoint(
                self.folder,
                config.algo_info,
                env_fn,
                config.hyperparams,
                seed,
                max_buffer_bytes=job.max_replay_buffer_bytes,
            )
            self.model, self.resume_note = restored.model, restored.note
        else:
            self.model = config.algo_info.build(env_fn, config.hyperparams, config.seed)
        self.meter.params = config.algo_info.parameters(self.model)
        outputs: list[Any] = []
        if self.folder is not None:  # first: a value that ends the run is still written to progress.csv
            outputs.append(ProgressCSV(self.folder.progress_path, append=job.start_step > 0))
        if self.folder is not None and job.tensorboard:
            tensorboard = TensorBoardOutput(self.folder.tensorboard_dir, purge_step=job.start_step or None)
            outputs.append(tensorboard)
            self.sink = EpisodesToTensorBoard(self.sink, tensorboard)
        outputs.append(MetricsOutput(self.sink))
        self.model.set_logger(Logger(folder=None, output_formats=outputs))

        clock = self.control.elapsed
        window = self._window()
        stoppers: list[StopWhenSolved | WallClockCap] = [WallClockCap(clock, config.max_wall_s)]
        if config.stop_when_solved:
            stoppers.insert(0, StopWhenSolved(window))
        self.recorder = RecordEpisodes(self.sink, clock, window, self.meter.cpu_s)
        if window.solved and not self.meter.before.solved:  # solved before the meter existed: its cost is unknown
            self.meter.solve_unknown = True
        callbacks: list[BaseCallback] = [
            self.recorder,
            ReportCost(self.meter, self.sink, lambda: window.solved),
            CheckStoredValues(),
            PauseStopGate(self.control, config.algo_info.optimizers),
            *stoppers,
        ]
        if config.schedule or config.live_params():  # after the gate: a change sent while paused applies on resume
            callbacks.append(ApplySchedule(config, self.control, self.sink))
        if job.record_episodes:
            self.eval_env = config.env_info.make(render_mode="rgb_array")
            if job.policy_snapshots and job.folder is not None:
                self.snapshots = PolicySnapshots(job.folder, config.algo_info, self.sink, job.start_step)
            schedule = job.eval_schedule or EvalSchedule()
            self.evaluation = EvaluationEpisodes(self._evaluator(self.eval_env), self.sink, clock, window, schedule)
            callbacks.append(self.evaluation)
        self.boundary = config.algo_info.boundary()
        if self.boundary is not None:
            callbacks.append(self.boundary)  # type: ignore[arg-type]  # an SB3 callback
        if self.folder is not None:  # after the boundary: a checkpoint saves the generators it just captured
            callbacks.append(TimedCheckpoint(self.save_checkpoint, job.checkpoint_every_s))
        if self.preferences is not None:
            callbacks[:0] = self.preferences.callbacks()  # labels first: the first step waits for them

        self.sink.emit(Started(time.perf_counter() - began, job.start_step or None, self.resume_note))
        remaining = config.total_timesteps - job.start_step
        if remaining > 0:
            self.model.learn(remaining, callback=CallbackList(callbacks), reset_num_timesteps=job.start_step == 0)
        end_reason = next((s.end_reason for s in stoppers if s.end_reason), "reached its step budget")
        if self.control.stop_requested:
            raise StopTraining
        self.save_checkpoint()
        self.final_evaluation()
        return Ended(RunStatus.FINISHED, end_reason)

    def _window(self) -> EpisodeWindow:
        """Recent episodes; a resumed run's are read back from its records, so 'solved' sees the whole run."""
        window = EpisodeWindow(self.config.env_info.solved_threshold)
        if self.folder is not None and self.job.start_step:
            for episode in read_episodes(self.folder.monitor_files(), until_step=self.job.start_step):
                window.add(episode.step, episode.true_return, episode.length, episode.train_s)
        return window

    def _env_factory(self) -> Any:
        """Training envs; a stored run's write Monitor CSVs, cut back to the checkpoint first."""
        config = self.config
        reward = self.preferences.wrap if self.preferences is not None else None
        if self.folder is None:
            return lambda: make_training_env(config, reward=reward)
        reset_records(self.folder, self.job.start_step)
        episode_log = EpisodeLog(self.folder.monitor_dir, self.control.elapsed, self.job.start_step)
        return lambda: make_training_env(config, episode_log.wrap, reward)

    def _evaluator(self, env: gym.Env) -> Any:
        seed, folder, run_id = self.config.seed, self.folder, self.job.run_id
        state_slice = self.config.env_info.state_slice if self.job.value_maps else None
        env.reset(seed=evaluation_seed(seed, 0))
        # The first render sets up the renderer (pygame: ~80 ms) and the first GIF loads its encoder: one-off
        # costs no episode should be priced at.
        encode_gif([shrink_frame(env.render())])

        def evaluate(model: Any, index: int, expected_length: float) -> EvalResult:
            started, step = time.thread_time(), int(model.num_timesteps)
            with evaluation_streams(model, seed, index):  # watching never changes what is learned
                recording = play_episode(
                    model,
                    env,
                    seed=evaluation_seed(seed, index),
                    expected_length=expected_length,
                    rng=evaluation_rng(seed, index),
                )
                if state_slice is not None:  # the clip's weights and step; sent before the clip's own event
                    value_map = map_policy(
                        self.config.algo_info, model, state_slice, recording.observations, step=step, index=index
                    )
                    if value_map is not None:
                        self.sink.emit(value_map)
            if self.snapshots is not None:  # the clip's weights; its CPU counts in the evaluation's budget
                self.snapshots.take(model)
            result = EvalResult(
                index,
                step,
                recording.episode_return,
                recording.length,
                b"",
                steps_s=recording.play_s,
                frames=len(recording.frames),
            )
            gif = encode_gif(
                recording.frames, fps=recording.fps, comment=f"RL Playground run {run_id}. {result.describe()}."
            )
            result = replace(result, gif=gif, cost_s=time.thread_time() - started)
            self.meter.add_evaluation(recording.length)
            if folder is not None:
                try:
                    folder.write_gif(result.gif)
                except OSError:
                    log.warning("could not write the evaluation GIF of run %s", run_id, exc_info=True)
            return result

        return evaluate

    def report_progress(self) -> None:
        if self.recorder is not None:
            self.recorder.report_progress()

    def rewind(self) -> None:
        """Put an on-policy model back to its last point between whole updates (after a stop, before saving)."""
        if self.boundary is not None and self.model is not None:
            self.boundary.rewind()

    def final_evaluation(self) -> None:
        """Play one more evaluation with the final weights, so the clip beside the curve is the last policy's."""
        if self.evaluation is None or self.model is None:
            return
        try:
            self.evaluation.play(self.model, count=False)
        except Exception:  # the run itself ended well: a clip that cannot be played must not fail it
            log.warning("the final evaluation episode of run %s failed", self.job.run_id, exc_info=True)

    def save_checkpoint(self) -> None:
        """Save the checkpoint (model, replay buffer, generators; see :mod:`agents.storage.checkpoint`) and report
        it; a full disk is logged, not fatal."""
        if self.folder is None or self.model is None:
            return
        started = time.perf_counter()
        generators = self.boundary.random_state if self.boundary is not None else None  # as at the boundary
        try:
            save_checkpoint(
                self.folder,
                self.config.algo_info,
                self.model,
                generators=generators,
                max_buffer_bytes=self.job.max_replay_buffer_bytes,
            )
            if self.preferences is not None:
                self.preferences.save()
        except OSError:
            log.warning("could not write a checkpoint of run %s", self.job.run_id, exc_info=True)
            return
        timesteps = int(self.model.num_timesteps)
        self.report_cost()  # first: the handle writes status.json, the cost with it, on the checkpoint
        self.sink.emit(Checkpointed(timesteps, self.control.elapsed(), time.perf_counter() - started))

    def report_cost(self) -> None:
        """Report the cost meter's reading now (nothing before the model is built)."""
        if self.model is not None:
            self.sink.emit(self.meter.reading(int(self.model.num_timesteps)))

    def close(self) -> None:
        if self.preferences is not None:
            self.preferences.close()
        for env in (self.eval_env, getattr(self.model, "env", None)):
            if env is not None:
                try:
                    env.close()
                except Exception:
                    log.debug("closing an env of run %s failed", self.job.run_id, exc_info=True)
        logger = getattr(self.model, "_logger", None)
        if logger is not None:
            try:
                logger.close()  # flushes and closes progress.csv
            except Exception:
                log.debug("closing the logger of run %s failed", self.job.run_id, exc_info=True)
