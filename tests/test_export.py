"""Export as code: the script runs on its own and trains the same model; the Zoo entry carries the same values.

The generated scripts run in clean subprocesses (a temporary working directory, no PYTHONPATH), so they cannot
import the project; imported in-process, a few algorithms' scripts are compared with the playground weight by
weight after a short training. The Zoo entry must parse with ``yaml.safe_load``. That the script's rewards equal
the playground's, step by step, is :mod:`tests.test_export_shaping`; the cases are :mod:`tests.export_cases`.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest
import torch
import yaml

from agents.algos.registry import compatible_algos
from agents.config.run_config import build_config
from agents.export.script import (
    ALLOWED_SCRIPT_IMPORTS,
    ExportError,
    export_script,
    export_unavailable_reason,
    script_filename,
)
from agents.export.zoo import export_zoo_yaml
from agents.runs.run import make_training_env
from agents.train import main as train_main
from envs.registry import ENVS
from tests.export_cases import CASES, IN_PROCESS_ONLY, Case, load_module

SCRIPT_STEPS = 200


# --- the script runs on its own ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptResult:
    returncode: int
    output: str
    seconds: float
    saved: bool


@pytest.fixture(scope="module")
def script_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ScriptResult]]:
    """Every case's script run as ``python script.py`` in a clean directory; two at a time (they mostly wait)."""
    clean_env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    def run(case: Case) -> tuple[str, ScriptResult]:
        workdir = tmp_path_factory.mktemp(case.name)
        script = workdir / script_filename(case.config())
        script.write_text(export_script(case.config()))
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, script.name, "--timesteps", str(SCRIPT_STEPS), "--output", "model"],
            cwd=workdir,
            env=clean_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        result = ScriptResult(
            done.returncode, done.stdout + done.stderr, time.perf_counter() - started, (workdir / "model.zip").exists()
        )
        return case.name, result

    with ThreadPoolExecutor(max_workers=2) as pool:
        yield dict(pool.map(run, CASES))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_exported_script_trains_and_saves_in_a_clean_process(case: Case, script_runs: dict[str, ScriptResult]) -> None:
    result = script_runs[case.name]
    print(f"{case.name}: {result.seconds:.1f} s")
    assert result.returncode == 0, result.output[-3000:]
    assert result.saved, "model.save(--output) wrote model.zip"
    assert "saved the model to model.zip" in result.output


def test_the_subprocess_cases_cover_every_sb3_algorithm_and_each_kind_of_shaping() -> None:
    assert {case.algo for case in CASES} == {"ppo", "a2c", "dqn", "sac", "td3", "ddpg"}
    used = {key for case in CASES for key in case.shaping}
    assert {"reward_expr", "potential", "living_reward", "termination_bonus", "reward_scale", "reward_clip"} <= used


@pytest.mark.parametrize("case", CASES + IN_PROCESS_ONLY, ids=[case.name for case in CASES + IN_PROCESS_ONLY])
def test_script_imports_only_gymnasium_sb3_numpy_torch_and_the_standard_library(case: Case) -> None:
    tree = ast.parse(export_script(case.config()))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]  # type: ignore[union-attr]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= ALLOWED_SCRIPT_IMPORTS
    assert {"gymnasium", "stable_baselines3"} <= imported


def test_scripts_are_lint_clean(tmp_path: Path) -> None:
    """Pyflakes' checks (undefined names, unused imports) and syntax, on every generated script."""
    for case in CASES + IN_PROCESS_ONLY:
        (tmp_path / f"{case.name.replace('-', '_')}.py").write_text(export_script(case.config()))
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F,E9", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_header_says_what_it_reproduces_and_numbers_are_exact() -> None:
    config = build_config(
        "Pendulum-v1", "sac", preset="defaults", overrides={"learning_rate": 0.1 + 0.2, "tau": 1e-4}, seed=123
    )
    script = export_script(config)
    header = ast.get_docstring(ast.parse(script)) or ""
    assert "Pendulum-v1" in header and "SAC" in header and "seed 123" in header
    assert "learning_rate=0.30000000000000004," in script, "floats are written by repr, not rounded"
    assert "tau=0.0001," in script
    assert "SEED = 123" in script
    assert f"TOTAL_TIMESTEPS = {config.total_timesteps:_}" in script
    assert "policy_kwargs=dict(net_arch=[256, 256])," in script


# --- the script trains the same model -----------------------------------------------------------------------------

REPRODUCED = [CASES[0], CASES[2], CASES[4], IN_PROCESS_ONLY[0]]


