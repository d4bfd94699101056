"""Lessons: every configuration builds, and each lesson's claim holds when its runs train with their fixed seeds.

The slow tests train every run of every lesson with the app's own run code and require each of the lesson's
checks (its claim, in numbers) to hold, so a lesson that stops teaching what it says fails here. Runs with
identical configurations (the CartPole lessons share their unshaped run) train once per session.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from agents.config.run_config import RunConfig
from agents.lessons.rewards import (
    LESSONS,
    LESSONS_FILE,
    Check,
    LessonError,
    LessonRun,
    RunOutcome,
    check_claim,
    get_lesson,
    load_lessons,
    measure,
    train_and_measure_all,
)
from agents.runs.live import RunSnapshot
from envs.shaping_config import ShapingConfig

PROMISED = ("mountaincar_shaping", "cartpole_speed_hack", "reward_scale")
"""The lessons the Train page and issue 3 name."""

_trained: dict[str, RunOutcome] = {}


def _key(run: LessonRun) -> str:
    return json.dumps(run.config().to_dict(), sort_keys=True)


def _outcomes(runs: tuple[LessonRun, ...]) -> list[RunOutcome]:
    """The runs' outcomes; those not trained yet in this session train side by side, each in its own process."""
    new = list({_key(run): run for run in runs if _key(run) not in _trained}.values())
    for run, outcome in zip(new, train_and_measure_all(new), strict=True):
        _trained[_key(run)] = outcome
    return [_trained[_key(run)] for run in runs]


def _snapshot(true_returns: list[float], returns: list[float], lengths: list[int], losses: dict) -> RunSnapshot:
    count = len(true_returns)
    return RunSnapshot(
        timesteps=sum(lengths),
        total_timesteps=sum(lengths),
        elapsed_s=1.0,
        fps=0.0,
        episode_steps=list(range(count)),
        episode_returns=returns,
        episode_true_returns=true_returns,
        episode_lengths=lengths,
        episode_wall_s=[0.0] * count,
        losses=losses,
        evaluation=None,
        solved_at_step=None,
        solved_at_s=None,
    )


def test_the_promised_lessons_exist_and_an_unknown_id_is_refused_with_the_list() -> None:
    for lesson_id in PROMISED:
        assert get_lesson(lesson_id).id == lesson_id
    with pytest.raises(LessonError, match="unknown lesson 'nope'; choose one of: mountaincar_shaping"):
        get_lesson("nope")


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_every_run_builds_a_valid_config_carrying_its_values(lesson_id: str) -> None:
    for run in get_lesson(lesson_id).runs:
        config = run.config()
        assert isinstance(config, RunConfig)
        assert (config.env_id, config.algo, config.seed, config.total_timesteps) == (
            run.env_id,
            run.algo,
            run.seed,
            run.timesteps,
        )
        assert all(config.hyperparams[name] == value for name, value in run.overrides.items())
        assert config.shaping == ShapingConfig.from_dict(run.shaping)
        assert not config.stop_when_solved, "a lesson compares runs over the same whole budget"
        assert RunConfig.from_dict(config.to_dict()) == config  # what a share link or run folder restores


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_variants_share_env_seed_and_budget_and_each_differs(lesson_id: str) -> None:
    """A Train page lesson's variants differ only in their shaping; a lab lesson's in feedback or algorithm."""
    lesson = get_lesson(lesson_id)
    configs = [run.config() for run in lesson.runs]
    assert 1 <= len(configs) <= 4
    assert len({run.label for run in lesson.runs}) == len(configs)
    assert len({json.dumps(c.to_dict(), sort_keys=True) for c in configs}) == len(configs), "two variants are one"
    for config in configs[1:]:
        assert (config.env_id, config.seed, config.total_timesteps) == (
            configs[0].env_id,
            configs[0].seed,
            configs[0].total_timesteps,
        )
        if not lesson.lab:
            assert (config.algo, config.hyperparams, config.feedback) == (
                configs[0].algo,
                configs[0].hyperparams,
                None,
            )
            assert config.shaping != configs[0].shaping


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_the_claim_states_its_seed_and_budget_and_checks_every_variant(lesson_id: str) -> None:
    lesson = get_lesson(lesson_id)
    run = lesson.runs[0]
    assert f"seed {run.seed}" in lesson.claim
    assert f"{run.timesteps:,} steps" in lesson.claim
    assert {check.run for check in lesson.checks} == {run.label for run in lesson.runs}
    assert lesson.title and lesson.summary and lesson.watch_for


def test_a_check_holds_only_within_its_bounds_and_never_without_a_number() -> None:
    check = Check("shaped", "true_return_last20", at_least=-150, at_most=-100)
    assert check.holds(-150) and check.holds(-100) and check.holds(-120)
    assert not check.holds(-151) and not check.holds(-99)
    assert not check.holds(math.nan), "no finished episodes is no evidence for a claim"


