"""GRPO in the playground: chosen on the Train page, trained by the run and the CLI, stored, resumed, not exported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.config.run_config import ConfigError, build_config
from agents.export.script import export_unavailable_reason
from agents.runs.manager import get_manager
from agents.runs.run import Run, RunStatus
from agents.storage.folder import checkpoint_timesteps
from agents.storage.store import RunStore
from agents.train import main as train_main
from tests.conftest import wait_until
from tests.test_app_pages import _no_entrypoint_rerun, app_at, run_param, shown, texts  # noqa: F401  (autouse fixture)

TINY = {"group_size": 2, "groups_per_update": 2, "n_epochs": 1, "batch_size": 64, "net_arch": "32"}


def test_grpo_can_be_chosen_on_the_train_page_and_trains_from_it() -> None:
    at = app_at("pages/train.py")
    assert "GRPO" in at.selectbox(key="cfg_algo").options
    at.selectbox(key="cfg_algo").set_value("grpo").run()
    assert not at.exception
    assert at.selectbox(key="cfg_preset").value == "demo"
    assert {"group_size", "groups_per_update", "beta", "clip_range", "n_epochs"} <= {n.label for n in at.number_input}
    assert at.selectbox(key="hp_advantage").options == ["outcome", "returns_to_go"]
    page = texts(at)
    assert "no value network" in page.lower() and "lags PPO" in page
    assert "stable-baselines3 has no GRPO" in page  # the export section says why there is no script
    next(b for b in at.button if b.label == "Start training").click().run()
    run = get_manager().get(run_param(at))
    assert run is not None and run.config.algo == "grpo"
    assert wait_until(lambda: run.snapshot().timesteps > 0, timeout=60), run.error
    run.stop()
    assert run.join(30) and run.status == RunStatus.STOPPED


def test_a_bad_group_setting_is_refused_with_the_field_named() -> None:
    with pytest.raises(ConfigError, match="group_size"):
        build_config("CartPole-v1", "grpo", overrides={"group_size": 1})
    with pytest.raises(ConfigError, match="at most 256 attempts"):
        build_config("CartPole-v1", "grpo", overrides={"group_size": 64, "groups_per_update": 8})


def test_grpo_runs_cannot_be_exported_and_say_why() -> None:
    config = build_config("CartPole-v1", "grpo")
    for kind in ("script", "zoo"):
        reason = export_unavailable_reason(config, kind)
        assert reason is not None and "stable-baselines3 has no GRPO" in reason


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1", "Pendulum-v1", "LunarLander-v3", "FrozenLake-v1"])
def test_grpo_trains_on_discrete_and_continuous_envs_and_charts_its_values(env_id: str) -> None:
    config = build_config(env_id, "grpo", preset="defaults", overrides=TINY, timesteps=300)
    run = Run(config, record_episodes=False)
    run.start()
    assert run.join(120) and run.status == RunStatus.FINISHED, run.error
    snap = run.snapshot()
    assert snap.timesteps >= 300 and snap.episode_returns
    assert {"train/policy_gradient_loss", "train/frac_reward_zero_std", "train/clip_fraction"} <= set(snap.losses)


def test_a_stopped_grpo_run_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    config = build_config("CartPole-v1", "grpo", preset="defaults", overrides=TINY, timesteps=6_000)
    run = Run(config, record_episodes=False, store=store, checkpoint_every_s=0.05)
    run.start()
    assert wait_until(lambda: bool(run.checkpoint_timesteps), timeout=60)
    run.stop()
    assert run.join(30) and run.status == RunStatus.STOPPED and run.resumable, run.error
    checkpoint = checkpoint_timesteps(run.folder.path / "model.zip")  # type: ignore[union-attr]
    resumed = Run.restore(store.open(run.id), record_episodes=False).resumed()
    resumed.start()
    assert resumed.join(120) and resumed.status == RunStatus.FINISHED, resumed.error
    assert resumed.resumed_from_step == checkpoint
    assert checkpoint_timesteps(run.folder.path / "model.zip") >= 6_000  # type: ignore[union-attr]
    progress = (run.folder.path / "progress.csv").read_text()  # type: ignore[union-attr]
    assert "train/frac_reward_zero_std" in progress.splitlines()[0]


def test_the_headless_trainer_runs_grpo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--env", "Pendulum-v1", "--algo", "grpo", "--timesteps", "400", "--runs-dir", str(tmp_path)]
    for name, value in TINY.items():
        args += ["--set", f"{name}={value}"]
    assert train_main(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["algo"] == "grpo" and result["status"] == "finished" and result["timesteps"] >= 400
    assert shown(result["env"]) == "Pendulum-v1"
