"""The cost meter: every run's record carries it, parameters are counted as by hand, evaluation clips' steps count,
the cost at solving is kept, and a resumed run counts on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents.config.run_config import build_config
from agents.runs.control import RunControl
from agents.runs.cost_meter import CostMeter, ReportCost, labels_by_who
from agents.runs.events import CollectingSink, Evaluated, Progress
from agents.runs.live import EvalSchedule
from agents.runs.run import Run, RunStatus
from agents.runs.training import TrainJob, train
from agents.storage.cost import AUTOMATED, EVALUATION_CLIPS, FEEDBACK_CLIPS, PERSON, TRAINING, Cost
from agents.storage.store import RunStore
from tests.conftest import wait_until

TINY = {
    "ppo": {"n_steps": 32, "batch_size": 32, "n_epochs": 1, "net_arch": "32"},
    "grpo": {"group_size": 2, "groups_per_update": 2, "n_epochs": 1, "batch_size": 64, "net_arch": "32"},
    "dqn": {"learning_starts": 50, "buffer_size": 1000, "net_arch": "32"},
}
FIELDS = {
    "wall_s",
    "cpu_s",
    "env_steps",
    "env_steps_by_part",
    "params",
    "params_by_part",
    "labels",
    "labels_by_source",
    "wall_s_to_solve",
    "cpu_s_to_solve",
    "steps_to_solve",
    "labels_to_solve",
}


def _config(algo: str, env_id: str = "CartPole-v1", timesteps: int = 200, **kwargs: Any) -> Any:
    return build_config(env_id, algo, preset="defaults", overrides=TINY.get(algo, {}), timesteps=timesteps, **kwargs)


def _model(algo: str, env_id: str = "CartPole-v1") -> Any:
    config = _config(algo, env_id)
    from agents.runs.training import make_training_env

    return config.algo_info, config.algo_info.build(lambda: make_training_env(config), config.hyperparams, 0)


def test_a_tiny_ppo_net_counts_its_policy_and_value_function_as_by_hand() -> None:
    info, model = _model("ppo")
    # CartPole: 4 observations, 2 actions; net_arch "32" gives the actor and the critic one hidden layer of 32 each.
    policy = (4 * 32 + 32) + (32 * 2 + 2)  # hidden layer, action logits
    value = (4 * 32 + 32) + (32 * 1 + 1)  # hidden layer, value head
    assert (
        info.parameters(model) == {"policy": policy, "value function": value} == {"policy": 226, "value function": 193}
    )


def test_grpo_counts_a_policy_only_and_not_its_frozen_reference() -> None:
    info, model = _model("grpo")
    assert info.parameters(model) == {"policy": 226}  # as PPO's actor: no value network; the log std is unused


def test_dqn_counts_its_q_network_but_not_the_target_copy_and_a_table_counts_its_entries() -> None:
    info, model = _model("dqn")
    assert info.parameters(model) == {"Q-network": (4 * 32 + 32) + (32 * 2 + 2)}
    table_info, table = _model("q_learning", "FrozenLake-v1")
    assert table_info.parameters(table) == {"Q-table": 16 * 4}


@pytest.mark.parametrize(
    "algo, env_id", [("ppo", "CartPole-v1"), ("grpo", "CartPole-v1"), ("q_learning", "FrozenLake-v1")]
)
def test_every_run_s_record_holds_its_cost(tmp_path: Path, algo: str, env_id: str) -> None:
    run = Run(_config(algo, env_id, timesteps=300), record_episodes=False, store=RunStore(tmp_path))
    run.start()
    assert run.join(120) and run.status == RunStatus.FINISHED, run.error
    status = json.loads((run.folder.path / "status.json").read_text())  # type: ignore[union-attr]
    cost = status["cost"]
    assert set(cost) == FIELDS
    assert cost["env_steps_by_part"][TRAINING] == status["timesteps"] >= 300
    assert cost["env_steps_by_part"][EVALUATION_CLIPS] == 0, "the headless trainer plays no clips"
    assert cost["params"] > 0 and cost["params"] == sum(cost["params_by_part"].values())
    assert cost["labels_by_source"] == {PERSON: 0, AUTOMATED: 0}
    assert cost["cpu_s"] > 0 and 0 < cost["wall_s"] == pytest.approx(status["train_s"], abs=0.01)
    assert run.snapshot().cost.to_json() == cost  # type: ignore[union-attr]


def test_env_steps_count_the_evaluation_clips_steps() -> None:
    sink = CollectingSink()
    job = TrainJob("20261130-000000-abcdef", _config("ppo", timesteps=600), eval_schedule=EvalSchedule(0.5, 0.0, 0.0))
    train(job, RunControl(), sink)
    clips = [event.result.length for event in sink.of_type(Evaluated)]
    last = sink.of_type(Cost)[-1]
    assert len(clips) >= 2, "a clip during training and the final policy's"
    trained = sink.of_type(Progress)[-1].timesteps
    assert trained >= 600 and last.env_steps == {TRAINING: trained, EVALUATION_CLIPS: sum(clips)}
    assert last.total_env_steps == trained + sum(clips) and last.learning_env_steps == trained


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Model:
    num_timesteps = 0


def test_the_cost_at_solving_is_the_reading_of_the_first_solved_step() -> None:
    wall, cpu = _Clock(), _Clock()
    meter = CostMeter(wall, cpu)
    solved = [False]
    callback = ReportCost(meter, CollectingSink(), lambda: solved[0])
    callback.model = _Model()  # type: ignore[assignment]
    for step, (wall.now, cpu.now) in enumerate([(1.0, 0.5), (2.0, 1.0), (3.0, 1.5), (4.0, 2.0)], start=1):
        callback.model.num_timesteps = step * 100  # type: ignore[union-attr]
        solved[0] = step >= 3
        meter.add_evaluation(10)
        callback.on_step()
    cost = meter.reading(400)
    assert (cost.wall_s_to_solve, cost.cpu_s_to_solve, cost.steps_to_solve) == (3.0, 1.5, 300)
    assert (cost.wall_s, cost.cpu_s, cost.total_env_steps) == (4.0, 2.0, 440)
    assert callback.sink.of_type(Cost), "it reports about once a second"  # type: ignore[attr-defined]


def test_a_run_that_solves_records_its_cost_at_solving(monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.runs import callbacks, training

    class EasyWindow(callbacks.EpisodeWindow):
        def __init__(self, threshold: float | None) -> None:
            super().__init__(10.0)  # "solved" once 20 episodes average 10: within a few hundred steps

    monkeypatch.setattr(training, "EpisodeWindow", EasyWindow)
    sink = CollectingSink()
    train(
        TrainJob("20261130-000000-abcdef", _config("ppo", timesteps=2_000), record_episodes=False), RunControl(), sink
    )
    cost = sink.of_type(Cost)[-1]
    assert cost.steps_to_solve is not None and 0 < cost.steps_to_solve <= cost.env_steps[TRAINING]
    assert 0 < cost.cpu_s_to_solve <= cost.cpu_s and 0 < cost.wall_s_to_solve <= cost.wall_s  # type: ignore[operator]


def test_a_resumed_meter_counts_on_from_the_stored_cost() -> None:
    before = Cost(
        wall_s=10.0,
        cpu_s=8.0,
        env_steps={TRAINING: 1_000, EVALUATION_CLIPS: 300, FEEDBACK_CLIPS: 50},
        params={"policy": 226},
        labels={PERSON: 4, AUTOMATED: 0},
        wall_s_to_solve=9.0,
        cpu_s_to_solve=7.0,
        steps_to_solve=900,
    )
    wall, cpu = _Clock(), _Clock()
    cpu.now = 100.0  # the new worker's CPU clock starts anywhere: only its increase counts
    meter = CostMeter(wall, cpu, before)
    wall.now, cpu.now = 12.0, 103.0
    meter.add_evaluation(20)
    cost = meter.reading(1_500)
    assert cost.cpu_s == 11.0 and cost.wall_s == 12.0
    assert cost.env_steps == {TRAINING: 1_500, EVALUATION_CLIPS: 320, FEEDBACK_CLIPS: 50}
    assert cost.labels == {PERSON: 4, AUTOMATED: 0} and cost.params == {"policy": 226}
    assert (cost.wall_s_to_solve, cost.cpu_s_to_solve, cost.steps_to_solve) == (9.0, 7.0, 900)


def test_a_stopped_run_resumes_counting_on_from_its_stored_cost(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run = Run(_config("ppo", timesteps=20_000), record_episodes=False, store=store, checkpoint_every_s=0.05)
    run.start()
    assert wait_until(lambda: (run.checkpoint_timesteps or 0) >= 1_000, timeout=60)
    run.stop()
    assert run.join(30) and run.status == RunStatus.STOPPED, run.error
    stopped = Cost.from_json(json.loads((run.folder.path / "status.json").read_text())["cost"])  # type: ignore[union-attr]
    assert stopped.cpu_s > 0
    resumed = Run.restore(store.open(run.id), record_episodes=False).resumed()
    resumed.start()
    assert resumed.join(120) and resumed.status == RunStatus.FINISHED, resumed.error
    final = Cost.from_json(json.loads((run.folder.path / "status.json").read_text())["cost"])  # type: ignore[union-attr]
    assert final.cpu_s > stopped.cpu_s and final.wall_s > stopped.wall_s
    status = json.loads((run.folder.path / "status.json").read_text())  # type: ignore[union-attr]
    assert final.env_steps[TRAINING] == status["timesteps"] >= 20_000


def test_labels_are_a_person_s_or_automated() -> None:
    assert labels_by_who({"human": 3, "oracle": 5, "rule": 2}) == {PERSON: 3, AUTOMATED: 7}


def test_a_malformed_stored_cost_is_refused() -> None:
    with pytest.raises(ValueError):
        Cost.from_json({"cpu_s": float("nan")})
    assert Cost.from_json(Cost(cpu_s=1.5, env_steps={TRAINING: 3}).to_json()) == Cost(
        cpu_s=1.5, env_steps={TRAINING: 3}
    )


def test_learning_from_preferences_adds_its_clips_reward_model_and_labels_and_a_resume_counts_on() -> None:
    import gymnasium as gym

    from agents.feedback.preference_loop import FeedbackStats
    from agents.feedback.reward_model import RewardNet
    from agents.runs.cost_meter import PreferenceCost

    space = gym.spaces.Box(-1.0, 1.0, (4,))
    net = RewardNet(space, gym.spaces.Discrete(2), hidden=(8,))

    class Loop:
        sampler = type("Sampler", (), {"env_steps": 600})()
        stats = FeedbackStats(labels_by_source={"oracle": 10, "human": 2})  # restored from the folder on resume

    wall, cpu = _Clock(), _Clock()
    meter = CostMeter(wall, cpu, Cost(env_steps={FEEDBACK_CLIPS: 400}, labels={PERSON: 2, AUTOMATED: 10}))
    meter.params = {"policy": 226}
    loop = Loop()
    meter.sources.append(PreferenceCost(loop, net))
    assert meter.reading(0).labels == {PERSON: 2, AUTOMATED: 10}  # the restored labels are not counted twice
    loop.stats.labels_by_source = {"oracle": 40, "human": 7}  # this worker asked 30 + 5
    cost = meter.reading(1_000)
    assert cost.env_steps == {TRAINING: 1_000, EVALUATION_CLIPS: 0, FEEDBACK_CLIPS: 1_000}
    assert cost.params == {"policy": 226, "reward model": net.num_params()} and net.num_params() > 0
    assert cost.labels == {PERSON: 7, AUTOMATED: 40}
    meter.note_solved(1_000)
    loop.stats.labels_by_source = {"oracle": 60, "human": 7}  # labels asked after solving are not its cost to solve
    assert meter.reading(1_200).labels_to_solve == 47
    resumed = CostMeter(wall, cpu, meter.reading(1_200))
    assert resumed.reading(1_300).labels_to_solve == 47  # a resumed run keeps it
