"""``python -m agents.sweep``: bad input exits 2 with one line before any run exists; a tiny 2x2 sweep trains its
runs in worker processes, prints the table and the best configuration, and writes its folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import agents.sweep
from agents.runs.run import Run
from agents.storage.store import RunStore
from agents.sweep import EXIT_USAGE, main

CARTPOLE_PPO = ["--env", "CartPole-v1", "--algo", "ppo"]
TINY = ["--set", "n_steps=32", "--set", "batch_size=32", "--set", "n_envs=2", "--set", "net_arch=32"]


def exit_code(argv: list[str]) -> int | str | None:
    try:
        return main(argv)
    except SystemExit as exited:
        return exited.code


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ([*CARTPOLE_PPO, "--param", "learning_rate=1e-4:5"], "learning_rate must be between 1e-06 and 1, not 5"),
        ([*CARTPOLE_PPO, "--param", "learnig_rate=auto"], "unknown hyperparameter 'learnig_rate'"),
        ([*CARTPOLE_PPO, "--param", "net_arch=32:64"], "net_arch is not a number"),
        ([*CARTPOLE_PPO], "choose at least one hyperparameter to search"),
        ([*CARTPOLE_PPO, "--param", "n_epochs=auto", "--seeds", "11"], "seeds must be between 1 and 10"),
        (
            [
                *CARTPOLE_PPO,
                "--param",
                "learning_rate=auto",
                "--param",
                "gamma=auto",
                "--method",
                "grid",
                "--points",
                "7",
            ],
            "asks for 98 runs (a grid of 49 configurations times 2 seeds) and this server runs sweeps of at most 48",
        ),
        (["--env", "Pendulum-v1", "--algo", "dqn", "--param", "gamma=auto"], "needs a continuous action"),
        ([*CARTPOLE_PPO, "--param", "gamma=auto", "--method", "bayes"], "invalid choice: 'bayes'"),
        ([*CARTPOLE_PPO, "--param", "gamma=auto", "--executor", "process", "--early-stop"], "needs --executor ray"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_starts_nothing(
    argv: list[str], words: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(*args: Any, **kwargs: Any) -> None:
        pytest.fail("a run manager was made for bad input")

    monkeypatch.setattr(agents.sweep, "RunManager", refused)
    assert exit_code(argv) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and "Traceback" not in err
    assert words in err


@pytest.mark.slow
def test_a_tiny_2x2_sweep_trains_ordinary_runs_and_writes_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs_dir, out_dir = tmp_path / "runs", tmp_path / "sweep"
    argv = [*CARTPOLE_PPO, "--param", "learning_rate=1e-3,3e-2", "--method", "grid", "--seeds", "2"]
    argv += ["--timesteps", "96", "--parallel", "2", "--runs-dir", str(runs_dir), "--out", str(out_dir), *TINY]
    assert main(argv) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["trial", "status", "learning_rate", "metric", "per", "seed"]
    assert [line.split()[:3] for line in lines[1:3]] == [["1", "finished", "0.001"], ["2", "finished", "0.03"]]

    summary = json.loads((out_dir / "sweep.json").read_text())
    assert summary["definition"]["learning_rate"] == "0.001,0.03"
    trials = summary["trials"]
    assert [t["params"] for t in trials] == [{"learning_rate": 0.001}, {"learning_rate": 0.03}]
    store = RunStore(runs_dir)
    for trial in trials:
        assert trial["status"] == "finished" and len(trial["run_ids"]) == 2
        # every seed is an ordinary stored run; its metric is the stored record's mean of the last 20 true returns
        seeds = []
        for run_id, metric in zip(trial["run_ids"], trial["seed_metrics"], strict=True):
            stored = Run.restore(store.open(run_id))
            assert stored.config.hyperparams["learning_rate"] == trial["params"]["learning_rate"]
            seeds.append(stored.config.seed)
            snap = stored.snapshot()
            assert metric == pytest.approx(snap.mean_last(snap.episode_true_returns))
        assert seeds == [0, 1]
        assert trial["metric"] == pytest.approx(sum(trial["seed_metrics"]) / 2)
    best = max(trials, key=lambda t: t["metric"])
    assert summary["best"]["trial"] == best["trial"]
    assert f"best: trial {best['trial']} " in out and "open on Train: /train?env=CartPole-v1&algo=ppo" in out
    zoo = (out_dir / "best_zoo.yml").read_text()
    assert "CartPole-v1:" in zoo and "n_timesteps: 96" in zoo
    assert (out_dir / "trials.csv").read_text().count("\n") == 3
