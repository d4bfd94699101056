"""The preference loop: ask for labels on a schedule while the agent trains, and refit the reward model.

Christiano et al. 2017 (arXiv 1706.03741) run three processes at once: the policy trains on the learned reward,
clips of the current policy are shown to a labeler, and the reward model is refit on all labels so far. Here
the loop is one SB3 callback (:class:`PreferenceCallback`), so any SB3 algorithm trains on the learned reward
unchanged. Labels are asked *throughout* training, front-loaded (most early, fewer later, as their schedule
does): a reward learned once and frozen gets gamed (their Pong agent learned endless volleys).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from agents.feedback.fragments import Fragment, FragmentSampler, pair_up
from agents.feedback.labelers import Label, Labeler, Pair, agreement
from agents.feedback.reward_model import RewardModelTrainer, reward_correlation
from agents.feedback.settings import FeedbackSettings

LOGGED_KEYS = (
    "train/labels_used",
    "train/reward_model_accuracy",
    "train/reward_correlation",
    "train/reward_model_loss",
)
"""What :class:`PreferenceCallback` logs: labels so far, held-out pair accuracy, learned-vs-true reward
correlation per step, and the Bradley-Terry loss of the last refit."""
RECENT_CLIPS = 200
"""Clips of the latest pairs on which the learned reward is compared with the true one, step by step."""


@dataclass
class FeedbackStats:
    """What the lab shows live, and what the headless trainer prints."""

    labels_by_source: dict[str, int] = field(default_factory=dict)
    labeling_s_by_source: dict[str, float] = field(default_factory=dict)
    reward_model_accuracy: float | None = None
    reward_correlation: float | None = None
    reward_loss: float | None = None
    clip_env_steps: int = 0
    oracle_compared: int = 0
    """Answered pairs (not can't tell) that the reference oracle also answered on (see PreferenceLoop)."""
    oracle_agreed: int = 0
    """Of those, how many it answered the same way."""

    @property
    def labels_used(self) -> int:
        return sum(self.labels_by_source.values())

    def labels_per_s(self, source: str) -> float | None:
        """Labels per second of labelling time for ``source`` (None before its first label)."""
        seconds = self.labeling_s_by_source.get(source, 0.0)
        count = self.labels_by_source.get(source, 0)
        return count / seconds if count and seconds > 0 else None

    @property
    def oracle_agreement(self) -> float | None:
        """How often the labels agree with the oracle's answers on the same pairs (None before any)."""
        return self.oracle_agreed / self.oracle_compared if self.oracle_compared else None


class PreferenceLoop:
    """Sample pairs of clips from the current policy, have them labelled, refit the reward model.

    Args:
        sampler: plays clips of the current policy on an env of its own.
        labeler: answers pairs (an oracle, a rule, or a person's queue).
        trainer: holds the labelled pairs and the reward model.
        settings: how many labels and when.
        reference: an optional second labeler (the oracle) whose answers on the same pairs measure how often the
            main labeler agrees with the true return; its answers never train the model.
    """

    def __init__(
        self,
        sampler: FragmentSampler,
        labeler: Labeler,
        trainer: RewardModelTrainer,
        settings: FeedbackSettings,
        reference: Labeler | None = None,
    ) -> None:
        self.sampler, self.labeler, self.trainer, self.settings = sampler, labeler, trainer, settings
        self.reference = reference
        self.stats = FeedbackStats()
        self.agreements: list[float] = []
        self._recent: list[Fragment] = []
        self.history: list[tuple[int, float | None]] = []
        """(labels used, held-out accuracy) after each refit: the label-efficiency curve."""

    def query(self, policy: Callable[[np.ndarray], object], n_pairs: int) -> int:
        """Ask ``n_pairs`` pairs of ``policy``'s clips, add the answers, refit; returns labels kept."""
        if n_pairs <= 0:
            return 0
        fragments = self.sampler.sample(policy, 2 * n_pairs)
        pairs = pair_up(fragments)
        started = time.perf_counter()
        labels = self.labeler.label(pairs)
        return self.add_labels(pairs, labels, self.labeler.source, time.perf_counter() - started)

    def add_labels(self, pairs: Sequence[Pair], labels: Sequence[Label], source: str, seconds: float) -> int:
        """Add answered pairs (``None`` labels dropped) given by ``source`` in ``seconds``, refit; returns labels kept.

        The automated labelers come through :meth:`query`; a person's answers arrive here a few at a time.
        """
        self.stats.clip_env_steps = self.sampler.env_steps
        kept = self.trainer.add(pairs, labels)
        self.stats.labels_by_source[source] = self.stats.labels_by_source.get(source, 0) + kept
        self.stats.labeling_s_by_source[source] = self.stats.labeling_s_by_source.get(source, 0.0) + seconds
        if self.reference is not None:
            reference = self.reference.label(pairs)
            agreed = agreement(labels, reference)
            if agreed is not None:
                self.agreements.append(agreed)
                compared = sum(a is not None and b is not None for a, b in zip(labels, reference, strict=True))
                self.stats.oracle_compared += compared
                self.stats.oracle_agreed += round(agreed * compared)
        self.stats.reward_loss = self.trainer.train()
        self.remeasure([clip for pair in pairs for clip in pair])
        self.history.append((self.trainer.labels_used, self.stats.reward_model_accuracy))
        return kept

    def remeasure(self, fragments: list[Fragment]) -> None:
        """Add ``fragments`` to the recent clips (the last :data:`RECENT_CLIPS`) and measure the reward model again:
        its held-out accuracy and its learned-vs-true correlation per step on those clips."""
        self._recent = (self._recent + fragments)[-RECENT_CLIPS:]
        self.stats.reward_model_accuracy = self.trainer.accuracy()
        self.stats.reward_correlation = reward_correlation(self.trainer.net, self._recent)

    @property
    def recent(self) -> list[Fragment]:
        """The latest clips labelled (at most :data:`RECENT_CLIPS`), on which the correlation is measured."""
        return list(self._recent)

    def close(self) -> None:
        self.sampler.close()


class PreferenceCallback(BaseCallback):
    """Run the :class:`PreferenceLoop` inside any SB3 algorithm's ``learn``.

    Before the first step it collects ``initial_labels``; at each rollout's end it asks the labels that the
    schedule says are due, refits the reward model and logs its figures through SB3's logger, under ``train/``
    beside the algorithm's own values (:data:`LOGGED_KEYS`), so the run's charts draw them with no extra code.

    Args:
        loop: the preference loop.
        total_timesteps: the run's budget (the schedule's progress is measured against it).
        copy_policy: makes a fast copy of the model's current policy to play clips with (e.g.
            :func:`agents.runs.numpy_policy.numpy_policy`), or None for a model it cannot copy; without it, or
            when it returns None, clips are played through ``model.predict``. SB3's ``predict`` costs 200-300 µs
            a step, and on fixed-horizon CartPole 100 labels play 25,000 clip steps.
        on_refit: called with the run's step after each refit (the worker reports the reward model then).
    """

    def __init__(
        self,
        loop: PreferenceLoop,
        total_timesteps: int,
        verbose: int = 0,
        copy_policy: Callable[[object], Callable[[np.ndarray], object] | None] | None = None,
        on_refit: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(verbose)
        self.loop = loop
        self.total_timesteps = max(1, total_timesteps)
        self.on_refit = on_refit
        self._start_timesteps = 0
        self._copy_policy = copy_policy

    def _policy(self, obs: np.ndarray) -> object:
        action, _ = self.model.predict(obs, deterministic=False)
        return action

    def _current_policy(self) -> Callable[[np.ndarray], object]:
        """The policy to play clips with now: a fast copy when one can be made, else the model itself."""
        copied = self._copy_policy(self.model) if self._copy_policy is not None else None
        return copied if copied is not None else self._policy

    def _on_training_start(self) -> None:
        self._start_timesteps = self.model.num_timesteps
        due = self.loop.settings.labels_due(0.0) - self.loop.trainer.labels_used
        if due > 0:
            self.loop.query(self._current_policy(), due)
        self._record(refitted=due > 0)  # a resumed run may have all it needs so far

    def _on_rollout_end(self) -> None:
        progress = self.model.num_timesteps / self.total_timesteps
        settings, used = self.loop.settings, self.loop.trainer.labels_used
        due = settings.labels_due(progress) - used
        if due > 0 and due >= min(settings.query_batch, settings.total_labels - used):
            self.loop.query(self._current_policy(), due)
            self._record()

    def _on_step(self) -> bool:
        return True

    def _record(self, refitted: bool = True) -> None:
        if refitted and self.on_refit is not None:
            self.on_refit(int(self.model.num_timesteps))
        stats = self.loop.stats
        self.logger.record("train/labels_used", stats.labels_used)
        for key, value in (
            ("train/reward_model_accuracy", stats.reward_model_accuracy),
            ("train/reward_correlation", stats.reward_correlation),
            ("train/reward_model_loss", stats.reward_loss),
        ):
            if value is not None:
                self.logger.record(key, value)
