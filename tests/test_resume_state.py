"""Resume as if never stopped: the replay buffer, update boundaries and random state survive a checkpoint.

Off-policy runs keep their replay buffer beside the checkpoint (up to a size limit, above which the resumed run
redoes its warm-up and says so); on-policy runs checkpoint only between whole updates, and a stop inside an update
rewinds to the last boundary; the generators' states are saved and restored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from stable_baselines3.common.callbacks import BaseCallback

from agents.config.run_config import RunConfig, build_config
from agents.runs.callbacks import PauseStopGate
from agents.runs.control import RunControl
from agents.runs.live import StopTraining
from agents.runs.manager import RunManager, get_manager
from agents.runs.run import Run, RunStatus, make_training_env
from agents.storage.checkpoint import (
    DEFAULT_MAX_REPLAY_BUFFER_BYTES,
    REPLAY_BUFFER_FILE,
    max_replay_buffer_bytes,
    restore_checkpoint,
    save_checkpoint,
)
from agents.storage.folder import RunFolder
from agents.storage.records import TimedCheckpoint
from agents.storage.store import RunStore
from tests.conftest import wait_until
from tests.test_app_pages import _no_entrypoint_rerun, app_at, shown  # noqa: F401  (autouse fixture)

OWNER = "owner-token-0123456789"


def dqn_config(timesteps: int = 2_000, learning_starts: int = 100) -> RunConfig:
    overrides = {"buffer_size": 5_000, "learning_starts": learning_starts, "batch_size": 32, "net_arch": "32"}
    return build_config("CartPole-v1", "dqn", preset="defaults", overrides=overrides, timesteps=timesteps)


def _trained(config: RunConfig, steps: int) -> Any:
    model = config.algo_info.build(lambda: make_training_env(config), config.hyperparams, config.seed)
    model.learn(total_timesteps=steps)
    return model


def _restore(folder: RunFolder, config: RunConfig, **kwargs: Any) -> Any:
    env_fn = lambda: make_training_env(config)  # noqa: E731
    return restore_checkpoint(folder, config.algo_info, env_fn, config.hyperparams, config.seed + 1, **kwargs)


def buffer_size(run: Run) -> int:
    """Transitions in the replay buffer of the run's last checkpoint (the worker holds the model, not the test)."""
    assert run.folder is not None
    restored = _restore(RunFolder(run.folder.path, run.id), run.config)
    return int(restored.model.replay_buffer.size())


# --- off-policy: the replay buffer --------------------------------------------------------------------------------


def test_a_resumed_dqn_keeps_its_replay_buffer_contents(tmp_path: Path) -> None:
    config = dqn_config()
    model = _trained(config, 600)
    folder = RunFolder(tmp_path, "run")
    save_checkpoint(folder, config.algo_info, model)
    assert (tmp_path / REPLAY_BUFFER_FILE).is_file()

    restored = _restore(folder, config)
    buffer, original = restored.model.replay_buffer, model.replay_buffer
    assert restored.note == "" and restored.replay_transitions == 600
    assert buffer.size() == original.size() == 600, "the first gradient step samples from all 600 transitions"
    for name in ("observations", "next_observations", "actions", "rewards", "dones"):
        assert np.array_equal(getattr(buffer, name)[:600], getattr(original, name)[:600]), name
    np.random.seed(3)
    sample = original.sample(16)
    np.random.seed(3)
    again = buffer.sample(16)
    assert torch.equal(sample.observations, again.observations) and torch.equal(sample.rewards, again.rewards)
    assert restored.model.learning_starts == 100, "no second warm-up"


def test_a_buffer_above_the_limit_is_not_kept_and_the_resumed_run_redoes_its_warmup(tmp_path: Path) -> None:
    config = dqn_config(learning_starts=100)
    model = _trained(config, 600)
    folder = RunFolder(tmp_path, "run")
    save_checkpoint(folder, config.algo_info, model, max_buffer_bytes=1_000)
    assert not (tmp_path / REPLAY_BUFFER_FILE).exists()

    restored = _restore(folder, config, max_buffer_bytes=1_000)
    resumed = restored.model
    assert restored.replay_transitions is None and resumed.replay_buffer.size() == 0
    assert "without its replay buffer" in restored.note and "larger than the 1 kB kept on disk" in restored.note
    assert "collects 100 fresh steps (learning_starts)" in restored.note and "from step 700" in restored.note
    updates = resumed._n_updates
    resumed.learn(total_timesteps=80, reset_num_timesteps=False)
    assert resumed._n_updates == updates, "no gradient step on a nearly empty buffer"
    resumed.learn(total_timesteps=60, reset_num_timesteps=False)
    assert resumed._n_updates > updates, "learns again once learning_starts fresh steps are collected"


