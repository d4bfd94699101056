"""The worker body, its events and the run handle that reduces them, without a process in between."""

from __future__ import annotations

import signal
import threading
from multiprocessing import Pipe
from typing import Any

import pytest

from agents.config.run_config import build_config
from agents.runs.control import RunControl
from agents.runs.events import (
    Checkpointed,
    CollectingSink,
    Command,
    Ended,
    Episode,
    Evaluated,
    Metrics,
    Progress,
    Started,
)
from agents.runs.live import EvalResult
from agents.runs.run import Run, RunStatus
from agents.runs.training import TrainJob, train
from agents.runs.workers.base import describe_exit
from agents.runs.workers.child import PipeSink


def tiny(timesteps: int = 256, **kwargs: Any) -> Any:
    overrides = {"n_steps": 64, "batch_size": 64, "n_epochs": 1, "net_arch": "32"}
    return build_config("CartPole-v1", "ppo", preset="defaults", overrides=overrides, timesteps=timesteps, **kwargs)


def test_the_body_reports_start_episodes_progress_values_a_clip_and_exactly_one_end() -> None:
    sink = CollectingSink()
    train(TrainJob("20261130-000000-abcdef", tiny()), RunControl(), sink)
    kinds = [type(event) for event in sink.events]
    assert kinds[0] is Started and kinds[-1] is Ended and kinds.count(Ended) == 1
    assert sink.events[-1] == Ended(RunStatus.FINISHED, "reached its step budget")
    episodes = sink.of_type(Episode)
    assert episodes and all(e.length > 0 and e.true_return == e.episode_return for e in episodes)
    assert [e.step for e in episodes] == sorted(e.step for e in episodes)
    last = sink.of_type(Progress)[-1]
    assert last.timesteps == 256 and last.train_s > 0 and last.cpu_s is not None and last.cpu_s > 0
    assert any("train/value_loss" in m.values for m in sink.of_type(Metrics))
    clips = sink.of_type(Evaluated)
    assert clips and clips[-1].result.gif.startswith(b"GIF8"), "the final policy is shown"


def test_a_body_stopped_before_it_starts_builds_nothing() -> None:
    control = RunControl()
    control.stop()
    sink = CollectingSink()
    train(TrainJob("20261130-000000-abcdef", tiny()), control, sink)
    assert sink.events == [Ended(RunStatus.STOPPED, "stopped before it started")]


def test_a_failing_body_ends_failed_with_one_line_and_never_raises() -> None:
    sink = CollectingSink()
    config = tiny(timesteps=10_000, shaping={"reward_expr": "reward/(x-x)"})
    train(TrainJob("20261130-000000-abcdef", config), RunControl(), sink)
    ended = sink.events[-1]
    assert isinstance(ended, Ended) and ended.status == RunStatus.FAILED
    assert ended.error.startswith("The shaped reward failed") and "\n" not in ended.error


class FakeWorker:
    """A worker the test drives by hand: it records commands, and the test delivers events and the exit."""

    def __init__(self, deliver: Any, on_exit: Any) -> None:
        self.deliver, self.on_exit = deliver, on_exit
        self.where = "in the test's hands"
        self.commands: list[Command] = []
        self.done = threading.Event()

    def send(self, command: Command) -> None:
        self.commands.append(command)

    def join(self, timeout: float | None = None) -> bool:
        return True

    @property
    def alive(self) -> bool:
        return not self.done.is_set()

    def exit(self, death: str | None = None) -> None:
        self.done.set()
        self.on_exit(death)


class FakeExecutor:
    def __init__(self) -> None:
        self.workers: list[FakeWorker] = []

    def launch(self, job: TrainJob, deliver: Any, on_exit: Any) -> FakeWorker:
        self.workers.append(FakeWorker(deliver, on_exit))
        return self.workers[-1]


def launched() -> tuple[Run, FakeWorker]:
    executor = FakeExecutor()
    run = Run(tiny())
    run.start(executor)
    return run, executor.workers[0]


