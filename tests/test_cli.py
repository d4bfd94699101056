"""The headless trainer: bad input exits 2 with one line and builds nothing; a run prints one JSON summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import agents.train
from agents.train import EXIT_FAILED, EXIT_USAGE, main

ROOT = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = {
    "env",
    "algo",
    "seed",
    "timesteps",
    "episodes",
    "mean_return_last20",
    "solved_at_step",
    "solved_at_s",
    "wall_s",
    "fps",
}
CARTPOLE_PPO = ["--env", "CartPole-v1", "--algo", "ppo"]

BAD_ARGS: list[tuple[list[str], str]] = [
    (["--env", "CartPole-v9", "--algo", "ppo"], "unknown environment 'CartPole-v9'"),
    (["--env", "../../etc", "--algo", "ppo"], "unknown environment"),
    (["--env", "CartPole-v1", "--algo", "PPO"], "unknown algorithm 'PPO'"),
    ([*CARTPOLE_PPO, "--set", "learnig_rate=0.1"], "unknown hyperparameter 'learnig_rate'"),
    (["--env", "Pendulum-v1", "--algo", "dqn"], "needs a continuous action"),
    (["--env", "CartPole-v1", "--algo", "sac"], "has a discrete set of actions"),
    ([*CARTPOLE_PPO, "--set", "learning_rate=-1"], "learning_rate must be between"),
    ([*CARTPOLE_PPO, "--set", "learning_rate=abc"], "learning_rate: 'abc' is not a number"),
    ([*CARTPOLE_PPO, "--set", "gamma=nan"], "gamma must be a finite number"),
    ([*CARTPOLE_PPO, "--set", "n_steps=0"], "n_steps must be between"),
    (["--env", "CartPole-v1", "--algo", "dqn", "--set", "buffer_size=1e12"], "buffer_size must be between"),
    ([*CARTPOLE_PPO, "--timesteps", "-5"], "timesteps must be between"),
    ([*CARTPOLE_PPO, "--timesteps", "lots"], "timesteps"),
    ([*CARTPOLE_PPO, "--seed", "-1"], "seed must be between"),
    ([*CARTPOLE_PPO, "--max-wall-s", "0"], "max_wall_s must be between"),
    ([*CARTPOLE_PPO, "--preset", "turbo"], "unknown preset 'turbo'"),
    ([*CARTPOLE_PPO, "--set", "learning_rate"], "expected NAME=VALUE"),
    ([*CARTPOLE_PPO, "--set", "=0.1"], "expected NAME=VALUE"),
    (
        [*CARTPOLE_PPO, "--preset", "defaults", "--set", "n_steps=64", "--set", "batch_size=128"],
        "batch_size (128) must not exceed n_steps x n_envs (64)",
    ),
    ([*CARTPOLE_PPO, "--reward-expr", "log(0)"], "reward expression"),
    ([*CARTPOLE_PPO, "--reward-expr", "__import__('os').system('true')"], "reward expression"),
    ([*CARTPOLE_PPO, "--living-reward", "abc"], "living_reward must be a number"),
    ([*CARTPOLE_PPO, "--potential", "nope"], "unknown potential 'nope'"),
]


@pytest.fixture
def no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the trainer builds a run for input it should have refused."""

    class RefusedRun:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pytest.fail("a Run was built for bad input")

    monkeypatch.setattr(agents.train, "Run", RefusedRun)


def exit_code(argv: list[str]) -> int | str | None:
    """``main``'s status, whether it returns it or argparse raises it."""
    try:
        return main(argv)
    except SystemExit as exited:
        return exited.code


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(("argv", "words"), BAD_ARGS, ids=[" ".join(argv[2:])[:50] for argv, _ in BAD_ARGS])
def test_bad_input_exits_2_with_one_error_line(
    argv: list[str], words: str, no_run: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(argv) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert words in one_error_line(err)


@pytest.mark.parametrize(
    "argv",
    [[], ["--env", "CartPole-v1"], ["--algo", "ppo"], [*CARTPOLE_PPO, "--learning-rate", "0.1"], [*CARTPOLE_PPO, "x"]],
)
def test_usage_errors_exit_2_with_one_error_line(
    argv: list[str], no_run: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(argv) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == ""
    one_error_line(err)


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in ("--env", "--algo", "--timesteps", "--seed", "--set NAME=VALUE", "--reward-expr"):
        assert option in out


def test_a_short_run_in_process_prints_a_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*CARTPOLE_PPO, "--preset", "defaults", "--timesteps", "300", "--seed", "4", "--quiet"]
    argv += ["--set", "n_steps=64", "--set", "batch_size=64", "--set", "net_arch=32", "--living-reward", "0.5"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert err == ""
    summary = json.loads(out.strip().splitlines()[-1])
    assert set(summary) >= SUMMARY_KEYS
    assert (summary["env"], summary["algo"], summary["seed"], summary["status"]) == (
        "CartPole-v1",
        "ppo",
        4,
        "finished",
    )
    assert summary["timesteps"] >= 300 and summary["episodes"] > 0
    assert summary["hyperparams"]["n_steps"] == 64 and summary["hyperparams"]["net_arch"] == "32"
    assert summary["shaping"] == {"living_reward": 0.5}
    assert summary["mean_return_last20"] > summary["mean_true_return_last20"], "shaped adds 0.5 a step"


def _run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as runs_dir:
        return subprocess.run(
            [sys.executable, "-m", "agents.train", *args],
            cwd=ROOT,
            env={**os.environ, "RUNS_DIR": runs_dir},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.mark.slow
def test_cli_trains_cartpole_and_prints_a_json_last_line() -> None:
    done = _run_cli("--env", "CartPole-v1", "--algo", "ppo", "--timesteps", "2000", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert "NaN" not in last and "Infinity" not in last, "strict JSON"
    summary = json.loads(last)
    assert set(summary) >= SUMMARY_KEYS
    assert summary["env"] == "CartPole-v1" and summary["algo"] == "ppo" and summary["seed"] == 0
    assert summary["status"] == "finished"
    assert 2000 <= summary["timesteps"] < 2000 + 256
    assert summary["episodes"] > 0 and isinstance(summary["mean_return_last20"], float)
    assert summary["solved_at_step"] is None and summary["solved_at_s"] is None
    assert summary["wall_s"] > 0 and summary["fps"] > 0


def test_cli_bad_value_exits_2_with_one_line() -> None:
    done = _run_cli("--env", "CartPole-v1", "--algo", "ppo", "--set", "learning_rate=abc")
    assert done.returncode == EXIT_USAGE
    assert done.stdout == ""
    assert one_error_line(done.stderr) == "error: learning_rate: 'abc' is not a number"


@pytest.mark.slow
def test_cli_run_that_fails_in_training_exits_1_with_one_readable_line() -> None:
    """The reason is one line; the run thread's traceback must not be dumped on the terminal as well."""
    done = _run_cli(*CARTPOLE_PPO, "--timesteps", "500", "--quiet", "--reward-expr", "reward/(x-x)")
    assert done.returncode == EXIT_FAILED
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["status"] == "failed"
    assert summary["error"].startswith("The shaped reward failed")
    assert one_error_line(done.stderr) == f"error: {summary['error']}"
