"""Who answers "which clip is better?": a person, an oracle that reads the true return, or a rule.

A label is the probability that the *left* clip is preferred: ``1.0`` left, ``0.0`` right, ``0.5`` the same,
``None`` can't tell (dropped, as in Christiano et al. 2017, section 2.2.3). The oracle is ``imitation``'s
``SyntheticGatherer`` (Bradley-Terry over the clips' true returns with a temperature) with a noise rate that
replaces a fraction of answers by coin flips, to show what careless labels do. The rule labeler is the R1
idea in miniature: instead of a learned judge, a rule the person writes in the playground's safe reward
language (:mod:`envs.reward_expr`) scores each clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np

from agents.feedback.fragments import Fragment
from envs.reward_expr import RewardExpression

Label = float | None
Pair = tuple[Fragment, Fragment]
LEFT, RIGHT, SAME = 1.0, 0.0, 0.5
Answer = Literal["left", "right", "same", "cant_tell"]
ANSWERS: dict[str, Label] = {"left": LEFT, "right": RIGHT, "same": SAME, "cant_tell": None}
"""A person's four buttons and the label each gives (rl-teacher's left / right / can't tell, plus same)."""


class Labeler(Protocol):
    """Anything that labels pairs of clips; ``source`` says who ("human", "oracle", "rule")."""

    source: str

    def label(self, pairs: Sequence[Pair]) -> list[Label]: ...


class OracleLabeler:
    """Prefers the clip with the higher true return, as a Bradley-Terry choice with a temperature.

    ``P(left) = sigmoid((R_left - R_right) / temperature)``; with ``temperature=0`` the higher return wins
    outright and equal returns give ``SAME``. A fraction ``noise_rate`` of answers is replaced by a fair coin
    flip (the label noise of the lessons). With ``sample=False`` the label is the probability itself.

    Args:
        temperature: in units of return; 0 for a perfectly rational labeler.
        noise_rate: fraction of answers that are random, in [0, 1].
        seed: seeds the labeler's own generator (labels are reproducible).
        sample: draw a hard left/right answer from ``P(left)`` (True) or give ``P(left)`` (False).

    Raises:
        ValueError: a negative temperature or a noise rate outside [0, 1].
    """

    source = "oracle"

    def __init__(self, temperature: float = 0.0, noise_rate: float = 0.0, seed: int = 0, sample: bool = True) -> None:
        if temperature < 0:
            raise ValueError("temperature must be at least 0")
        if not 0.0 <= noise_rate <= 1.0:
            raise ValueError("noise_rate must be between 0 and 1")
        self.temperature = float(temperature)
        self.noise_rate = float(noise_rate)
        self.sample = sample
        self.rng = np.random.default_rng(seed)

    def probability(self, left: Fragment, right: Fragment) -> float:
        """``P(left preferred)`` before noise."""
        diff = left.true_return - right.true_return
        if self.temperature == 0:
            return LEFT if diff > 0 else RIGHT if diff < 0 else SAME
        return float(1.0 / (1.0 + np.exp(-np.clip(diff / self.temperature, -50, 50))))

    def label(self, pairs: Sequence[Pair]) -> list[Label]:
        labels: list[Label] = []
        for left, right in pairs:
            p = self.probability(left, right)
            if self.rng.random() < self.noise_rate:
                labels.append(float(self.rng.integers(2)))
            elif self.sample and p not in (LEFT, RIGHT, SAME):
                labels.append(LEFT if self.rng.random() < p else RIGHT)
            else:
                labels.append(p)
        return labels


class RuleLabeler:
    """Prefers the clip with the higher sum of a rule over its steps; a rule is a reward expression.

    The rule sees the names of :mod:`envs.reward_expr` (``reward``, ``obs[i]``, the env's feature names,
    ``action``, ``t``), e.g. ``-abs(theta)`` on CartPole: prefer the clip whose pole stays more upright.
    Sums within ``tolerance`` of each other give ``SAME``.

    Args:
        rule: the expression's text (untrusted: it passes the same allow-list as a reward expression).
        feature_names: the env's observation names.
        tolerance: the smallest difference of sums that counts as a preference.

    Raises:
        envs.reward_expr.RewardExprError: the rule is not a valid expression.
    """

    source = "rule"

    def __init__(self, rule: str, feature_names: Sequence[str] = (), tolerance: float = 1e-9) -> None:
        self.expression = RewardExpression.compile(rule, feature_names)
        self.tolerance = tolerance

    def score(self, fragment: Fragment) -> float:
        """The rule summed over the clip's steps."""
        total = 0.0
        for t in range(len(fragment)):
            total += self.expression.evaluate(
                reward=float(fragment.true_rewards[t]),
                obs=fragment.obs[t],
                action=fragment.acts[t],
                t=fragment.start + t,
                terminated=False,
                truncated=False,
            )
        return total

    def label(self, pairs: Sequence[Pair]) -> list[Label]:
        labels: list[Label] = []
        for left, right in pairs:
            diff = self.score(left) - self.score(right)
            labels.append(SAME if abs(diff) <= self.tolerance else LEFT if diff > 0 else RIGHT)
        return labels


def agreement(labels_a: Sequence[Label], labels_b: Sequence[Label]) -> float | None:
    """Fraction of pairs both answered (neither ``None``) on which the two agree; None if there are none."""
    both = [(a, b) for a, b in zip(labels_a, labels_b, strict=True) if a is not None and b is not None]
    if not both:
        return None
    return float(np.mean([round(a * 2) == round(b * 2) for a, b in both]))