def test_the_buffer_limit_is_a_setting_with_a_default() -> None:
    assert max_replay_buffer_bytes({}) == DEFAULT_MAX_REPLAY_BUFFER_BYTES == 256 * 1024**2
    assert max_replay_buffer_bytes({"RUNS_MAX_REPLAY_BUFFER_BYTES": "1e6"}) == 1_000_000
    assert max_replay_buffer_bytes({"RUNS_MAX_REPLAY_BUFFER_BYTES": "0"}) == 0, "0 keeps no buffer"
    assert max_replay_buffer_bytes({"RUNS_MAX_REPLAY_BUFFER_BYTES": "lots"}) == DEFAULT_MAX_REPLAY_BUFFER_BYTES


def test_a_buffer_left_from_another_checkpoint_is_not_used(tmp_path: Path) -> None:
    """Killed between writing the buffer and the model: the buffer on disk is newer than the model."""
    config = dqn_config()
    model = _trained(config, 400)
    folder = RunFolder(tmp_path, "run")
    save_checkpoint(folder, config.algo_info, model)
    model.learn(total_timesteps=100, reset_num_timesteps=False)
    config.algo_info.replay_buffer.save(model, tmp_path / REPLAY_BUFFER_FILE)  # type: ignore[union-attr]

    restored = _restore(folder, config)
    assert restored.model.num_timesteps == 400 and restored.replay_transitions is None
    assert restored.model.replay_buffer.size() == 0 and "was not saved with this checkpoint" in restored.note


def test_a_stopped_dqn_run_resumes_with_its_buffer_and_the_status_says_when_it_could_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = RunManager(max_concurrent=1, store=RunStore(tmp_path), checkpoint_every_s=0.2)
    run = manager.start(dqn_config(timesteps=1_500), owner=OWNER)
    assert wait_until(lambda: (run.checkpoint_timesteps or 0) >= 400, timeout=60)
    run.stop()
    assert run.join(10) and run.status == RunStatus.STOPPED
    stopped_at = run.checkpoint_timesteps
    assert stopped_at is not None and stopped_at >= run.snapshot().timesteps - 1, "off-policy: the step it stopped at"
    assert stopped_at == buffer_size(run), "as many steps as stored transitions"

    resumed = manager.resume(run.id, OWNER)
    assert resumed.join(120) and resumed.status == RunStatus.FINISHED, resumed.error
    assert resumed.resume_note == ""
    final = resumed.checkpoint_timesteps
    assert final is not None and buffer_size(resumed) == final, "every transition since step 0"

    # The same again with a limit below the buffer's size: the resumed run refills it first, and says so.
    monkeypatch.setenv("RUNS_MAX_REPLAY_BUFFER_BYTES", "1000")
    second = manager.start(dqn_config(timesteps=1_500), owner=OWNER)
    assert wait_until(lambda: (second.checkpoint_timesteps or 0) >= 400, timeout=60)
    second.stop()
    assert second.join(10) and not (second.folder.path / REPLAY_BUFFER_FILE).exists()  # type: ignore[union-attr]
    monkeypatch.delenv("RUNS_MAX_REPLAY_BUFFER_BYTES")  # the resumed run's own checkpoints keep theirs again
    again = manager.resume(second.id, OWNER)
    assert again.join(120) and again.status == RunStatus.FINISHED, again.error
    assert "without its replay buffer" in again.resume_note
    assert buffer_size(again) == again.checkpoint_timesteps - second.checkpoint_timesteps  # type: ignore[operator]
    status = json.loads((again.folder.path / "status.json").read_text())  # type: ignore[union-attr]
    assert status["resume_note"] == again.resume_note
    assert RunManager(max_concurrent=1, store=RunStore(tmp_path)).get(again.id).resume_note == again.resume_note  # type: ignore[union-attr]


# --- on-policy: whole updates only --------------------------------------------------------------------------------


class _StopInsideSecondUpdate(BaseCallback):
    """Presses Stop at the third optimizer step of the second update; records the weights between updates."""

    def __init__(self, control: RunControl) -> None:
        super().__init__()
        self.control = control
        self.updates = 0
        self.steps_in_update = 0
        self.weights_before_update: dict[str, torch.Tensor] = {}

    def _on_training_start(self) -> None:
        self.model.policy.optimizer.register_step_pre_hook(self._step)

    def _on_rollout_end(self) -> None:  # the rollout is collected; the update has not begun
        self.updates += 1
        self.steps_in_update = 0
        self.weights_before_update = {k: v.clone() for k, v in self.model.policy.state_dict().items()}
        self.steps_at_boundary = self.model.num_timesteps - self.model.n_steps

    def _step(self, *_: Any) -> None:
        self.steps_in_update += 1
        if self.updates == 2 and self.steps_in_update == 3:
            self.control.stop()

    def _on_step(self) -> bool:
        return True


