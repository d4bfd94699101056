"""Run-time estimates before Start: arithmetic, what they rest on, and the measured data file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.algos.registry import compatible_algos
from agents.config.presets import presets_for
from agents.config.run_config import build_config
from agents.runs.estimate import LONG_RUN_S, SPEEDS_FILE, Speeds, estimate, load_speeds, rough_duration
from envs.registry import ENVS

SPEEDS = Speeds(
    measured_on="2026-11-30",
    machine="2 cores",
    steps_per_s={"CartPole-v1": {"ppo": {"demo": 1000.0, "defaults": 250.0}}, "Acrobot-v1": {"a2c": {"zoo": 100.0}}},
)


def test_the_estimate_is_the_budget_over_the_measured_speed_of_the_configurations_preset() -> None:
    est = estimate(build_config("CartPole-v1", "ppo", timesteps=60_000), SPEEDS)
    assert est is not None
    assert est.preset == "demo" and est.steps_per_s == 1000.0
    assert est.seconds == pytest.approx(60.0)
    assert est.same_settings and not est.capped and est.steps_in_time == 60_000
    slow = estimate(build_config("CartPole-v1", "ppo", preset="defaults", timesteps=60_000), SPEEDS)
    assert slow is not None and slow.preset == "defaults" and slow.seconds == pytest.approx(240.0)
    assert slow.long and not est.long


def test_changed_settings_are_flagged_and_an_unmeasured_preset_borrows_a_measured_one() -> None:
    changed = estimate(build_config("CartPole-v1", "ppo", overrides={"n_epochs": 20}, timesteps=10_000), SPEEDS)
    assert changed is not None and not changed.same_settings and changed.preset == "demo"
    borrowed = estimate(build_config("Acrobot-v1", "a2c", preset="defaults", timesteps=5_000), SPEEDS)
    assert borrowed is not None and borrowed.preset == "zoo" and borrowed.seconds == pytest.approx(50.0)
    assert not borrowed.same_settings
    assert estimate(build_config("Pendulum-v1", "sac"), SPEEDS) is None, "never measured: no estimate, no guess"


def test_the_wall_clock_limit_caps_the_estimate_and_says_how_far_the_run_gets() -> None:
    est = estimate(build_config("CartPole-v1", "ppo", timesteps=1_000_000, max_wall_s=300), SPEEDS)
    assert est is not None and est.capped
    assert est.seconds == 300 and est.steps_in_time == 300_000


def test_stop_when_solved_may_end_it_early() -> None:
    est = estimate(build_config("CartPole-v1", "ppo", stop_when_solved=True), SPEEDS)
    assert est is not None and est.may_end_early


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(3, "a few seconds"), (42, "about 40 s"), (330, "about 6 min"), (570, "about 10 min"), (5400, "about 1.5 h")],
)
def test_rough_durations_read_as_guesses(seconds: float, text: str) -> None:
    assert rough_duration(seconds) == text


def test_a_missing_or_foreign_file_gives_no_estimate_rather_than_an_error(tmp_path: Path) -> None:
    assert load_speeds(tmp_path / "none.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"steps_per_s": {"CartPole-v1": {"ppo": {"demo": -3}}}}))
    assert load_speeds(bad) is None
    bad.write_text("[1, 2]")
    assert load_speeds(bad) is None


def test_the_shipped_measurements_cover_every_pair_and_preset_with_date_and_machine() -> None:
    speeds = load_speeds(SPEEDS_FILE)
    assert speeds is not None
    assert speeds.measured_on[:4].isdigit() and "cores" in speeds.machine
    for env_id, env in ENVS.items():
        for info in compatible_algos(env):
            for preset in presets_for(env_id, info.id):
                assert preset in speeds.steps_per_s.get(env_id, {}).get(info.id, {}), (env_id, info.id, preset)


def test_the_runs_the_issue_timed_get_a_warning() -> None:
    """MountainCar/DQN took 9.5 min and Acrobot/A2C 5.5 min with no warning (issue 9)."""
    for env_id, algo in (("MountainCar-v0", "dqn"), ("Acrobot-v1", "a2c")):
        est = estimate(build_config(env_id, algo))
        assert est is not None and est.seconds >= LONG_RUN_S and est.long, (env_id, algo)


def test_the_words_say_the_estimate_what_it_rests_on_and_what_slows_it() -> None:
    from ui.estimate import estimate_basis, estimate_headline

    config = build_config("CartPole-v1", "ppo", preset="defaults", timesteps=60_000, max_wall_s=120)
    est = estimate(config, SPEEDS)
    assert est is not None
    headline = estimate_headline(config, est)
    assert headline.startswith("Estimated training time: **about 2 min**.")
    assert "2 min 00 s time limit ends it after about 30,000 of its 60,000 steps" in headline
    assert "Lower the step budget or turn on *Stop when solved*" not in headline, "2 min is not long"
    basis = estimate_basis(config, est, busy_runs=2, load_per_core=3.0)
    assert "250 steps/s measured for CartPole · PPO with the defaults preset (2 cores, 2026-11-30)" in basis
    assert "training 2 runs now, which share its cores" in basis and "machine is busy" in basis
    assert "busy" not in estimate_basis(config, est)