def _trained(build: Callable[[], Any]) -> tuple[dict[str, torch.Tensor], Any]:
    """Build and train one model before the next is built: SB3 seeds the global RNGs when it builds a model."""
    model = build()
    model.verbose = 0
    initial = {key: value.clone() for key, value in model.policy.state_dict().items()}
    model.learn(total_timesteps=300)
    return initial, model


@pytest.mark.parametrize("case", REPRODUCED, ids=[case.name for case in REPRODUCED])
def test_script_trains_the_same_network_as_the_playground(case: Case, tmp_path: Path) -> None:
    config = case.config()
    module = load_module(export_script(config), tmp_path, case.name)
    initial, ours = _trained(lambda: config.algo_info.build(lambda: make_training_env(config), config.hyperparams, 7))
    _, theirs = _trained(lambda: module.build_model(7))
    assert theirs.num_timesteps == ours.num_timesteps
    our_weights, their_weights = ours.policy.state_dict(), theirs.policy.state_dict()
    assert our_weights.keys() == their_weights.keys()
    assert all(torch.equal(our_weights[key], their_weights[key]) for key in our_weights)
    assert not all(torch.equal(initial[key], our_weights[key]) for key in initial), "training changed the weights"


# --- the Zoo entry --------------------------------------------------------------------------------------------------


def test_zoo_entry_parses_and_carries_the_values() -> None:
    config = build_config(
        "CartPole-v1",
        "ppo",
        preset="zoo",
        overrides={"learning_rate": 1e-05, "ent_coef": 0.01, "net_arch": "64x64"},
        shaping={"living_reward": 0.5},
    )
    text = export_zoo_yaml(config)
    entry = yaml.safe_load(text)["CartPole-v1"]
    assert entry["n_timesteps"] == config.total_timesteps
    assert entry["policy"] == "MlpPolicy"
    assert entry["n_envs"] == 8
    assert entry["learning_rate"] == "lin_1.0e-05" and float(entry["learning_rate"][4:]) == 1e-05
    assert entry["gae_lambda"] == 0.8 and entry["n_epochs"] == 20 and entry["ent_coef"] == 0.01
    assert entry["policy_kwargs"] == "dict(net_arch=[64, 64])"
    assert {"net_arch", "learning_rate_schedule", "action_noise", "seed"}.isdisjoint(entry)
    for name, value in config.hyperparams.items():
        if name not in ("net_arch", "learning_rate_schedule", "learning_rate"):
            assert entry[name] == value and type(entry[name]) is type(value), name
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert any("shaping" in line and "cannot" in line for line in comments)
    assert any("script" in line for line in comments), "points to the script export, which carries the shaping"


def test_every_gymnasium_env_exports_and_the_playgrounds_own_env_says_why_not() -> None:
    for env in ENVS.values():
        own_env = not str(gym.spec(env.id).entry_point).startswith("gymnasium.")
        for algo in compatible_algos(env):
            if algo.export_class is None:
                continue
            config = build_config(env.id, algo.id)
            assert yaml.safe_load(export_zoo_yaml(config))[env.id]["policy"] == "MlpPolicy"
            if own_env:
                reason = export_unavailable_reason(config)
                assert reason is not None and env.id in reason
                with pytest.raises(ExportError, match=env.id):
                    export_script(config)
            else:
                assert export_unavailable_reason(config) is None
                ast.parse(export_script(config))


# --- the headless trainer -------------------------------------------------------------------------------------------


def test_trainer_prints_the_export_instead_of_training(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--env", "Acrobot-v1", "--algo", "a2c", "--seed", "5", "--potential", "tip_height"]
    assert train_main([*args, "--export", "script"]) == 0
    script = capsys.readouterr().out
    config = build_config("Acrobot-v1", "a2c", seed=5, stop_when_solved=True, shaping={"potential": "tip_height"})
    assert script == export_script(config)
    assert train_main([*args, "--export", "zoo"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["Acrobot-v1"]["n_timesteps"] == config.total_timesteps


def test_a_run_that_learns_its_reward_from_preferences_exports_no_script(capsys: pytest.CaptureFixture[str]) -> None:
    """The script would train on the env's own reward: not the run it claims to reproduce."""
    config = build_config("Pendulum-v1", "sac", feedback={"feedback": "oracle"})
    assert "preferences" in (export_unavailable_reason(config) or "")
    with pytest.raises(ExportError, match="preferences"):
        export_script(config)
    assert train_main(["--env", "Pendulum-v1", "--algo", "sac", "--feedback", "oracle", "--export", "script"]) == 2
    assert capsys.readouterr().out == ""
    assert any("preferences" in line and "#" in line for line in export_zoo_yaml(config).splitlines())


def test_trainer_export_of_a_bad_configuration_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert train_main(["--env", "Pendulum-v1", "--algo", "dqn", "--export", "script"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "error:" in captured.err
