"""The potential's γ follows the learner's γ unless a person sets it apart, and then they are warned (issue 8, item 9).

Potential-based shaping F = γΦ(s') − Φ(s) keeps the optimal policy only when its γ is the learner's discount (Ng,
Harada & Russell, 1999). The issue's input: MountainCar-v0 with DQN, whose γ is 0.98, shaped with γ 0.99 because the
shaping had its own default. Every door (config, run env, CLI, exports, share links, lessons, the Train page) now
resolves it to the learner's.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest

from agents.config.run_config import RunConfig, build_config
from agents.config.share import config_to_query, query_to_config
from agents.export.script import export_script
from agents.lessons.rewards import LESSONS
from agents.runs.run import make_training_env
from agents.train import main as train_main
from envs.shaping import PotentialShaping
from tests.export_cases import load_module
from tests.test_app_pages import _no_entrypoint_rerun, app_at, shown  # noqa: F401  (autouse fixture)

MOUNTAIN_CAR_DQN_GAMMA = 0.98
"""The learner's γ of MountainCar-v0's default DQN preset (RL Zoo's tuned DQN, hyperparams/dqn.yml)."""
ENERGY = {"potential": "energy"}


def potential_wrapper(env: gym.Env) -> PotentialShaping:
    while not isinstance(env, PotentialShaping):
        env = env.env  # type: ignore[attr-defined]
    return env


def test_the_default_follows_the_learner() -> None:
    config = build_config("MountainCar-v0", "dqn", shaping=ENERGY)
    assert config.hyperparams["gamma"] == MOUNTAIN_CAR_DQN_GAMMA
    assert config.shaping.potential_gamma is None, "stored as 'follow the learner', not as a copied number"
    assert config.effective_shaping.potential_gamma == MOUNTAIN_CAR_DQN_GAMMA
    assert config.warnings() == []
    env = make_training_env(config)
    try:
        assert potential_wrapper(env).gamma == MOUNTAIN_CAR_DQN_GAMMA, "the env the agent trains on"
    finally:
        env.close()


def test_changing_the_learners_gamma_moves_the_potentials() -> None:
    config = build_config("MountainCar-v0", "dqn", overrides={"gamma": 0.9}, shaping=ENERGY)
    assert config.effective_shaping.potential_gamma == 0.9 and config.warnings() == []


def test_a_gamma_set_apart_is_kept_and_warned_about() -> None:
    config = build_config("MountainCar-v0", "dqn", shaping={**ENERGY, "potential_gamma": 0.99})
    assert config.effective_shaping.potential_gamma == 0.99
    (warning,) = config.warnings()
    assert "0.99" in warning and "0.98" in warning and "optimal policy" in warning
    same = build_config("MountainCar-v0", "dqn", shaping={**ENERGY, "potential_gamma": MOUNTAIN_CAR_DQN_GAMMA})
    assert same.warnings() == [], "equal to the learner's: nothing to warn about"


def test_the_run_folder_keeps_following_the_learner() -> None:
    config = build_config("MountainCar-v0", "dqn", shaping=ENERGY)
    assert "potential_gamma" not in config.to_dict()["shaping"]
    again = RunConfig.from_dict(config.to_dict())
    assert again == config and again.effective_shaping.potential_gamma == MOUNTAIN_CAR_DQN_GAMMA


def test_cli_export_shapes_with_the_learners_gamma(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["--env", "MountainCar-v0", "--algo", "dqn", "--potential", "energy", "--export", "script"]
    assert train_main(args) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err
    module = load_module(captured.out, tmp_path, "mountain_car_energy")
    assert module.POTENTIAL_GAMMA == MOUNTAIN_CAR_DQN_GAMMA
    assert module.build_model(0).gamma == MOUNTAIN_CAR_DQN_GAMMA, "the script's model and shaping agree"


def test_cli_warns_when_the_gamma_is_set_apart(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--env", "MountainCar-v0", "--algo", "dqn", "--potential", "energy", "--potential-gamma", "0.99"]
    assert train_main([*args, "--export", "script"]) == 0
    captured = capsys.readouterr()
    assert "POTENTIAL_GAMMA = 0.99" in captured.out
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("warning:") and "0.99" in line and "0.98" in line


def test_share_links_leave_it_out_and_restore_it_following() -> None:
    config = build_config("MountainCar-v0", "dqn", shaping=ENERGY)
    query = config_to_query(config)
    assert "potential_gamma" not in query
    shared = query_to_config({**query, "gamma": "0.95"})
    assert shared.warnings == [] and shared.config.effective_shaping.potential_gamma == 0.95
    apart = config_to_query(build_config("MountainCar-v0", "dqn", shaping={**ENERGY, "potential_gamma": 0.9}))
    assert query_to_config(apart).config.shaping.potential_gamma == 0.9


def test_the_exported_script_of_an_explicit_gamma_says_it_is_set_apart() -> None:
    config = build_config("MountainCar-v0", "dqn", shaping={**ENERGY, "potential_gamma": 0.99})
    (line,) = [line for line in export_script(config).splitlines() if line.startswith("POTENTIAL_GAMMA")]
    assert line.startswith("POTENTIAL_GAMMA = 0.99") and "0.98" in line


@pytest.mark.parametrize("lesson", list(LESSONS), ids=list(LESSONS))
def test_lessons_shape_with_their_learners_gamma(lesson: str) -> None:
    for variant in LESSONS[lesson].runs:
        config = variant.config()
        assert config.warnings() == [], f"{lesson}: {variant.label}"
        if config.shaping.potential:
            assert config.effective_shaping.potential_gamma == config.hyperparams["gamma"]


def test_train_page_follows_and_warns() -> None:
    at = app_at("pages/train.py", env="MountainCar-v0", algo="dqn", potential="energy")
    assert not at.exception
    field = at.number_input(key="sh_potential_gamma")
    assert field.value is None and "0.98" in (field.placeholder or "")
    assert not any("differs" in shown(w.value) for w in at.warning)
    field.set_value(0.99).run()
    assert any("0.99" in shown(w.value) and "0.98" in shown(w.value) for w in at.warning)
    assert at.query_params["potential_gamma"] in ("0.99", ["0.99"]), "a number set apart travels in the link"
    at.number_input(key="sh_potential_gamma").set_value(None).run()
    assert not any("differs" in shown(w.value) for w in at.warning)
    assert "potential_gamma" not in at.query_params


def test_the_exported_scripts_solved_test_uses_the_playgrounds_window(tmp_path: Path) -> None:
    """Another number that must equal the playground's: the script's stop-when-solved window and threshold."""
    from agents.runs.live import SOLVE_WINDOW

    config = build_config("CartPole-v1", "ppo", stop_when_solved=True)
    module = load_module(export_script(config), tmp_path, "cartpole_solved")
    assert module.SOLVE_WINDOW == SOLVE_WINDOW and config.env_info.solved_threshold == module.SOLVED_THRESHOLD
    assert module.StopWhenSolved().returns.maxlen == SOLVE_WINDOW