def test_a_stop_inside_a_ppo_update_rewinds_to_the_last_whole_update_and_checkpoints_fall_between_updates() -> None:
    overrides = {"n_steps": 32, "batch_size": 8, "n_epochs": 2, "n_envs": 1, "net_arch": "32"}
    config = build_config("CartPole-v1", "ppo", preset="defaults", overrides=overrides, timesteps=10_000)
    algo = config.algo_info
    model = algo.build(lambda: make_training_env(config), config.hyperparams, 0)
    control = RunControl()
    gate = PauseStopGate(control, algo.optimizers)
    boundary = algo.boundary()
    spy = _StopInsideSecondUpdate(control)
    checkpoints: list[int] = []
    timed = TimedCheckpoint(lambda: checkpoints.append(model.num_timesteps), every_s=0.0)
    assert boundary is not None
    with pytest.raises(StopTraining):
        model.learn(total_timesteps=10_000, callback=[gate, boundary, spy, timed])
    assert spy.steps_in_update == 3, "the stop came inside the second update, two optimizer steps applied"
    assert checkpoints == [0, 32], "timed checkpoints fall at rollout starts, between whole updates"

    boundary.rewind()
    assert model.num_timesteps == 32, "back to the end of the first update"
    weights = model.policy.state_dict()
    assert all(torch.equal(weights[k], v) for k, v in spy.weights_before_update.items()), "no half update kept"


def test_a2c_needs_no_weight_rewind_and_tabular_agents_no_boundary() -> None:
    """A2C's update is one optimizer step (the stop gate acts before it); a tabular agent's state is whole at
    every step; off-policy SB3 algorithms only uncount a step counted but not yet stored."""
    from agents.algos.registry import get_algo
    from agents.algos.sb3.boundary import WholeTransitions

    assert get_algo("a2c").boundary().rewind_weights is False  # type: ignore[union-attr]
    assert get_algo("ppo").boundary().rewind_weights is True  # type: ignore[union-attr]
    assert all(isinstance(get_algo(a).boundary(), WholeTransitions) for a in ("dqn", "sac", "td3", "ddpg"))
    assert get_algo("q_learning").boundary() is None


# --- random state --------------------------------------------------------------------------------------------------


def test_the_generators_continue_after_a_resume_instead_of_restarting_from_the_seed(tmp_path: Path) -> None:
    config = dqn_config()
    model = _trained(config, 300)
    folder = RunFolder(tmp_path, "run")
    save_checkpoint(folder, config.algo_info, model)
    env = model.get_env().envs[0].unwrapped
    expected = (torch.rand(4), np.random.rand(4), env.np_random.random(4), model.action_space.sample())

    restored = _restore(folder, config).model  # SB3's load reseeds every generator with the first seed ...
    env = restored.get_env().envs[0].unwrapped
    got = (torch.rand(4), np.random.rand(4), env.np_random.random(4), restored.action_space.sample())
    assert torch.equal(expected[0], got[0]), "torch's generator continues"  # ... and the saved states undo that
    assert np.array_equal(expected[1], got[1]) and np.array_equal(expected[2], got[2]) and expected[3] == got[3]


# --- what the page says ------------------------------------------------------------------------------------------


def test_the_train_page_says_when_a_resumed_run_refills_its_buffer_and_where_a_stopped_ppo_resumes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNS_MAX_REPLAY_BUFFER_BYTES", "1000")
    manager = get_manager()
    run = manager.start(dqn_config(timesteps=1_000), owner=OWNER)
    assert wait_until(lambda: run.snapshot().timesteps >= 300, timeout=60)
    run.stop()
    assert run.join(10) and run.status == RunStatus.STOPPED
    resumed = manager.resume(run.id, OWNER)
    assert resumed.join(60) and resumed.status == RunStatus.FINISHED, resumed.error
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    assert any("without its replay buffer" in shown(i.value) and "learning_starts" in shown(i.value) for i in at.info)

    overrides = {"n_steps": 256, "n_envs": 1, "batch_size": 64, "net_arch": "32"}
    config = build_config("CartPole-v1", "ppo", preset="defaults", overrides=overrides, timesteps=50_000)
    ppo = manager.start(config, owner=OWNER)
    assert wait_until(lambda: ppo.snapshot().timesteps % 256 > 20, timeout=60)  # inside a rollout
    ppo.stop()
    assert ppo.join(10) and ppo.status == RunStatus.STOPPED
    assert ppo.checkpoint_timesteps is not None and ppo.checkpoint_timesteps % 256 == 0
    at = app_at("pages/train.py", run=ppo.id)
    assert ppo.checkpoint_timesteps < ppo.snapshot().timesteps, "the steps of the rollout in progress are not kept"
    expected = f"Resuming continues from step {ppo.checkpoint_timesteps:,}"
    assert any(expected in shown(i.value) for i in at.info), [i.value for i in at.info]
