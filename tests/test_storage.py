"""Runs persist in SB3's formats, come back after a restart, resume after SIGKILL, and never leave their root."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.monitor import load_results

from agents.config.run_config import RunConfig, build_config
from agents.runs.manager import RunActionError, RunManager
from agents.runs.run import Run, RunStatus, make_training_env
from agents.storage.checkpoint import REPLAY_BUFFER_FILE, restore_checkpoint
from agents.storage.folder import (
    RunFolder,
    atomic_save_model,
    atomic_write_bytes,
    checkpoint_timesteps,
)
from agents.storage.records import read_episodes
from agents.storage.store import RunStore
from agents.train import main as train_main
from tests.conftest import wait_until
from tests.storage_cases import OWNER, REPO, make_stored, small_config


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunStore, Run]]:
    """One short run trained to its budget in a store, with checkpoints every 0.2 s."""
    store = RunStore(tmp_path_factory.mktemp("runs"))
    manager = RunManager(max_concurrent=1, store=store, checkpoint_every_s=0.2)
    run = manager.start(small_config(), owner=OWNER)
    assert run.join(120), "the run did not finish"
    assert run.status == RunStatus.FINISHED, run.error
    yield store, run
    manager.stop_all()


def episodes_of(folder_path: Path) -> list[tuple[int, float, float, int]]:
    folder = RunFolder(folder_path, folder_path.name)
    return [(e.step, e.episode_return, e.true_return, e.length) for e in read_episodes(folder.monitor_files())]


def test_config_and_status_are_written_before_the_run_trains(tmp_path: Path) -> None:
    config = small_config()
    run = Run(config, owner=OWNER, store=RunStore(tmp_path))
    folder = tmp_path / run.id
    assert json.loads((folder / "config.json").read_text()) == config.to_dict()
    assert RunConfig.from_dict(json.loads((folder / "config.json").read_text())) == config
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "queued" and status["total_timesteps"] == config.total_timesteps
    assert run.worker is None and not (folder / "model.zip").exists()
    everything = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert OWNER.encode() not in everything, "the raw owner token must never be stored"
    assert status["owner_sha256"] and run.is_owner(OWNER) and not run.is_owner("someone-else")


def test_a_finished_run_leaves_its_records_in_sb3_formats(finished: tuple[RunStore, Run]) -> None:
    _, run = finished
    folder = run.folder.path  # type: ignore[union-attr]
    monitors = sorted(p.name for p in (folder / "monitor").iterdir())
    assert monitors == ["0.monitor.csv", "1.monitor.csv"], "one Monitor file per env copy"

    episodes = load_results(str(folder / "monitor"))  # SB3's own reader
    assert {"r", "l", "t", "true_return"} <= set(episodes.columns)
    snap = run.snapshot()
    assert len(episodes) == len(snap.episode_returns) > 10
    assert sorted(episodes["r"]) == sorted(snap.episode_returns)
    assert (episodes["true_return"] == episodes["r"]).all(), "no shaping: the true return is the return"

    progress = pd.read_csv(folder / "progress.csv")
    assert progress["time/total_timesteps"].is_monotonic_increasing
    assert progress["time/total_timesteps"].iloc[-1] == snap.timesteps
    assert progress["train/value_loss"].notna().sum() == len(snap.losses["train/value_loss"])

    model = PPO.load(folder / "model.zip", device="cpu")
    assert model.num_timesteps == snap.timesteps >= 2_000
    assert (folder / "latest_episode.gif").read_bytes()[:4] == b"GIF8"
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "finished" and status["end_reason"] == "reached its step budget"
    assert status["checkpoint_timesteps"] == snap.timesteps
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != ".lock"], "temp files left"


def test_a_restarted_manager_lists_finished_runs_as_they_were(finished: tuple[RunStore, Run]) -> None:
    store, run = finished
    before = run.snapshot()
    restarted = RunManager(max_concurrent=1, store=RunStore(store.root))
    again = restarted.get(run.id)
    assert again is not None and again is not run
    assert again.status == RunStatus.FINISHED and again.end_reason == run.end_reason
    assert again.created_at == run.created_at and restarted.runs()[0] is again
    after = again.snapshot()
    assert after.episode_steps == before.episode_steps
    assert after.episode_returns == before.episode_returns
    assert after.episode_true_returns == before.episode_true_returns
    assert after.episode_lengths == before.episode_lengths
    assert after.timesteps == before.timesteps
    assert after.losses.keys() == before.losses.keys(), "the loss charts redraw from progress.csv"
    for key, series in before.losses.items():  # SB3's CSV writes float32 values with 7 digits
        assert [step for step, _ in after.losses[key]] == [step for step, _ in series]
        assert [value for _, value in after.losses[key]] == pytest.approx([value for _, value in series], rel=1e-6)
    assert after.evaluation is not None and before.evaluation is not None
    assert after.evaluation.gif == before.evaluation.gif and after.evaluation.step == before.evaluation.step
    assert again.is_owner(OWNER) and not again.is_owner("") and again.owner == ""
    assert not again.resumable, "a finished run has nothing left to train"
    with pytest.raises(RunActionError):
        restarted.resume(run.id, OWNER)


def test_checkpoints_are_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "model.zip"
    target.write_bytes(b"old checkpoint")
    seen: dict[str, Any] = {}

    class SlowModel:
        def save(self, path: str) -> None:
            seen["path"] = Path(path)
            seen["target_meanwhile"] = target.read_bytes()
            Path(path).write_bytes(b"new")
            seen["target_after_write"] = target.read_bytes()

    atomic_save_model(SlowModel(), target)
    assert seen["target_meanwhile"] == seen["target_after_write"] == b"old checkpoint"
    temp: Path = seen["path"]
    assert temp.parent == tmp_path and temp.name.startswith(".") and temp.suffix == ".zip" and temp != target
    assert target.read_bytes() == b"new" and not temp.exists()

    class FailingModel:
        def save(self, path: str) -> None:
            Path(path).write_bytes(b"half")
            raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_save_model(FailingModel(), target)
    with pytest.raises(OSError):
        atomic_write_bytes(tmp_path / "missing-folder" / "status.json", b"{}")
    assert target.read_bytes() == b"new", "a failed save leaves the last checkpoint as it was"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.zip"], "no temporary file is left"


def test_stopped_or_interrupted_runs_resume_from_their_checkpoint(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    manager = RunManager(max_concurrent=1, store=store, checkpoint_every_s=0.2)
    run = manager.start(small_config(timesteps=6_000), owner=OWNER)
    assert wait_until(lambda: (run.checkpoint_timesteps or 0) >= 1_000, timeout=60)
    run.stop()
    assert run.join(10) and run.status == RunStatus.STOPPED and run.resumable
    folder = run.folder.path  # type: ignore[union-attr]
    checkpoint = checkpoint_timesteps(folder / "model.zip")
    assert checkpoint == run.checkpoint_timesteps <= run.snapshot().timesteps
    assert checkpoint % (2 * 64) == 0, "PPO's checkpoint is between two whole updates (n_envs x n_steps apart)"
    kept = [episode for episode in episodes_of(folder) if episode[0] <= checkpoint]

    # Make it look like the server died while training: status still "running", an episode after the checkpoint.
    status = json.loads((folder / "status.json").read_text())
    (folder / "status.json").write_text(json.dumps({**status, "status": "running", "end_reason": ""}))
    with (folder / "monitor" / "0.monitor.csv").open("a") as handle:
        handle.write(f"99.0,99,1.0,99.0,{checkpoint + 200},9.0\n")

    restarted = RunManager(max_concurrent=1, store=RunStore(tmp_path), checkpoint_every_s=0.2)
    interrupted = restarted.get(run.id)
    assert interrupted is not None and interrupted.status == RunStatus.INTERRUPTED and interrupted.resumable
    assert interrupted.snapshot().timesteps == checkpoint
    assert len(interrupted.snapshot().episode_returns) == len(kept), "episodes after the checkpoint are not shown"
    with pytest.raises(RunActionError, match="only the tab"):
        restarted.resume(run.id, "someone-else")

    resumed = restarted.resume(run.id, OWNER)
    assert restarted.get(run.id) is resumed and resumed.is_owner(OWNER)
    assert resumed.join(120) and resumed.status == RunStatus.FINISHED, resumed.error
    assert resumed.resumed_from_step == checkpoint
    episodes = episodes_of(folder)
    assert episodes[: len(kept)] == kept, "the records before the checkpoint are intact"
    assert all(step > checkpoint for step, *_ in episodes[len(kept) :]) and len(episodes) > len(kept)
    assert 99.0 not in [ret for _, ret, _, _ in episodes], "the episode after the checkpoint was dropped"
    assert resumed.snapshot().timesteps >= 6_000 and resumed.snapshot().episode_returns == [e[1] for e in episodes]
    assert PPO.load(folder / "model.zip", device="cpu").num_timesteps == resumed.snapshot().timesteps


def test_a_tabular_run_resumes_from_its_npz_checkpoint(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    config = build_config("FrozenLake-v1", "q_learning", timesteps=40_000)
    run = Run(config, record_episodes=False, store=store, checkpoint_every_s=0.05)
    run.start()
    assert wait_until(lambda: bool(run.checkpoint_timesteps), timeout=30)
    run.stop()
    assert run.join(10) and run.status == RunStatus.STOPPED and run.resumable
    checkpoint = checkpoint_timesteps(run.folder.path / "model.npz")  # type: ignore[union-attr]
    kept = episodes_of(run.folder.path)  # type: ignore[union-attr]

    resumed = Run.restore(store.open(run.id), record_episodes=False).resumed()
    resumed.start()
    assert resumed.join(60) and resumed.status == RunStatus.FINISHED, resumed.error
    assert resumed.resumed_from_step == checkpoint and resumed.snapshot().timesteps == 40_000
    episodes = episodes_of(run.folder.path)  # type: ignore[union-attr]
    assert episodes[: len(kept)] == kept and all(step > checkpoint for step, *_ in episodes[len(kept) :])
    assert checkpoint_timesteps(run.folder.path / "model.npz") == 40_000  # type: ignore[union-attr]


def _wait_for_checkpoint(folder_root: Path, min_steps: int, timeout: float) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for status_path in folder_root.glob("*/status.json"):
            try:
                status = json.loads(status_path.read_text())
            except ValueError:
                continue
            if (status.get("checkpoint_timesteps") or 0) >= min_steps:
                return status_path.parent
        time.sleep(0.1)
    raise AssertionError(f"no checkpoint of {min_steps}+ steps within {timeout} s")


def test_a_run_killed_with_sigkill_resumes_from_its_checkpoint_with_its_metrics_intact(tmp_path: Path) -> None:
    # Room after the kill for episodes to end: on a quiet machine 12k steps took 4 s, the last checkpoint before
    # the kill fell near the budget, and a good policy's 500-step episodes did not end in what was left.
    budget = 30_000
    command = [sys.executable, "-m", "agents.train", "--env", "CartPole-v1", "--algo", "ppo", "--preset", "demo"]
    command += ["--timesteps", str(budget), "--runs-dir", str(tmp_path), "--checkpoint-every-s", "1", "--quiet"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        folder = _wait_for_checkpoint(tmp_path, min_steps=2_000, timeout=90)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    checkpoint = checkpoint_timesteps(folder / "model.zip")
    assert 2_000 <= checkpoint <= budget - 8 * 500, "killed early enough for episodes to end after the resume"
    before = [e for e in episodes_of(folder) if e[0] <= checkpoint]
    assert len(before) > 20

    listed = RunManager(max_concurrent=1, store=RunStore(tmp_path)).get(folder.name)
    assert listed is not None and listed.status == RunStatus.INTERRUPTED and listed.resumable

    resume = [sys.executable, "-m", "agents.train", "--resume", str(folder), "--quiet", "--checkpoint-every-s", "5"]
    done = subprocess.run(resume, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "finished" and result["run_dir"] == str(folder)
    assert result["resumed_from_step"] == checkpoint, "continues from the checkpoint, not from 0"
    assert budget <= result["timesteps"] < budget + 256, "ends at its budget (PPO finishes its last rollout)"

    after = episodes_of(folder)
    assert after[: len(before)] == before, "the episodes recorded before the kill are still there"
    new_steps = [step for step, *_ in after[len(before) :]]
    assert new_steps and checkpoint < new_steps[0] <= checkpoint + 8 * 500, "the records continue at the checkpoint"
    assert new_steps == sorted(new_steps) and new_steps[-1] <= result["timesteps"]
    assert result["episodes"] == len(after)
    progress = pd.read_csv(folder / "progress.csv")["time/total_timesteps"]
    assert progress.is_monotonic_increasing and progress.is_unique, "no duplicated update after the kill"
    assert progress.iloc[0] < checkpoint and progress.iloc[-1] == result["timesteps"]
    assert PPO.load(folder / "model.zip", device="cpu").num_timesteps == result["timesteps"]


@pytest.mark.slow
def test_a_dqn_killed_with_sigkill_resumes_with_its_replay_buffer(tmp_path: Path) -> None:
    """Off-policy: the replay buffer written beside each checkpoint survives the kill, so the resumed run's first
    gradient steps sample from every transition collected before it, not from the few collected after."""
    budget = 5_000
    command = [sys.executable, "-m", "agents.train", "--env", "CartPole-v1", "--algo", "dqn", "--preset", "demo"]
    command += ["--timesteps", str(budget), "--runs-dir", str(tmp_path), "--checkpoint-every-s", "1", "--quiet"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        folder = _wait_for_checkpoint(tmp_path, min_steps=1_500, timeout=120)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    checkpoint = checkpoint_timesteps(folder / "model.zip")
    assert 1_500 <= checkpoint < budget and (folder / REPLAY_BUFFER_FILE).is_file()

    config = RunConfig.from_dict(json.loads((folder / "config.json").read_text()))
    restored = restore_checkpoint(
        RunFolder(folder, folder.name), config.algo_info, lambda: make_training_env(config), config.hyperparams, 1
    )
    assert restored.replay_transitions == checkpoint == restored.model.replay_buffer.size() and restored.note == ""
    restored.model.get_env().close()

    resume = [sys.executable, "-m", "agents.train", "--resume", str(folder), "--quiet", "--checkpoint-every-s", "5"]
    done = subprocess.run(resume, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "finished" and result["resumed_from_step"] == checkpoint
    assert result["resume_note"] is None, "kept its buffer: nothing to say"
    assert result["timesteps"] == budget


def test_the_trainer_names_its_run_folder_and_refuses_bad_resume_folders(
    finished: tuple[RunStore, Run], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--env", "CartPole-v1", "--algo", "ppo", "--timesteps", "300", "--quiet", "--runs-dir", str(tmp_path)]
    assert train_main([*args, "--set", "net_arch=32", "--set", "n_epochs=1"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    run_dir = Path(result["run_dir"])
    assert run_dir.parent == tmp_path.resolve() and run_dir.name == result["run_id"]
    assert (run_dir / "config.json").is_file() and (run_dir / "model.zip").is_file()

    not_a_run = tmp_path / "notes"
    not_a_run.mkdir()
    looks_like_one = tmp_path / "20200101-000000-abcdef"
    looks_like_one.mkdir()
    (looks_like_one / "config.json").write_text("{}")
    finished_dir = str(finished[1].folder.path)  # type: ignore[union-attr]
    for bad, why in [
        (str(tmp_path / "missing"), "is not a folder"),
        (str(not_a_run), "is not a run id"),
        (str(looks_like_one), "status.json cannot be read"),
        (finished_dir, "only an interrupted or stopped run can be resumed"),
    ]:
        assert train_main(["--resume", bad, "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and why in err, err
    assert train_main(["--resume", finished_dir, "--env", "CartPole-v1"]) == 2
    assert "drop --env" in capsys.readouterr().err

    busy_id = "20200101-000000-000002"
    make_stored(RunStore(tmp_path), busy_id, "running")
    busy = RunStore(tmp_path).folder(busy_id)
    busy.lock()  # as if another process were training it
    try:
        assert train_main(["--resume", str(busy.path), "--quiet"]) == 2
        assert "being trained by another process" in capsys.readouterr().err
        assert json.loads((busy.path / "status.json").read_text())["status"] == "running", "left as it was"
    finally:
        busy.unlock()
