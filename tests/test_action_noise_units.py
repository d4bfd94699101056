"""Action noise is in SB3's normalised action space [-1, 1], never in the env's units (issue 8, item 4).

SB3's off-policy algorithms add ``action_noise()`` to the *scaled* action and clip it to [-1, 1] before unscaling
it to the env's bounds (``OffPolicyAlgorithm._sample_action``); TD3's target-policy noise is added to the target
actor's output in the same space. RL Zoo's ``noise_std`` is that same number. So the std a person sets, the std the
model is built with, the exported script's and the Zoo entry's all equal one another whatever the env's bound:
multiplying by the bound (2 on Pendulum) doubled the noise there, and was invisible on envs bounded by 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from agents.config.run_config import RunConfig, build_config
from agents.export.script import export_script
from agents.export.zoo import export_zoo_yaml
from agents.runs.run import make_training_env
from agents.train import main as train_main
from tests.export_cases import load_module

ZOO_PENDULUM_NOISE_STD = 0.1
"""rl-baselines3-zoo hyperparams/td3.yml and ddpg.yml, Pendulum-v1: ``noise_type: 'normal'``, ``noise_std: 0.1``."""

CASES = [
    pytest.param("Pendulum-v1", "td3", "zoo", {}, ZOO_PENDULUM_NOISE_STD, id="pendulum-td3-zoo-bound-2"),
    pytest.param("Pendulum-v1", "ddpg", "zoo", {}, ZOO_PENDULUM_NOISE_STD, id="pendulum-ddpg-zoo-bound-2"),
    pytest.param("Pendulum-v1", "td3", "demo", {}, ZOO_PENDULUM_NOISE_STD, id="pendulum-td3-demo-bound-2"),
    pytest.param("MountainCarContinuous-v0", "td3", "defaults", {"action_noise": 0.3}, 0.3, id="mcc-td3-bound-1"),
]


def _config(env_id: str, algo: str, preset: str, overrides: dict[str, object]) -> RunConfig:
    # A small buffer and net: the test is about the noise, not the allocation.
    small = {"buffer_size": 1000, "net_arch": "32", **overrides}
    return build_config(env_id, algo, preset=preset, overrides=small)


def _sigma(model: object) -> np.ndarray:
    noise = model.action_noise  # type: ignore[attr-defined]
    return np.asarray(noise._sigma)


@pytest.mark.parametrize(("env_id", "algo", "preset", "overrides", "expected"), CASES)
def test_built_model_noise_sigma_is_the_setting_whatever_the_bound(
    env_id: str, algo: str, preset: str, overrides: dict[str, object], expected: float
) -> None:
    config = _config(env_id, algo, preset, overrides)
    assert config.hyperparams["action_noise"] == expected, "the preset carries Zoo's noise_std unchanged"
    model = config.algo_info.build(lambda: make_training_env(config), config.hyperparams, 0)
    assert np.allclose(_sigma(model), expected)
    assert np.all(np.asarray(model.action_noise._mu) == 0.0)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("env_id", "algo", "preset", "overrides", "expected"), CASES)
def test_exported_script_and_zoo_entry_carry_the_same_std(
    env_id: str, algo: str, preset: str, overrides: dict[str, object], expected: float, tmp_path: Path
) -> None:
    config = _config(env_id, algo, preset, overrides)
    module = load_module(export_script(config), tmp_path, f"noise_{algo}")
    assert expected == module.ACTION_NOISE
    assert np.allclose(_sigma(module.build_model(0)), expected)
    entry = yaml.safe_load(export_zoo_yaml(config))[env_id]
    assert entry["noise_type"] == "normal" and entry["noise_std"] == expected
    assert "action_noise" not in entry


def test_trainer_zoo_export_prints_zoos_noise_std(capsys: pytest.CaptureFixture[str]) -> None:
    assert train_main(["--env", "Pendulum-v1", "--algo", "td3", "--preset", "zoo", "--export", "zoo"]) == 0
    entry = yaml.safe_load(capsys.readouterr().out)["Pendulum-v1"]
    assert entry["noise_std"] == ZOO_PENDULUM_NOISE_STD


def test_noise_moves_the_env_action_by_sigma_times_the_bound() -> None:
    """What the normalised std means in the env's units: on Pendulum ([-2, 2]) 0.1 moves the torque by 0.2."""
    config = _config("Pendulum-v1", "td3", "defaults", {"action_noise": 0.1, "learning_starts": 0})
    model = config.algo_info.build(lambda: make_training_env(config), config.hyperparams, 0)
    model._last_obs = model.env.reset()  # type: ignore[attr-defined]
    quiet, _ = model._sample_action(0, None, 1)
    noisy = np.array([model._sample_action(0, model.action_noise, 1)[0][0, 0] for _ in range(2000)])
    assert abs(float(np.std(noisy)) - 0.2) < 0.02
    assert abs(float(np.mean(noisy)) - float(quiet[0, 0])) < 0.02
