"""A run's feedback settings: who labels, how many labels, what clips. Declared once, like the hyperparameters.

A run with feedback trains on a reward learned from preferences, never on the env's reward. The fields are
:class:`~agents.config.schema.HyperParam` declarations, so the same table bounds the CLI's flags, the lab's
widgets and share links, and refuses a bad value with the same message. Labels themselves are never part of a
configuration (they live in the run's folder).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from agents.config.schema import HyperParam, HyperParamError, Schema, Value
from agents.feedback.labelers import OracleLabeler, RuleLabeler
from agents.feedback.settings import FeedbackSettings
from envs.reward_expr import RewardExprError

LABELERS = ("oracle", "rule", "human")

FEEDBACK_FIELDS = Schema(
    (
        HyperParam(
            "feedback",
            "choice",
            "oracle",
            "Who answers 'which clip is better?': an oracle that reads the env's true return, a rule you write, "
            "or you, clicking.",
            choices=LABELERS,
        ),
        HyperParam(
            "labels",
            "int",
            200,
            "How many pairs of clips get labelled over the whole run (Christiano et al. 2017: 700 labels nearly "
            "matched training on the true reward).",
            low=2,
            high=2000,
        ),
        HyperParam(
            "initial_labels",
            "int",
            20,
            "Labels collected before the agent takes its first step; training waits for them.",
            low=2,
            high=200,
        ),
        HyperParam(
            "fragment_length",
            "int",
            25,
            "Steps per clip; 1-2 seconds of behaviour is what a person can judge.",
            low=5,
            high=200,
        ),
        HyperParam(
            "label_temperature",
            "float",
            0.0,
            "How unsure the oracle is, in units of return: 0 always picks the better clip; higher values pick "
            "the worse one more often when returns are close (Bradley-Terry).",
            low=0.0,
            high=1000.0,
        ),
        HyperParam(
            "label_noise",
            "float",
            0.0,
            "Fraction of the oracle's answers replaced by a coin flip: careless labels.",
            low=0.0,
            high=1.0,
        ),
        HyperParam(
            "freeze_after",
            "float",
            1.0,
            "Fraction of training after which no more labels are asked; 1 keeps asking to the end (a reward "
            "frozen early gets gamed).",
            low=0.01,
            high=1.0,
        ),
    )
)
"""Every numeric and choice field of :class:`FeedbackConfig`, in the order forms show them."""

MAX_RULE_LENGTH = 300


def initial_labels_for(labels: int) -> int:
    """The first labels of a run asking ``labels`` in all when it names no number of its own: the default, never
    more than all of them (what the lab's form and its links use)."""
    return min(int(FEEDBACK_FIELDS.get("initial_labels").default), int(labels))


class FeedbackConfigError(ValueError):
    """Feedback settings that cannot be used; ``field`` names the one at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FeedbackConfig:
    """A run's feedback settings, checked (see :data:`FEEDBACK_FIELDS` for each field's meaning and bounds)."""

    feedback: str = "oracle"
    labels: int = 200
    initial_labels: int = 20
    fragment_length: int = 25
    label_temperature: float = 0.0
    label_noise: float = 0.0
    freeze_after: float = 1.0
    rule: str = ""
    """For ``feedback="rule"``: a reward expression summed over each clip; the clip with the higher sum wins."""

    @classmethod
    def parse(cls, raw: Mapping[str, Any], feature_names: tuple[str, ...] = ()) -> FeedbackConfig:
        """Build from untrusted text or values (a link, the CLI, stored JSON); unknown keys are refused.

        ``feature_names`` are the env's observation names a rule may use (see :mod:`envs.reward_expr`).

        Raises:
            FeedbackConfigError: a value out of bounds, an unknown key, a rule that is not a valid expression,
                or a rule missing for ``feedback="rule"``.
        """
        unknown = set(raw) - set(FEEDBACK_FIELDS.names) - {"rule"}
        if unknown:
            raise FeedbackConfigError(f"unknown feedback setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, Value] = {}
        for param in FEEDBACK_FIELDS.params:
            if param.name in raw:
                try:
                    values[param.name] = param.parse(raw[param.name])
                except HyperParamError as error:
                    raise FeedbackConfigError(str(error), param.name) from None
        config = cls(**values, rule=str(raw.get("rule", "")).strip())  # type: ignore[arg-type]
        config.validate(feature_names)
        return config

    def validate(self, feature_names: tuple[str, ...] = ()) -> None:
        """Check the combination: initial labels within the total, a valid rule when the rule labels."""
        if self.initial_labels > self.labels:
            raise FeedbackConfigError(
                f"initial_labels ({self.initial_labels}) cannot exceed labels ({self.labels})", "initial_labels"
            )
        if self.feedback == "rule":
            if not self.rule:
                raise FeedbackConfigError("a rule labeler needs a rule, e.g. -abs(theta)", "rule")
            if len(self.rule) > MAX_RULE_LENGTH:
                raise FeedbackConfigError(f"the rule is longer than {MAX_RULE_LENGTH} characters", "rule")
            try:
                RuleLabeler(self.rule, feature_names)
            except RewardExprError as error:
                raise FeedbackConfigError(f"rule: {error}", "rule") from None

    def settings(self) -> FeedbackSettings:
        """The preference loop's schedule."""
        return FeedbackSettings(
            total_labels=self.labels,
            initial_labels=self.initial_labels,
            fragment_length=self.fragment_length,
            freeze_after=self.freeze_after,
        )

    def labeler(self, feature_names: tuple[str, ...], seed: int) -> OracleLabeler | RuleLabeler:
        """The automated labeler this configuration names (a person's labels arrive through the lab instead).

        Raises:
            FeedbackConfigError: ``feedback="human"`` (no automated labeler).
        """
        if self.feedback == "oracle":
            return OracleLabeler(self.label_temperature, self.label_noise, seed=seed)
        if self.feedback == "rule":
            return RuleLabeler(self.rule, feature_names)
        raise FeedbackConfigError("a person labels this run: there is no automated labeler", "feedback")

    def to_dict(self) -> dict[str, Value]:
        return asdict(self)

    def describe(self) -> str:
        """In a few words, for run names and labels: "200 oracle labels", "50 labels by the rule -abs(theta)" (a long
        rule cut to 30 characters), "100 labels by a person"."""
        if self.feedback == "oracle":
            return f"{self.labels:,} oracle labels"
        if self.feedback == "rule":
            rule = self.rule if len(self.rule) <= 30 else self.rule[:29] + "…"
            return f"{self.labels:,} labels by the rule {rule}"
        return f"{self.labels:,} labels by a person"
