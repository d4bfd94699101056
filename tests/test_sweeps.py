"""Sweeps: spaces come from the schema (never restated), trials reproduce from the definition, bad input and
oversized sweeps are refused before anything starts, and the sweep feeds the manager a few runs at a time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from agents.algos.registry import get_algo
from agents.config.run_config import RunConfig, build_config
from agents.config.schema import HyperParamError
from agents.runs.live import SOLVE_WINDOW
from agents.runs.manager import RunActionError
from agents.runs.run import RunStatus
from agents.sweeps.definition import SweepError, make_definition
from agents.sweeps.runner import SweepRegistry, SweepRun
from agents.sweeps.share import definition_to_query, query_to_definition
from agents.sweeps.space import auto_space, parse_space

PPO = get_algo("ppo").schema
DQN = get_algo("dqn").schema


def space(name: str, spec: str, schema=PPO):  # type: ignore[no-untyped-def]
    return parse_space(schema.get(name), spec)


def test_auto_spaces_follow_the_schema() -> None:
    lr = PPO.get("learning_rate")
    assert lr.log and auto_space(lr).low == pytest.approx(float(lr.default) / 10)
    assert auto_space(lr).high == pytest.approx(float(lr.default) * 10) and auto_space(lr).log
    assert auto_space(PPO.get("net_arch")).values == PPO.get("net_arch").choices
    epochs = auto_space(PPO.get("n_epochs"))  # not log: half to one and a half times the default, whole numbers
    assert (epochs.low, epochs.high, epochs.log) == (5, 15, False)
    gamma = auto_space(PPO.get("gamma"))  # clipped to the schema's bound (0.99 * 1.5 > 0.9999)
    assert gamma.high == PPO.get("gamma").high
    ent = auto_space(PPO.get("ent_coef"))  # default 0: the whole range
    assert (ent.low, ent.high) == (PPO.get("ent_coef").low, PPO.get("ent_coef").high)
    tau = auto_space(DQN.get("tau"))  # default 1.0 is the top bound: a decade below it
    assert (tau.low, tau.high) == (0.1, 1.0)


def test_grids_on_the_schemas_scale() -> None:
    assert space("learning_rate", "1e-4:1e-2").grid(3) == (0.0001, 0.001, 0.01)
    assert space("gae_lambda", "0.8:1").grid(3) == (0.8, 0.9, 1.0)
    assert space("n_steps", "16:256").grid(5) == (16, 32, 64, 128, 256)
    assert space("n_epochs", "1:2").grid(5) == (1, 2)  # whole numbers, repeats dropped
    assert space("net_arch", "32,64,32").values == ("32", "64")


@pytest.mark.parametrize(
    ("name", "spec", "message"),
    [
        ("learning_rate", "1e-4:5", "learning_rate must be between 1e-06 and 1, not 5"),
        ("learning_rate", "0:1e-2", "learning_rate must be between 1e-06 and 1, not 0"),
        ("learning_rate", "1e-2:1e-4", "the range's low end 0.01 is above its high end 0.0001"),
        ("n_epochs", "1:abc", "n_epochs: 'abc' is not a number"),
        ("n_epochs", "2.5,4", "n_epochs must be a whole number"),
        ("net_arch", "32:64", "net_arch is not a number"),
        ("net_arch", "32,huge", "net_arch: 'huge' is not one of"),
        ("gamma", "", "gamma: choose at least one value"),
        ("gamma", ",".join(["0.9"] * 21), "at most 20 values"),
        ("gamma", "__import__('os')", "is not a number"),
    ],
)
def test_bad_spaces_are_refused_with_the_schemas_words(name: str, spec: str, message: str) -> None:
    with pytest.raises(HyperParamError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        space(name, spec)
    assert raised.value.field == name


def test_random_trials_reproduce_from_the_sweep_seed() -> None:
    spaces = [space("learning_rate", "1e-5:1e-2"), space("n_epochs", "1:20"), space("net_arch", "auto")]

    def draws(seed: int) -> list[dict]:
        return make_definition("CartPole-v1", "ppo", spaces, method="random", trials=6, sweep_seed=seed).param_sets()

    first = draws(7)
    assert first == draws(7) and first != draws(8)
    assert len(first) == 6
    for params in first:
        assert 1e-5 <= params["learning_rate"] <= 1e-2
        assert isinstance(params["n_epochs"], int) and 1 <= params["n_epochs"] <= 20
        assert params["net_arch"] in PPO.get("net_arch").choices
    # log-uniform: over many draws, as many below the range's geometric middle (3.2e-4) as above it
    many = make_definition("CartPole-v1", "ppo", spaces[:1], trials=48, seeds=1, sweep_seed=1).param_sets()
    below = sum(p["learning_rate"] < np.sqrt(1e-5 * 1e-2) for p in many)
    assert 14 <= below <= 34


def test_grid_trials_are_every_combination_and_each_seed_is_an_ordinary_run() -> None:
    definition = make_definition(
        "CartPole-v1",
        "ppo",
        [space("learning_rate", "1e-4:1e-3"), space("n_epochs", "2,4")],
        method="grid",
        points=2,
        seeds=3,
        timesteps=1000,
        fixed={"n_steps": "64"},
    )
    trials = definition.make_trials()
    assert [t.params for t in trials] == [
        {"learning_rate": 0.0001, "n_epochs": 2},
        {"learning_rate": 0.0001, "n_epochs": 4},
        {"learning_rate": 0.001, "n_epochs": 2},
        {"learning_rate": 0.001, "n_epochs": 4},
    ]
    assert definition.run_count() == 12
    configs = trials[3].configs
    assert [c.seed for c in configs] == [0, 1, 2]
    # seed 1 of trial 4 is exactly the run the Train page starts with these values and seed 1
    same = build_config(
        "CartPole-v1", "ppo", overrides={"learning_rate": 0.001, "n_epochs": 4, "n_steps": 64}, seed=1, timesteps=1000
    )
    assert configs[1] == same


def test_a_sweep_larger_than_the_servers_limit_is_refused_before_anything_is_made() -> None:
    spaces = [space("learning_rate", "1e-5:1e-2"), space("n_epochs", "1:20"), space("gae_lambda", "0.8:1")]
    refusal = (
        r"asks for 1000 runs \(a grid of 1000 configurations times 1 seed\) .* at most 48 \(RL_PLAYGROUND_MAX_SWEEP"
    )
    with pytest.raises(SweepError, match=refusal) as error:
        make_definition("CartPole-v1", "ppo", spaces, method="grid", points=10, seeds=1)  # 1000 trials
    assert error.value.field == "trials"
    with pytest.raises(SweepError, match="asks for 50 runs"):
        make_definition("CartPole-v1", "ppo", spaces, method="random", trials=25, seeds=2)


@pytest.mark.parametrize(
    ("kwargs", "message", "field"),
    [
        ({"method": "bayes"}, "method must be grid or random", "method"),
        ({"seeds": 0}, "seeds must be between 1 and 10", "seeds"),
        ({"trials": "many"}, "trials: 'many' is not a number", "trials"),
        ({"timesteps": -1}, "timesteps must be between", "timesteps"),
        ({"fixed": {"batch_size": 4096, "n_steps": 64}}, "batch_size (4096) must not exceed", "batch_size"),
    ],
)
def test_bad_sweep_settings_name_their_field(kwargs: dict, message: str, field: str) -> None:
    with pytest.raises(SweepError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        make_definition("CartPole-v1", "ppo", [space("learning_rate", "auto")], **kwargs)
    assert error.value.field == field


def test_a_trial_that_cannot_run_is_named_before_any_starts() -> None:
    fixed = {"n_steps": 512, "n_envs": 1}
    definition = make_definition("CartPole-v1", "ppo", [space("batch_size", "32,1024")], method="grid", fixed=fixed)
    with pytest.raises(SweepError, match=r"trial 2 \(batch_size=1,024\) cannot run: batch_size \(1024\) must not"):
        definition.make_trials()


def test_a_definition_travels_in_a_link_and_hostile_links_are_refused_value_by_value() -> None:
    definition = make_definition(
        "Acrobot-v1",
        "dqn",
        [space("learning_rate", "1e-4:1e-2", DQN), space("net_arch", "32,64", DQN)],
        method="grid",
        seeds=1,
        points=2,
        timesteps=5000,
        fixed={"batch_size": 64},
    )
    shared = query_to_definition(definition_to_query(definition))
    assert shared.warnings == [] and shared.definition == definition
    assert shared.definition.make_trials()[3].configs == definition.make_trials()[3].configs

    hostile = query_to_definition(
        {
            "env": "CartPole-v1",
            "algo": "ppo",
            "learning_rate": "1e-4:5",
            "n_epochs": "__import__('os').system('x')",
            "gamma": "0.9,0.99",
            "seeds": "1000",
            "bogus": "1",
        }
    )
    assert hostile.definition is not None and [s.name for s in hostile.definition.spaces] == ["gamma"]
    text = " | ".join(hostile.warnings)
    for expected in (
        "learning_rate must be between",
        "n_epochs:",
        "seeds must be between",
        "unknown parameter 'bogus'",
    ):
        assert expected in text
    assert query_to_definition({"env": "CartPole-v1", "algo": "ppo"}).definition is None


@dataclass
class FakeRun:
    """Stands in for a run: a status and the true returns a snapshot reports."""

    config: RunConfig
    id: str
    status: RunStatus = RunStatus.RUNNING
    returns: list[float] = field(default_factory=list)

    def snapshot(self):  # type: ignore[no-untyped-def]
        class Snap:
            episode_true_returns = self.returns

            @staticmethod
            def mean_last(values: list[float]) -> float | None:
                return float(np.mean(values[-SOLVE_WINDOW:])) if values else None

        return Snap()

    def stop(self) -> None:
        self.status = RunStatus.STOPPED


def test_the_sweep_keeps_at_most_parallel_runs_active_and_ranks_by_the_mean_of_the_last_20() -> None:
    definition = make_definition(
        "CartPole-v1", "ppo", [space("learning_rate", "1e-4,1e-3,1e-2")], method="grid", seeds=2, timesteps=1000
    )
    started: list[FakeRun] = []
    refuse = [True]

    def start(config: RunConfig) -> FakeRun:
        if refuse[0]:
            refuse[0] = False
            raise RunActionError("the server already has 60 runs training or waiting")
        started.append(FakeRun(config, f"run{len(started)}"))
        return started[-1]

    sweep = SweepRun(definition, definition.make_trials(), start, parallel=2)
    assert not sweep.advance() and started == [] and "60 runs" in sweep.note  # refused: waits, tries again
    sweep.advance()
    assert len(started) == 2 and sweep.note == ""
    assert [r.status for r in sweep.results()] == ["training", "waiting", "waiting"]
    sweep.advance()
    assert len(started) == 2  # nothing more while two are active
    for index, run in enumerate(started):
        run.returns = [0.0] * 30 + [10.0 * (index + 1)] * 20  # only the last 20 count
        run.status = RunStatus.FINISHED
    sweep.advance()
    assert [r.status for r in sweep.results()] == ["finished", "training", "waiting"]
    assert sweep.results()[0].metric == pytest.approx(15.0)  # the mean of its seeds' 10 and 20
    assert [run.config.seed for run in started] == [0, 1, 0, 1]
    started[2].returns, started[3].returns = [50.0], [40.0]
    started[2].status = started[3].status = RunStatus.FINISHED
    sweep.advance()
    started[4].returns, started[5].returns = [90.0], [90.0]
    assert sweep.best().index == 1  # the finished trials rank first; the one still training does not count yet
    started[4].status = started[5].status = RunStatus.FAILED
    assert sweep.advance() and sweep.done
    assert [r.status for r in sweep.results()] == ["finished", "finished", "failed"]
    assert sweep.best().params == {"learning_rate": 0.001}


def test_stopping_a_sweep_stops_its_runs_and_starts_no_more() -> None:
    definition = make_definition("CartPole-v1", "ppo", [space("n_epochs", "1,2,3")], method="grid", seeds=1)
    started: list[FakeRun] = []
    sweep = SweepRun(definition, definition.make_trials(), lambda c: started.append(FakeRun(c, "r")) or started[-1], 1)
    sweep.advance()
    sweep.stop()
    assert sweep.advance() and len(started) == 1 and started[0].status == RunStatus.STOPPED
    assert [r.status for r in sweep.results()] == ["stopped", "stopped", "stopped"]


def test_at_shutdown_sweeps_stop_feeding_and_leave_their_runs_to_the_manager() -> None:
    definition = make_definition("CartPole-v1", "ppo", [space("n_epochs", "1,2,3")], method="grid", seeds=1)
    started: list[FakeRun] = []
    sweep = SweepRun(definition, definition.make_trials(), lambda c: started.append(FakeRun(c, "r")) or started[-1], 1)
    registry = SweepRegistry()
    registry.add(sweep)
    sweep.advance()
    registry.halt()
    assert started[0].status == RunStatus.RUNNING  # left for the manager, which stops it resumable
    started[0].status = RunStatus.STOPPED  # the manager stops it, as the server stops
    assert sweep.advance() and len(started) == 1 and registry.get(sweep.id) is sweep


def test_one_browser_runs_at_most_two_sweeps_at_once() -> None:
    definition = make_definition("CartPole-v1", "ppo", [space("n_epochs", "1,2")], method="grid", seeds=1)
    registry = SweepRegistry()

    def sweep(owner: str) -> SweepRun:
        return SweepRun(definition, definition.make_trials(), lambda c: FakeRun(c, "r"), 1, owner=owner)

    first, second = sweep("alice"), sweep("alice")
    registry.add(first, owner="alice")
    registry.add(second, owner="alice")
    third = sweep("alice")
    with pytest.raises(SweepError, match="you already have 2 sweeps running"):
        registry.add(third, owner="alice")
    assert registry.get(third.id) is None
    registry.add(sweep("bob"), owner="bob")  # another browser is not held back
    first.stop()
    registry.add(third, owner="alice")  # one ended: room again
    assert registry.get(third.id) is third
