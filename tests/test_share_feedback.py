"""Share links of the feedback lab: every feedback field survives the URL, a rule passes the reward-expression
allow-list on the way in, and labels never travel in a link."""

from __future__ import annotations

import pytest

from agents.config.run_config import RunConfig, build_config
from agents.config.share import DEFAULT_LAB_ENV, FEEDBACK_KEYS, config_to_query, query_to_config
from agents.feedback.config import FEEDBACK_FIELDS

EVERY_FIELD_CHANGED = {
    "feedback": "oracle",
    "labels": "150",
    "initial_labels": "12",
    "fragment_length": "40",
    "label_temperature": "2.5",
    "label_noise": "0.1",
    "freeze_after": "0.5",
}


def _lab(env_id: str = "Pendulum-v1", **feedback: str) -> RunConfig:
    return build_config(env_id, "ppo", seed=4, timesteps=9_000, feedback=feedback)


@pytest.mark.parametrize(
    "config",
    [
        _lab(**EVERY_FIELD_CHANGED),
        _lab("FixedHorizonCartPole-v0", feedback="rule", rule="-abs(theta)", labels="50", fragment_length="30"),
        _lab(),  # every feedback field at its default
    ],
    ids=["oracle, every field changed", "rule", "defaults"],
)
def test_every_feedback_field_survives_the_link(config: RunConfig) -> None:
    query = config_to_query(config)
    shared = query_to_config(dict(query))
    assert shared.warnings == []
    assert shared.config == config
    assert query["feedback"] == config.feedback.feedback  # type: ignore[union-attr]  # always: it marks a lab link


def test_each_changed_field_is_written_under_its_own_name_and_defaults_stay_out() -> None:
    query = config_to_query(_lab(**EVERY_FIELD_CHANGED))
    assert {key: query[key] for key in EVERY_FIELD_CHANGED} == {
        **EVERY_FIELD_CHANGED,
        "label_temperature": "2.5",
    }
    assert "rule" not in query  # the oracle has none
    assert set(config_to_query(_lab())) == {"env", "algo", "seed", "timesteps", "feedback"}
    assert set(FEEDBACK_KEYS) == {*FEEDBACK_FIELDS.names, "rule"}  # one table drives both directions


def test_a_link_never_carries_labels() -> None:
    query = config_to_query(_lab(**EVERY_FIELD_CHANGED))
    allowed = {"env", "algo", "preset", "seed", "timesteps", "stop_when_solved", *FEEDBACK_KEYS}
    assert set(query) <= allowed
    assert all(len(value) < 50 for value in query.values())  # settings, not data
    shared = query_to_config({**query, "pairs": "1,0,1", "preferences": "x", "labels_used": "200"})
    assert shared.config == _lab(**EVERY_FIELD_CHANGED)
    assert sorted(shared.warnings) == [
        "ignored unknown parameter 'labels_used'",
        "ignored unknown parameter 'pairs'",
        "ignored unknown parameter 'preferences'",
    ]


@pytest.mark.parametrize(
    "rule",
    [
        "__import__('os').system('id')",
        "open('/etc/passwd')",
        "().__class__.__bases__",
        "lambda: 1",
        "theta if 1 else [x for x in ()]",
        "9" * 301,
        "unknown_name * 2",
    ],
)
def test_a_rule_from_a_link_passes_the_reward_expression_allow_list(rule: str) -> None:
    shared = query_to_config({"env": "FixedHorizonCartPole-v0", "feedback": "rule", "rule": rule, "labels": "60"})
    assert shared.config.feedback is not None
    assert shared.config.feedback.feedback == "oracle" and shared.config.feedback.rule == ""
    assert shared.config.feedback.labels == 60  # the rest of the link is kept
    assert len(shared.warnings) == 1 and "rule" in shared.warnings[0] and "oracle labels instead" in shared.warnings[0]


@pytest.mark.parametrize(
    ("field", "raw"),
    [("labels", "0"), ("label_noise", "2"), ("fragment_length", "many"), ("freeze_after", "nan"), ("feedback", "god")],
)
def test_a_feedback_field_out_of_bounds_falls_back_to_its_default_and_says_so(field: str, raw: str) -> None:
    shared = query_to_config({"env": "Pendulum-v1", "feedback": "oracle", "fragment_length": "30", field: raw})
    assert shared.config.feedback is not None
    assert getattr(shared.config.feedback, field) == FEEDBACK_FIELDS.get(field).default
    assert any(warning.startswith(f"ignored {field}") for warning in shared.warnings)
    if field != "fragment_length":
        assert shared.config.feedback.fragment_length == 30


def test_fields_that_do_not_fit_together_drop_the_one_at_fault() -> None:
    shared = query_to_config({"feedback": "oracle", "labels": "10", "initial_labels": "50"})
    assert shared.config.feedback.labels == 10 and shared.config.feedback.initial_labels == 10  # type: ignore[union-attr]
    assert any(w.startswith("ignored initial_labels") for w in shared.warnings)
    fewer = query_to_config({"feedback": "oracle", "labels": "10"})  # fewer labels than the default first ones
    assert fewer.warnings == [] and fewer.config.feedback.initial_labels == 10  # type: ignore[union-attr]


def test_a_lab_link_keeps_to_what_can_learn_from_preferences() -> None:
    shared = query_to_config({"env": "CartPole-v1", "feedback": "oracle", "living_reward": "1"})
    assert shared.config.env_id == DEFAULT_LAB_ENV and shared.config.shaping.is_identity()
    assert any("FixedHorizonCartPole-v0" in w for w in shared.warnings)
    assert any(w.startswith("ignored living_reward") for w in shared.warnings)
    assert query_to_config({}, lab=True).config.feedback is not None  # the lab's own address names no labeler
    assert query_to_config({"env": "Pendulum-v1"}).config.feedback is None  # a Train link stays a Train link
