"""When labels are asked and on what clips: the preference loop's schedule, as plain data.

Kept apart from :mod:`agents.feedback.preference_loop` (which imports stable-baselines3) so that checking a
configuration never imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeedbackSettings:
    """How many labels, when, and on what clips. Field names follow ``imitation``'s preference comparisons."""

    total_labels: int = 200
    """Labels asked over the whole run (Christiano et al.: 700 nearly matched the true reward in MuJoCo)."""
    initial_labels: int = 20
    """Labels collected before the agent takes its first step on the learned reward."""
    fragment_length: int = 25
    """Steps per clip (their clips lasted 1-2 s)."""
    query_batch: int = 10
    """Fewest pairs asked at a time after the initial ones (all that are due are asked together)."""
    freeze_after: float = 1.0
    """Fraction of training after which no more labels are asked (1.0: throughout; the frozen-reward lesson
    sets it low)."""
    reward_epochs: int = 3
    """Passes over all pairs each time the reward model is refit."""

    def labels_due(self, progress: float) -> int:
        """Labels that should have been asked by ``progress`` (0..1 of training): a decreasing rate.

        ``initial + (total - initial) * (1 - (1 - q)^2)`` with ``q = progress / freeze_after`` clipped to 1.
        """
        q = min(1.0, max(0.0, progress) / self.freeze_after) if self.freeze_after > 0 else 1.0
        extra = self.total_labels - self.initial_labels
        return min(self.total_labels, self.initial_labels + round(extra * (1 - (1 - q) ** 2)))
