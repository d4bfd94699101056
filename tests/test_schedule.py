"""Settings changed while training, as a schedule: its parsing and bounds, where it applies, and how it travels.

The runs themselves (a change made live, stored, resumed and replayed from its link) are in
:mod:`tests.test_schedule_runs`.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.config.run_config import ConfigError, RunConfig, build_config
from agents.config.schedule import (
    MAX_ENTRIES,
    ScheduleError,
    parse_schedule_text,
    schedule_to_text,
    value_at,
    with_change,
)
from agents.config.share import config_to_query, query_to_config
from agents.runs.control import RunControl
from agents.runs.events import ChangeSetting, CollectingSink, SettingChanged
from agents.runs.schedule import ApplySchedule, apply_setting, restore_setting
from agents.runs.training import make_training_env
from agents.train import build_parser, config_from_args, main
from tests.tiny import TINY


def tiny(algo: str, env_id: str = "CartPole-v1", **settings: object) -> RunConfig:
    return build_config(env_id, algo, preset="defaults", overrides=TINY[algo], timesteps=20_000, **settings)  # type: ignore[arg-type]


def test_the_text_form_reads_back_exactly_and_is_never_evaluated() -> None:
    config = tiny("ppo", schedule={"learning_rate": [(0, 3e-4), (20_000, 0.1 + 0.2)], "clip_range": [(640, 0.1)]})
    text = schedule_to_text(config.schedule)
    assert text == "learning_rate=0:0.0003,20000:0.30000000000000004;clip_range=640:0.1"
    again = tiny("ppo", schedule=parse_schedule_text(text))
    expected = {"learning_rate": ((0, 3e-4), (20_000, 0.1 + 0.2)), "clip_range": ((640, 0.1),)}
    assert again.schedule == config.schedule == expected
    for bad in ("learning_rate", "learning_rate=20000", "=1:2", "x" * 500):
        with pytest.raises(ScheduleError):
            parse_schedule_text(bad)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ({"learning_rate": [(0, 5)]}, "learning_rate must be between 1e-06 and 1, not 5"),
        ({"learning_rate": [(30_000, 1e-4)]}, "step must be between 0 and 20_000"),
        ({"learning_rate": [(-1, 1e-4)]}, "step must be between 0"),
        ({"learning_rate": [(1.5, 1e-4)]}, "whole number"),
        ({"learning_rate": [(10, 1e-4), (10, 2e-4)]}, "two values at step 10"),
        ({"learning_rate": [(step, 1e-4) for step in range(MAX_ENTRIES + 1)]}, f"more than {MAX_ENTRIES}"),
        ({"exploration_rate": [(10, 0.5)]}, "cannot change while this run trains"),
        ({"__class__": [(10, 0.5)]}, "cannot change while this run trains"),
        ({"learning_rate": [(10, "nan")]}, "finite"),
    ],
)
def test_a_bad_schedule_is_refused_with_the_setting_and_the_rule(schedule: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        tiny("ppo", schedule=schedule)
    assert caught.value.field == "schedule"


def test_each_algorithm_offers_the_settings_it_reads_and_shaping_the_weights_it_uses() -> None:
    def names(config: RunConfig) -> list[str]:
        return [param.name for param in config.live_params()]

    assert names(tiny("ppo")) == ["learning_rate", "ent_coef", "clip_range"]
    assert names(tiny("a2c")) == ["learning_rate", "ent_coef"]
    assert names(tiny("dqn")) == ["learning_rate", "exploration_rate"]
    assert names(tiny("sac", "Pendulum-v1")) == ["learning_rate"]
    assert names(tiny("q_learning", "FrozenLake-v1")) == ["learning_rate", "exploration_rate"]
    assert names(tiny("grpo")) == [], "GRPO's updates are its own: nothing changes live"
    shaped = tiny("ppo", shaping={"living_reward": 0.5, "potential": "upright", "reward_clip": 2})
    assert names(shaped)[3:] == ["living_reward", "potential_scale", "reward_scale"]
    bounds = {param.name: (param.low, param.high) for param in shaped.live_params()}
    assert bounds["living_reward"] == (-1_000.0, 1_000.0) and bounds["clip_range"] == (0.01, 1.0)


def test_a_change_replaces_an_entry_at_its_step_and_values_hold_until_the_next() -> None:
    schedule = with_change({}, "learning_rate", 500, 1e-3)
    schedule = with_change(schedule, "learning_rate", 100, 1e-2)
    schedule = with_change(schedule, "learning_rate", 500, 5e-4)
    assert schedule == {"learning_rate": ((100, 1e-2), (500, 5e-4))}
    assert [value_at(schedule, "learning_rate", step) for step in (99, 100, 499, 500, 10**6)] == [
        None,
        1e-2,
        1e-2,
        5e-4,
        5e-4,
    ]


def test_markers_say_what_changed_from_what_and_when() -> None:
    config = tiny("dqn", schedule={"learning_rate": [(0, 3e-4), (20_000, 1e-4)], "exploration_rate": [(1_500, 0.5)]})
    labels = [change.label() for change in config.schedule_changes()]
    # DQN's ε decays from 1 to 0.05 over the first 10% of 20,000 steps: at 1,500 it is 1 - 0.75 * 0.95
    assert labels == ["lr 0.0001 -> 0.0003 at 0", "ε 0.2875 -> 0.5 at 1.5k", "lr 0.0003 -> 0.0001 at 20k"]


def test_the_schedule_is_stored_with_the_config_and_travels_in_its_link() -> None:
    config = tiny("ppo", schedule={"learning_rate": [(1_000, 1e-4)]}, shaping={"living_reward": 0.5})
    config = config.with_change("living_reward", 640, -0.25)
    assert RunConfig.from_dict(config.to_dict()) == config
    shared = query_to_config(config_to_query(config))
    assert shared.config == config and not shared.warnings


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ("learning_rate=0:5", "learning_rate must be between"),
        ("exploration_rate=10:0.1", "cannot change while this run trains"),
        ("learning_rate=999999999:0.001", "step must be between"),
        ("__import__('os').system('id')", "expected SETTING=STEP:VALUE"),
    ],
)
def test_a_hostile_or_bad_schedule_in_a_link_is_dropped_with_a_warning(text: str, warning: str) -> None:
    shared = query_to_config({"env": "CartPole-v1", "algo": "ppo", "learning_rate": "0.001", "schedule": text})
    assert shared.config.schedule == {}
    assert shared.config.hyperparams["learning_rate"] == 0.001, "the rest of the link is kept"
    assert any(warning in line for line in shared.warnings), shared.warnings


def test_the_cli_takes_a_schedule_and_refuses_a_bad_one(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--env", "CartPole-v1", "--algo", "ppo", "--schedule", "learning_rate=0:3e-4,20000:1e-4"]
    config = config_from_args(build_parser().parse_args([*argv, "--schedule", "clip_range=100:0.1"]))
    assert config.schedule == {"learning_rate": ((0, 3e-4), (20_000, 1e-4)), "clip_range": ((100, 0.1),)}
    assert main([*argv[:4], "--schedule", "learning_rate=0:5"]) == 2
    assert "learning_rate must be between 1e-06 and 1, not 5" in capsys.readouterr().err


# --- applying a value where the algorithm reads it -----------------------------------------------------------------


def build(config: RunConfig):  # type: ignore[no-untyped-def]
    return config.algo_info.build(lambda: make_training_env(config), config.hyperparams, config.seed)


def test_ppo_updates_with_the_changed_learning_rate_clip_range_and_entropy_coefficient() -> None:
    config = tiny("ppo")
    model = build(config)
    apply_setting(model, "learning_rate", 0.0123)
    apply_setting(model, "clip_range", 0.05)
    apply_setting(model, "ent_coef", 0.25)
    model.learn(64)
    assert model.policy.optimizer.param_groups[0]["lr"] == 0.0123, "SB3's own update read the new schedule"
    assert model.clip_range(0.5) == 0.05 and model.ent_coef == 0.25
    restore_setting(model, "learning_rate", config)
    restore_setting(model, "clip_range", config)
    model.learn(64, reset_num_timesteps=False)
    assert model.policy.optimizer.param_groups[0]["lr"] == config.hyperparams["learning_rate"]
    assert model.clip_range(0.5) == config.hyperparams["clip_range"]


def test_dqn_and_a_tabular_agent_explore_at_the_changed_rate() -> None:
    dqn = build(tiny("dqn"))
    apply_setting(dqn, "exploration_rate", 0.5)
    dqn.learn(60)
    assert dqn.exploration_rate == 0.5, "DQN's own step read the constant schedule"
    table = build(tiny("q_learning", "FrozenLake-v1"))
    apply_setting(table, "exploration_rate", 0.3)
    apply_setting(table, "learning_rate", 0.7)
    table.learn(50)
    assert table.exploration_rate == 0.3 and table.learning_rate == 0.7


def test_a_shaping_weight_changes_the_reward_of_every_env_copy() -> None:
    config = tiny("ppo", shaping={"living_reward": 0.5})
    model = build(config)
    apply_setting(model, "living_reward", -2.0)
    env = model.get_env()
    env.reset()
    _, rewards, _, _ = env.step(np.zeros(env.num_envs, dtype=int))
    assert list(rewards) == [-1.0, -1.0], "CartPole's 1 plus the new living reward, in both copies"


def test_the_callback_applies_due_entries_and_reports_a_live_change_at_the_step_it_applied() -> None:
    config = tiny("ppo", schedule={"learning_rate": [(0, 0.002), (128, 0.004)]})
    model = build(config)
    control, sink = RunControl(), CollectingSink()
    callback = ApplySchedule(config, control, sink)
    model.learn(64, callback=callback)
    assert model.policy.optimizer.param_groups[0]["lr"] == 0.002
    control.request_change(ChangeSetting("ent_coef", 0.5))
    control.request_change(ChangeSetting("exploration_rate", 0.5))  # not PPO's: refused, nothing applied
    control.request_change(ChangeSetting("clip_range", 7.0))  # out of bounds: refused
    model.learn(128, callback=callback, reset_num_timesteps=False)
    assert sink.of_type(SettingChanged) == [SettingChanged("ent_coef", 66, 0.5)], "after the first env step"
    assert model.ent_coef == 0.5 and model.clip_range(1.0) == 0.2
    assert model.policy.optimizer.param_groups[0]["lr"] == 0.004