def test_metrics_compare_the_last_20_episodes_with_the_first_20_and_count_early_ends() -> None:
    true_returns = [-200.0] * 20 + [-150.0] * 10 + [-200.0] * 10
    snapshot = _snapshot(
        true_returns,
        [value + 5 for value in true_returns],
        [int(-value) for value in true_returns],
        {"train/value_loss": [(step, float(step)) for step in range(10)]},
    )
    metrics = measure(snapshot, time_limit=200)
    assert metrics["true_return_last20"] == -175.0
    assert metrics["shaped_return_last20"] == -170.0
    assert metrics["true_return_change"] == 25.0
    assert metrics["terminated_last20"] == 10  # the ten 150-step episodes ended before the 200-step limit
    assert metrics["value_loss_end"] == 7.0  # mean of the last five logged values, 5..9


def test_check_claim_reports_each_check_with_its_measured_value() -> None:
    lesson = get_lesson("mountaincar_shaping")
    measured = {run.label: {name: 0.0 for name in ("terminated_last20", "true_return_last20")} for run in lesson.runs}
    results = check_claim(lesson, measured)
    assert [result.check for result in results] == list(lesson.checks)
    assert not all(result.holds for result in results), "no flag reached by the shaped run must fail the claim"


Mutation = Callable[[dict], object]


def _write_lessons(tmp_path: Path, mutate: Mutation) -> Path:
    data = yaml.safe_load(LESSONS_FILE.read_text(encoding="utf-8"))
    mutate(data["mountaincar_shaping"])
    path = tmp_path / "lessons.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda lesson: lesson["checks"][0].update(metric="happiness"), "unknown metric 'happiness'"),
        (lambda lesson: lesson["checks"][0].update(run="another run"), "no run labelled 'another run'"),
        (lambda lesson: lesson["checks"][0].pop("at_least"), "give at_least, at_most or both"),
        (lambda lesson: lesson["runs"][1].update(seed=1), r"unknown key\(s\) seed"),
        (
            lambda lesson: lesson["runs"].extend(dict(lesson["runs"][0], label=f"run {i}") for i in range(3)),
            "one to 4 variants",
        ),
        (lambda lesson: lesson["runs"][1].update(env_id="CartPole-v1"), r"unknown key\(s\) env_id"),
        (lambda lesson: lesson.pop("claim"), r"missing key\(s\) claim"),
    ],
    ids=[
        "unknown metric",
        "check on no run",
        "check without bounds",
        "run with its own seed",
        "five runs",
        "run with its own env",
        "no claim",
    ],
)
def test_a_lessons_file_that_breaks_the_rules_is_refused_naming_the_problem(
    tmp_path: Path, mutate: Mutation, message: str
) -> None:
    """A run may not set its own seed or budget: the comparison is only fair on the shared ones."""
    with pytest.raises(LessonError, match=message):
        load_lessons(_write_lessons(tmp_path, mutate))


@pytest.mark.slow
def test_runs_trained_side_by_side_measure_as_each_alone_and_come_back_in_order() -> None:
    """The lesson checks train a lesson's runs at once, each in its own process: what each measures is its own."""
    runs = [
        LessonRun(f"seed {seed}", "CartPole-v1", "ppo", None, {"net_arch": "32", "n_steps": 64}, seed, 640, {})
        for seed in (3, 4, 3)
    ]

    def learned(outcome: RunOutcome) -> dict[str, float]:  # what it learned, not what it cost (CPU seconds vary)
        timed = ("cpu_s", "labeller_s_per_label")
        return {k: v for k, v in outcome.metrics.items() if math.isfinite(v) and k not in timed}

    together = train_and_measure_all(runs, at_once=3)
    assert [outcome.label for outcome in together] == ["seed 3", "seed 4", "seed 3"]
    assert "true_return_last20" in learned(together[0])
    assert learned(together[0]) == learned(together[2]), "one seed, one result, whatever trains beside it"
    assert learned(together[0]) != learned(together[1])
    assert learned(train_and_measure_all(runs[:1], at_once=1)[0]) == learned(together[0]), "alone, in a thread"


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_the_lesson_teaches_what_it_claims_with_its_seed(lesson_id: str) -> None:
    lesson = get_lesson(lesson_id)
    measured = {run.label: outcome.metrics for run, outcome in zip(lesson.runs, _outcomes(lesson.runs), strict=True)}
    failures = [result.describe() for result in check_claim(lesson, measured) if not result.holds]
    assert not failures, f"{lesson.id}: the claim no longer holds: {failures}; claim: {lesson.claim}"
