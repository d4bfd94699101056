"""Readable run names: unique on a server, stored in the run folder, kept across a restart and a resume."""

from __future__ import annotations

import json
from pathlib import Path

from agents.config.run_config import build_config
from agents.runs.manager import RunManager
from agents.runs.names import fallback_name, handed_over_name, next_run_name
from agents.runs.run import Run, RunStatus
from agents.storage.store import RunStore
from agents.train import new_stored_run, summarise

OWNER = "owner-token-for-names"


def test_names_say_what_ran_and_number_its_repeats() -> None:
    config = build_config("CartPole-v1", "ppo", seed=0)
    assert next_run_name(config, []) == "CartPole · PPO · seed 0 · #1"
    taken = ["CartPole · PPO · seed 0 · #1", "CartPole · PPO · seed 0 · #4", "CartPole · PPO · seed 1 · #7", "x"]
    assert next_run_name(config, taken) == "CartPole · PPO · seed 0 · #5", "after the highest, never a taken one"
    assert next_run_name(build_config("CartPole-v1", "ppo", seed=1), taken) == "CartPole · PPO · seed 1 · #8"
    odd = build_config("MountainCarContinuous-v0", "sac", seed=2)  # a title with brackets is no pattern
    assert next_run_name(odd, ["MountainCar (continuous) · SAC · seed 2 · #2"]).endswith("seed 2 · #3")


def test_a_run_a_person_handed_to_the_oracle_says_so_once_and_other_runs_keep_their_names() -> None:
    person = build_config("Pendulum-v1", "ppo", seed=0, feedback={"feedback": "human", "labels": 100})
    name = next_run_name(person, [])
    assert name == "Pendulum · PPO · 100 labels by a person · seed 0 · #1"
    handed = handed_over_name(name, person)
    assert handed == "Pendulum · PPO · 100 labels by a person, then the oracle · seed 0 · #1"
    assert handed_over_name(handed, person) == handed  # a second click changes nothing
    oracle = build_config("Pendulum-v1", "ppo", seed=0, feedback={"feedback": "oracle", "labels": 100})
    plain = build_config("CartPole-v1", "ppo", seed=0)
    for config in (oracle, plain):
        assert handed_over_name(next_run_name(config, []), config) == next_run_name(config, [])


def test_a_run_without_a_stored_name_gets_one_from_its_config_and_id() -> None:
    config = build_config("Acrobot-v1", "a2c", seed=3)
    assert fallback_name(config, "20261130-120000-a1b2c3") == "Acrobot · A2C · seed 3 · a1b2c3"
    assert Run(config, run_id="20261130-120000-a1b2c3").name == "Acrobot · A2C · seed 3 · a1b2c3"


def test_the_manager_names_runs_uniquely_stores_the_name_and_a_restart_keeps_it(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    manager = RunManager(max_concurrent=1, store=store)
    config = build_config("FrozenLake-v1", "q_learning", timesteps=300)
    runs = [manager.start(config, owner=OWNER) for _ in range(3)]
    runs.append(manager.start(build_config("FrozenLake-v1", "q_learning", seed=5, timesteps=300), owner=OWNER))
    for run in runs:
        assert run.join(60) and run.status == RunStatus.FINISHED, run.error
    names = [run.name for run in runs]
    assert names == [
        "FrozenLake · Q-learning · seed 0 · #1",
        "FrozenLake · Q-learning · seed 0 · #2",
        "FrozenLake · Q-learning · seed 0 · #3",
        "FrozenLake · Q-learning · seed 5 · #1",
    ]
    assert len({run.id for run in runs}) == 4, "the id stays the id"
    for run in runs:
        assert json.loads((tmp_path / run.id / "status.json").read_text())["name"] == run.name

    restarted = RunManager(max_concurrent=1, store=store)
    assert sorted(run.name for run in restarted.runs()) == sorted(names)
    again = restarted.start(config, owner=OWNER)
    assert again.join(60)
    assert again.name == "FrozenLake · Q-learning · seed 0 · #4"


def test_a_resumed_run_keeps_its_name(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    manager = RunManager(max_concurrent=1, store=store, checkpoint_every_s=0.05)
    run = manager.start(build_config("FrozenLake-v1", "q_learning", timesteps=2_000_000), owner=OWNER)
    assert run.join(0.5) is False or run.status != RunStatus.FINISHED
    run.stop()
    assert run.join(30) and run.resumable
    resumed = manager.resume(run.id, OWNER)
    resumed.stop()
    assert resumed.join(30)
    assert resumed.name == run.name == "FrozenLake · Q-learning · seed 0 · #1"


def test_the_headless_trainer_names_a_run_after_those_in_its_runs_folder(tmp_path: Path) -> None:
    config = build_config("CartPole-v1", "ppo", timesteps=64)
    first = new_stored_run(config, str(tmp_path), checkpoint_every_s=30.0)
    second = new_stored_run(config, str(tmp_path), checkpoint_every_s=30.0)
    assert (first.name, second.name) == ("CartPole · PPO · seed 0 · #1", "CartPole · PPO · seed 0 · #2")
    assert sorted(RunStore(tmp_path).names()) == [first.name, second.name]
    assert summarise(second, 0.0)["run_name"] == second.name, "the JSON line names it too"