def test_the_handle_reduces_events_into_its_stats_and_status() -> None:
    run, worker = launched()
    assert run.status == RunStatus.STARTING and run.alive
    clip = EvalResult(1, 64, 12.0, 12, b"GIF89a")
    worker.deliver(
        [
            Started(0.05),
            Episode(40, 12.0, 11.0, 12, 0.1),
            Progress(64, 0.2, 0.15),
            Metrics(64, {"train/value_loss": 0.5}),
            Evaluated(clip),
            Checkpointed(64, 0.2, 0.01),
        ]
    )
    snap = run.snapshot()
    assert run.status == RunStatus.RUNNING and run.start_latency_s == 0.05
    assert (snap.timesteps, snap.episode_returns, snap.episode_true_returns, snap.cpu_s) == (64, [12.0], [11.0], 0.15)
    assert snap.losses == {"train/value_loss": [(64, 0.5)]} and snap.evaluation == clip
    assert run.checkpoint_timesteps == 64
    worker.deliver([Ended(RunStatus.FINISHED, "reached its step budget")])
    assert run.status == RunStatus.FINISHED and run.alive, "ended, but the worker is still closing"
    worker.exit()
    assert not run.alive and run.join(0)


def test_a_pause_pressed_as_the_run_ends_never_leaves_it_paused() -> None:
    run, worker = launched()
    worker.deliver([Started(0.01)])
    run.pause()
    assert run.status == RunStatus.PAUSED and worker.commands == [Command.PAUSE]
    worker.deliver([Ended(RunStatus.FINISHED, "reached its step budget")])
    assert run.status == RunStatus.FINISHED
    run.pause()
    run.resume()
    assert run.status == RunStatus.FINISHED and worker.commands == [Command.PAUSE]
    worker.exit()
    assert run.status == RunStatus.FINISHED


def test_pauses_racing_the_end_from_many_threads_always_leave_the_run_ended() -> None:
    for _ in range(20):
        run, worker = launched()
        worker.deliver([Started(0.01)])
        go = threading.Barrier(5)

        def press(action: Any, go: threading.Barrier = go) -> None:
            go.wait()
            for _ in range(200):
                action()

        threads = [threading.Thread(target=press, args=(a,)) for a in (run.pause, run.resume, run.pause, run.resume)]
        for thread in threads:
            thread.start()
        go.wait()
        worker.deliver([Ended(RunStatus.FINISHED, "solved")])
        worker.exit()
        for thread in threads:
            thread.join()
        assert run.status == RunStatus.FINISHED and run.end_reason == "solved"


def test_a_worker_that_dies_without_reporting_fails_its_run_with_the_reason_and_a_stop_stays_a_stop() -> None:
    run, worker = launched()
    worker.deliver([Started(0.01)])
    worker.exit("The run crashed: its worker process died of a segmentation fault (SIGSEGV) in native code.")
    assert run.status == RunStatus.FAILED and "SIGSEGV" in run.error

    stopped, worker = launched()
    stopped.stop()
    assert worker.commands == [Command.STOP]
    worker.exit("it did not end within 2 s of Stop and was killed")
    assert stopped.status == RunStatus.STOPPED and stopped.end_reason == "stopped by the user"


@pytest.mark.parametrize(
    ("exitcode", "words"),
    [
        (0, None),
        (-signal.SIGSEGV, "segmentation fault (SIGSEGV)"),
        (-signal.SIGABRT, "aborted (SIGABRT)"),
        (-signal.SIGKILL, "killed by the operating system (SIGKILL)"),
        (-signal.SIGTERM, "ended by SIGTERM"),
        (3, "exited with status 3"),
    ],
)
def test_every_way_a_worker_dies_has_a_sentence(exitcode: int, words: str | None) -> None:
    text = describe_exit(exitcode)
    assert text is None if words is None else (text is not None and words in text and text.endswith("."))


def test_the_pipe_sink_batches_keeps_only_the_latest_progress_and_sends_status_at_once() -> None:
    receiving, sending = Pipe(duplex=False)
    sink = PipeSink(sending, every_s=3600)  # nothing leaves on time alone in this test
    sink.emit(Progress(1, 0.1))  # the first one goes at once (nothing was sent before)
    assert receiving.recv() == [Progress(1, 0.1)]
    sink.emit(Episode(2, 1.0, 1.0, 2, 0.1))
    sink.emit(Progress(2, 0.2))
    sink.emit(Progress(3, 0.3))
    assert not receiving.poll(0.05), "episodes and progress wait for the next batch"
    sink.emit(Checkpointed(3, 0.3, 0.01))
    assert receiving.recv() == [Episode(2, 1.0, 1.0, 2, 0.1), Progress(3, 0.3), Checkpointed(3, 0.3, 0.01)]
    receiving.close()
    sink.emit(Ended(RunStatus.FINISHED))  # the server is gone: no error, nothing more is sent
    assert sink.broken
