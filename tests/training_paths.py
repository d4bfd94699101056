"""The ways one configuration gets trained, each ending in what it learned: for the reproducibility matrix.

Every path trains a :class:`~agents.config.run_config.RunConfig` the way a user's action does (the server's
process executor through :class:`~agents.runs.manager.RunManager`, *Run N seeds*, the headless trainer as a
program, the exported script as a program) and returns an :class:`Outcome`: every tensor of the saved model and
the episodes each env copy's Monitor CSV recorded. :mod:`tests.test_reproducibility` compares them.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from agents.config.run_config import RunConfig, build_config, seed_configs
from agents.config.schedule import schedule_to_text
from agents.export.script import export_script
from agents.runs.live import EvalSchedule
from agents.runs.manager import RunManager
from agents.runs.run import Run, RunStatus
from agents.runs.workers.process import ProcessExecutor
from agents.storage.store import RunStore
from tests.conftest import wait_until

RUN_TIMEOUT_S = 180.0
"""A tiny run takes seconds; the limit only keeps a hung worker from hanging the suite."""
CHECKPOINT_S = 0.2
"""Seconds between the checkpoints of a run the manager starts: saving must not change what is learned."""


class EveryNthCall(EvalSchedule):
    """Evaluation at fixed points, whatever the clock says, so a test plays many in a few hundred steps."""

    def __init__(self, every: int) -> None:
        super().__init__(min_interval_s=0.0, first_after_s=0.0)
        self.every, self.calls = every, 0

    def due(self, elapsed_s: float, expected_length: float = 1.0, cpu_s: float | None = None) -> bool:
        self.calls += 1
        return self.calls % self.every == 0


@dataclass(frozen=True)
class Outcome:
    """What a run learned: the saved model's tensors, and each env copy's episodes as its Monitor wrote them."""

    weights: dict[str, torch.Tensor]
    episodes: list[list[tuple[float, int]]]
    """Per env copy, in order: (return, length) of each finished episode."""
    evaluations: int = 0
    """Evaluation episodes played while it trained (only the in-app paths play any)."""

    def assert_equal(self, other: Outcome) -> None:
        assert [len(copy) for copy in self.episodes] == [len(copy) for copy in other.episodes], "episode counts"
        assert self.episodes == other.episodes, "episode returns and lengths"
        assert self.weights.keys() == other.weights.keys()
        differing = [key for key in self.weights if not torch.equal(self.weights[key], other.weights[key])]
        assert not differing, f"tensors that differ: {differing}"


def outcome(config: RunConfig, model_path: Path, monitor_dir: Path, evaluations: int = 0) -> Outcome:
    """Read a saved model (through the algorithm's own loader) and the ``<i>.monitor.csv`` files beside it."""
    model = config.algo_info.restore(model_path, config.env_info.make, config.hyperparams, 0)
    if hasattr(model, "q"):  # a tabular agent: its table is what it learned
        weights = {"q": torch.from_numpy(np.array(model.q, copy=True))}
    else:
        weights = {key: value.detach().clone() for key, value in model.policy.state_dict().items()}
    model.get_env().close()
    files = sorted(monitor_dir.glob("*.monitor.csv"), key=lambda path: int(path.name.split(".")[0]))
    assert files, f"no Monitor CSV in {monitor_dir}"
    episodes = []
    for path in files:
        lines = path.read_text().splitlines()[1:]  # after the Monitor's JSON header
        episodes.append([(float(row["r"]), int(row["l"])) for row in csv.DictReader(lines)])
    return Outcome(weights, episodes, evaluations)


def _folder_outcome(run: Run) -> Outcome:
    assert run.join(RUN_TIMEOUT_S), "the run did not end"
    assert run.status == RunStatus.FINISHED, run.error
    assert run.folder is not None
    snap = run.snapshot()
    evaluations = snap.evaluation.index if snap.evaluation else 0
    info = run.config.algo_info
    return outcome(run.config, run.folder.checkpoint_path(info.checkpoint_file), run.folder.monitor_dir, evaluations)


# --- the paths ----------------------------------------------------------------------------------------------------


def unwatched(config: RunConfig, tmp_path: Path) -> Outcome:
    """The reference: one run in a worker process, no evaluation episodes, nothing else training."""
    run = Run(config, record_episodes=False, store=RunStore(tmp_path / "unwatched"))
    run.start(ProcessExecutor())
    return _folder_outcome(run)


def alone(config: RunConfig, tmp_path: Path) -> Outcome:
    """As the server starts a run: through the manager into a worker process, evaluation clips on their clock,
    and checkpoints as often as a long run writes them (every few rollouts, not every 30 s)."""
    store = RunStore(tmp_path / "alone")
    manager = RunManager(max_concurrent=2, store=store, executor=ProcessExecutor(), checkpoint_every_s=CHECKPOINT_S)
    return _folder_outcome(manager.start(config))


def beside_another(config: RunConfig, tmp_path: Path) -> Outcome:
    """Started while another run of another algorithm trains, and ending before it does."""
    manager = RunManager(max_concurrent=2, store=RunStore(tmp_path / "beside"), executor=ProcessExecutor())
    other_algo = "dqn" if config.algo == "ppo" else "ppo"
    other = manager.start(
        build_config("CartPole-v1", other_algo, preset="defaults", overrides={"net_arch": "32"}, timesteps=10**6)
    )
    assert wait_until(lambda: other.snapshot().timesteps > 0, timeout=60), (other.status, other.error)
    run = manager.start(config)
    result = _folder_outcome(run)
    assert other.status == RunStatus.RUNNING, "the other run trained the whole time"
    other.stop()
    assert other.join(30)
    return result


def evaluating(config: RunConfig, tmp_path: Path) -> Outcome:
    """The Train page's run with evaluation episodes playing far more often than a page plays them."""
    run = Run(config, store=RunStore(tmp_path / "evaluating"))
    run.eval_schedule = EveryNthCall(25)
    run.start(ProcessExecutor())
    result = _folder_outcome(run)
    assert result.evaluations >= 5, "evaluation episodes really played in between"
    return result


def one_of_n_seeds(config: RunConfig, tmp_path: Path) -> Outcome:
    """Seed k of *Run N seeds* (N = k + 2, queued at once as the Train page does, two training at a time)."""
    manager = RunManager(max_concurrent=2, store=RunStore(tmp_path / "seeds"), executor=ProcessExecutor())
    runs = [manager.start(each) for each in seed_configs(replace(config, seed=0), config.seed + 2)]
    results = [_folder_outcome(run) for run in runs]
    assert [run.config.seed for run in runs] == list(range(config.seed + 2))
    return results[config.seed]


def _clean_env() -> dict[str, str]:
    """The environment of a program a user starts: no PYTHONPATH leading into this checkout."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


def headless(config: RunConfig, tmp_path: Path) -> Outcome:
    """``python -m agents.train`` as a program: its JSON names the run folder, which holds the model and episodes."""
    argv = [sys.executable, "-m", "agents.train", "--env", config.env_id, "--algo", config.algo]
    argv += ["--preset", config.preset, "--seed", str(config.seed), "--timesteps", str(config.total_timesteps)]
    argv += ["--stop-when-solved", str(config.stop_when_solved).lower(), "--quiet"]
    argv += ["--runs-dir", str(tmp_path / "headless")]
    for name, value in config.hyperparams.items():
        argv += ["--set", f"{name}={value}"]
    settings = {**config.shaping.to_dict(), **(config.feedback.to_dict() if config.feedback else {})}
    for name, value in settings.items():
        if value != "":  # a rule only with --feedback rule
            argv += [f"--{name.replace('_', '-')}", str(value)]
    if config.schedule:
        argv += ["--schedule", schedule_to_text(config.schedule)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["status"] == "finished" and summary["timesteps"] >= config.total_timesteps, summary
    folder = Path(summary["run_dir"])
    result = outcome(config, folder / config.algo_info.checkpoint_file, folder / "monitor")
    assert summary["episodes"] == sum(len(copy) for copy in result.episodes), "the JSON counts every episode"
    return result


def exported(config: RunConfig, tmp_path: Path) -> Outcome:
    """The exported script as a user runs it: a clean directory, no access to the project."""
    workdir = tmp_path / "exported"
    workdir.mkdir()
    script = workdir / "train.py"
    script.write_text(export_script(config))
    argv = [sys.executable, script.name, "--output", "model", "--monitor-dir", "monitor"]
    done = subprocess.run(argv, cwd=workdir, env=_clean_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert done.returncode == 0, done.stdout + done.stderr
    return outcome(config, workdir / "model.zip", workdir / "monitor")


PATHS: dict[str, Callable[[RunConfig, Path], Outcome]] = {
    "alone": alone,
    "beside_another_run": beside_another,
    "evaluating": evaluating,
    "run_n_seeds": one_of_n_seeds,
    "headless_trainer": headless,
    "exported_script": exported,
}
"""Every path a user can train a configuration by, each compared with :func:`unwatched`."""
