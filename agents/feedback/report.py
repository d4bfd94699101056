"""What the lab shows of a reward model: a report after each refit, and the label-efficiency curve they make.

After each refit the worker sends one :class:`RewardReport` up to the server (the server never holds a model):
the labels used so far and the model's accuracy on held-out pairs (a point of the *label-efficiency curve*,
Christiano et al. 2017, figure 3), the Pearson correlation of learned and true reward per step on the latest
clips, and a bounded sample of those steps' (learned, true) rewards for a scatter plot. The reports are also
kept in the run's folder (:data:`REPORT_FILE`, plain JSON), so a stored run draws them again and a resumed run
continues its curve.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # reading and drawing reports needs no torch
    from agents.feedback.fragments import Fragment
    from agents.feedback.reward_model import RewardNet

REPORT_FILE = "reward_report.json"
MAX_SAMPLE_POINTS = 300
"""Steps of the scatter sent to the page: enough to see the shape, ~5 kB per report."""


@dataclass(frozen=True)
class RewardReport:
    """The reward model after one refit.

    Attributes:
        step: the run's training step when it was refit.
        labels_used: labelled pairs it was fit on (held-out ones included).
        accuracy: fraction of held-out pairs it orders as labelled (None before a decided held-out pair).
        correlation: Pearson correlation of learned and true reward per step over ``sample_of`` steps of the
            latest clips (None when either is constant).
        learned, true: up to :data:`MAX_SAMPLE_POINTS` of those steps, evenly spaced: the learned reward as the
            agent is paid it (normalised) and the env's own reward. Empty in a report kept only for the curve.
        sample_of: steps the correlation was measured on.
    """

    step: int
    labels_used: int
    accuracy: float | None
    correlation: float | None
    learned: tuple[float, ...] = ()
    true: tuple[float, ...] = ()
    sample_of: int = 0

    def without_sample(self) -> RewardReport:
        """The same point of the curve, without the scatter's steps."""
        return replace(self, learned=(), true=())

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (the sample only when there is one)."""
        data: dict[str, Any] = {
            "step": self.step,
            "labels_used": self.labels_used,
            "accuracy": self.accuracy,
            "correlation": self.correlation,
            "sample_of": self.sample_of,
        }
        if self.learned:
            data["learned"], data["true"] = list(self.learned), list(self.true)
        return data

    @classmethod
    def from_json(cls, data: Any) -> RewardReport:
        """Read :meth:`to_json`'s output; ValueError or TypeError when it is malformed."""
        learned = tuple(_finite(v) for v in data.get("learned", ()))
        true = tuple(_finite(v) for v in data.get("true", ()))
        if len(learned) != len(true) or len(learned) > MAX_SAMPLE_POINTS:
            raise ValueError("a reward report's sample must hold as many learned as true rewards, at most 300")
        return cls(
            step=int(data["step"]),
            labels_used=int(data["labels_used"]),
            accuracy=_optional(data.get("accuracy")),
            correlation=_optional(data.get("correlation")),
            learned=learned,
            true=true,
            sample_of=int(data.get("sample_of", 0)),
        )


def _finite(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _optional(value: Any) -> float | None:
    return None if value is None else _finite(value)


def reward_report(
    net: RewardNet,
    fragments: Sequence[Fragment],
    *,
    step: int,
    labels_used: int,
    accuracy: float | None,
    correlation: float | None,
    max_points: int = MAX_SAMPLE_POINTS,
) -> RewardReport:
    """A report with an evenly spaced sample of at most ``max_points`` steps of ``fragments``.

    The learned reward is the one the agent is paid (normalised by the model's running statistics, which this
    leaves unchanged); the correlation is invariant to that scaling, so it is the same as on the raw reward.
    """
    if not fragments:
        return RewardReport(step, labels_used, accuracy, correlation)
    obs = np.concatenate([f.obs for f in fragments])
    acts = np.concatenate([f.acts for f in fragments])
    true = np.concatenate([f.true_rewards for f in fragments])
    keep = np.unique(np.linspace(0, len(true) - 1, min(max_points, len(true))).round().astype(int))
    learned = net.predict_normalized(obs[keep], acts[keep], update_stats=False)
    return RewardReport(
        step,
        labels_used,
        accuracy,
        correlation,
        learned=tuple(float(round(v, 5)) for v in learned),
        true=tuple(float(round(v, 5)) for v in true[keep]),
        sample_of=len(true),
    )


def reports_to_json(reports: Iterable[RewardReport]) -> bytes:
    """The reports as :data:`REPORT_FILE`'s contents: every point of the curve, the latest one with its sample."""
    reports = list(reports)
    history = [report.without_sample().to_json() for report in reports[:-1]] + [r.to_json() for r in reports[-1:]]
    return json.dumps({"reports": history}, separators=(",", ":")).encode()


def reports_from_json(raw: bytes | str) -> list[RewardReport]:
    """Read :data:`REPORT_FILE`'s contents; ValueError or TypeError when it is malformed."""
    data = json.loads(raw)
    if not isinstance(data, dict) or not isinstance(data.get("reports"), list):
        raise ValueError("not a reward report file")
    return [RewardReport.from_json(item) for item in data["reports"]]
