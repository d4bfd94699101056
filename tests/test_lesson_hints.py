"""Lessons seen from a run: a flat-by-design curve points to its lesson; a lesson's runs are known by their variant."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from agents.config.run_config import build_config
from agents.lessons.hints import flat_by_design, lesson_for_flat_curve, lesson_variants, lessons_in_view
from agents.lessons.rewards import LESSONS, LESSONS_FILE, LessonError, load_lessons
from agents.runs.live import SOLVE_WINDOW, RunSnapshot


def snapshot(lengths: list[int], returns: list[float] | None = None) -> RunSnapshot:
    returns = returns if returns is not None else [-float(n) for n in lengths]
    steps = [sum(lengths[: i + 1]) for i in range(len(lengths))]
    return RunSnapshot(
        timesteps=steps[-1] if steps else 0,
        total_timesteps=100_000,
        elapsed_s=1.0,
        fps=1.0,
        episode_steps=steps,
        episode_returns=returns,
        episode_true_returns=returns,
        episode_lengths=lengths,
        episode_wall_s=[0.0] * len(lengths),
        losses={},
        evaluation=None,
        solved_at_step=None,
        solved_at_s=None,
    )


def test_a_mountaincar_run_that_never_reached_the_flag_is_flat_by_design() -> None:
    assert lesson_for_flat_curve("MountainCar-v0") is LESSONS["mountaincar_shaping"]
    assert flat_by_design(snapshot([200] * SOLVE_WINDOW), "MountainCar-v0")
    assert flat_by_design(snapshot([150] * 5 + [200] * SOLVE_WINDOW), "MountainCar-v0"), "the last 20 count"


def test_no_hint_before_20_episodes_or_once_the_flag_is_reached_or_where_no_lesson_explains_it() -> None:
    assert not flat_by_design(snapshot([200] * (SOLVE_WINDOW - 1)), "MountainCar-v0")
    assert not flat_by_design(snapshot([200] * (SOLVE_WINDOW - 1) + [160]), "MountainCar-v0")
    assert lesson_for_flat_curve("CartPole-v1") is None, "500 steps every episode is success there, not a flat curve"


def test_a_lessons_variants_are_recognised_with_any_seed_and_nothing_else_is() -> None:
    for lesson in LESSONS.values():
        for variant in lesson.runs:
            assert (lesson, variant) in lesson_variants(variant.config())
            reseeded = dataclasses.replace(variant.config(), seed=7)
            assert (lesson, variant) in lesson_variants(reseeded), "Run N seeds of a variant is still the variant"
    first = LESSONS["cartpole_speed_hack"].runs[0]
    assert lesson_variants(build_config("CartPole-v1", "ppo")) == []
    changed = build_config(first.env_id, first.algo, preset=first.preset, overrides={**first.overrides, "n_epochs": 3})
    assert lesson_variants(changed) == []


def test_a_shared_baseline_takes_its_label_from_the_lesson_in_view() -> None:
    speed, scale = LESSONS["cartpole_speed_hack"], LESSONS["reward_scale"]
    baseline = speed.runs[0].config()
    assert len(lesson_variants(baseline)) >= 2, "CartPole's unshaped PPO run is the baseline of several lessons"
    in_view, variants = lessons_in_view([baseline, speed.runs[1].config()])
    assert in_view == [speed] and variants == [speed.runs[0], speed.runs[1]]
    in_view, variants = lessons_in_view([scale.runs[1].config(), baseline])
    assert in_view == [scale] and variants == [scale.runs[1], scale.runs[0]]
    assert lessons_in_view([baseline]) == ([], [None]), "alone it is no lesson's in particular"
    assert lessons_in_view([build_config("Acrobot-v1", "a2c")]) == ([], [None])


def test_a_flat_curve_hint_must_name_known_envs_and_say_why(tmp_path: Path) -> None:
    data = yaml.safe_load(LESSONS_FILE.read_text(encoding="utf-8"))
    data["mountaincar_shaping"]["flat_curve"]["envs"] = ["NoSuchEnv-v0"]
    path = tmp_path / "lessons.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LessonError, match="flat_curve envs must be a list of known env ids"):
        load_lessons(path)
    data["mountaincar_shaping"]["flat_curve"] = {"envs": ["MountainCar-v0"]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LessonError, match=r"missing key\(s\) hint"):
        load_lessons(path)
