"""A run that learns its reward from preferences: the worker's half of the feedback lab.

Built by the worker body (:mod:`agents.runs.training`) when ``config.feedback`` is set. It owns the reward model
that every training env pays the agent with (:class:`~agents.feedback.learned_reward.LearnedReward`, so the
env's own reward only reaches the charts), the preference loop that asks for labels while the agent trains
(:class:`~agents.feedback.preference_loop.PreferenceCallback`), and what it learned in the run's folder: the reward
model's weights (``reward_model.pt``) and the labelled pairs (``preferences.npz``, :mod:`agents.feedback.pair_store`),
so a resumed run keeps its reward model, its pair set and its label count, and asks only the labels still due.

When a person labels (``feedback="human"``), it also renders pairs of clips ahead for them
(:class:`~agents.runs.clip_pairs.PairRenderer`, a thread of the worker) and takes their answers from the
run's control (:class:`~agents.runs.person_labels.PersonPreferenceCallback`); the oracle answers the same pairs
on the side, to measure how often the person agrees with the true return (never to train).
After each refit it reports the reward model (:class:`~agents.feedback.report.RewardReport`: a point of the
label-efficiency curve and a sample of learned against true reward), and keeps the reports in the folder too.
"""

from __future__ import annotations

import logging
from pathlib import Path

import gymnasium as gym
import torch
from stable_baselines3.common.callbacks import BaseCallback

from agents.config.run_config import RunConfig
from agents.feedback.fragments import FragmentSampler
from agents.feedback.labelers import OracleLabeler
from agents.feedback.learned_reward import LearnedReward
from agents.feedback.pair_store import pairs_to_npz, restore_pairs
from agents.feedback.person import PERSON_SOURCE, PendingPairs, PersonLabels
from agents.feedback.preference_loop import FeedbackStats, PreferenceCallback, PreferenceLoop
from agents.feedback.report import REPORT_FILE, RewardReport, reports_from_json, reports_to_json, reward_report
from agents.feedback.reward_model import RewardModelTrainer, reward_net_for
from agents.runs.clip_pairs import PairRenderer, shrink_clip_frame
from agents.runs.control import RunControl
from agents.runs.events import CollectingSink, EventSink
from agents.runs.numpy_policy import numpy_policy
from agents.runs.person_labels import LabelsReporter, PersonPreferenceCallback, ReportLabels
from agents.storage.folder import atomic_write_bytes

REWARD_MODEL_FILE = "reward_model.pt"
PAIRS_FILE = "preferences.npz"
log = logging.getLogger(__name__)
CLIP_SEED_OFFSET = 7_919
"""Clips are played from seeds of their own, apart from the training envs' and evaluation's."""


class PreferenceLearning:
    """The reward model, labeler and loop of one run.

    The reward model is :func:`~agents.feedback.reward_model.reward_net_for` the env's spaces.

    Args:
        config: the run's configuration; ``config.feedback`` must be set.
        folder: the run's folder (None: nothing is saved).
        resume: load the reward model and the labelled pairs saved in ``folder`` (a folder from before pairs were
            saved resumes with its reward model and no pairs).
        sink: where the labelling counters (and a person's pairs of clips) are reported (None: nowhere).
        control: the run's control, where a person's answers arrive (needed when a person labels).

    Raises:
        ValueError: no feedback settings, or a person labels and there is no sink or control.
        agents.feedback.pair_store.PairFileError: the saved pairs do not fit this run.
    """

    def __init__(
        self,
        config: RunConfig,
        folder: Path | None,
        resume: bool = False,
        *,
        sink: EventSink | None = None,
        control: RunControl | None = None,
    ) -> None:
        feedback = config.feedback
        if feedback is None:
            raise ValueError("this run does not learn from preferences")
        probe = config.env_info.make()
        self.net = reward_net_for(probe.observation_space, probe.action_space, seed=config.seed)
        probe.close()
        self.path = folder / REWARD_MODEL_FILE if folder is not None else None
        self.pairs_path = folder / PAIRS_FILE if folder is not None else None
        self.report_path = folder / REPORT_FILE if folder is not None else None
        self.reports: list[RewardReport] = []
        """Every report so far, the latest with its sample (a resumed run's start with those in its folder)."""
        if resume and self.path is not None and self.path.exists():
            self.net.load_state_dict(torch.load(self.path, weights_only=True))  # our own file, never a user's
        features = config.env_info.feature_names
        person = feedback.feedback == PERSON_SOURCE
        if person and (sink is None or control is None):
            raise ValueError("a person labels this run: it needs the worker's sink and control")
        clips = feedback.fragment_length
        sampler = (
            FragmentSampler(
                lambda: config.env_info.make(render_mode="rgb_array"),
                clips,
                seed=config.seed + CLIP_SEED_OFFSET,
                fragments_per_episode=2,
                render=True,
                frame=shrink_clip_frame,
            )
            if person
            else FragmentSampler(config.env_info.make, clips, seed=config.seed + CLIP_SEED_OFFSET)
        )
        labeler = PersonLabels() if person else feedback.labeler(features, seed=config.seed)
        self.loop = PreferenceLoop(
            sampler,
            labeler,
            RewardModelTrainer(self.net, seed=config.seed),
            feedback.settings(),
            reference=None if labeler.source == "oracle" else OracleLabeler(seed=config.seed),
        )
        self.total_timesteps = config.total_timesteps
        if resume and self.pairs_path is not None and self.pairs_path.exists():
            restore_pairs(self.loop, self.pairs_path)
        self.reporter = LabelsReporter(self.loop, sink or CollectingSink(), self.total_timesteps)
        self.pending: PendingPairs | None = None
        self.renderer: PairRenderer | None = None
        self.control = control
        self.sink = sink
        self.seed = config.seed
        if person:
            assert sink is not None and control is not None
            self.pending = PendingPairs()
            self.renderer = PairRenderer(sampler, self.pending, sink, lambda: control.answers_delivered)
        if resume and self.report_path is not None and self.report_path.exists():
            try:
                self.reports = reports_from_json(self.report_path.read_bytes())
            except (OSError, TypeError, ValueError, KeyError):  # the curve restarts; training needs none of it
                log.warning("could not read %s; the label-efficiency curve restarts", self.report_path, exc_info=True)

    def wrap(self, env: gym.Env) -> gym.Env:
        """Pay ``env``'s agent with the learned reward (place it where shaping would go)."""
        return LearnedReward(env, self.net)

    def callbacks(self) -> list[BaseCallback]:
        """The SB3 callbacks that ask for labels, refit the reward model and report the counters during ``learn``;
        after each refit the reward model is reported too (:meth:`report`, sent up as an event)."""
        if self.renderer is not None:
            assert self.pending is not None and self.control is not None
            ask: PreferenceCallback = PersonPreferenceCallback(
                self.loop, self.total_timesteps, self.pending, self.renderer, self.control, self.reporter, self.seed
            )
        else:
            rng = self.loop.sampler.rng  # the sampler's generator: saved with the pairs, so a resumed run goes on alike
            ask = PreferenceCallback(
                self.loop, self.total_timesteps, copy_policy=lambda model: numpy_policy(model, rng)
            )
        ask.on_refit = self._refitted
        return [ask, ReportLabels(self.reporter)]

    def _refitted(self, step: int) -> None:
        report = self.report(step)
        if self.sink is not None:
            self.sink.emit(report)

    def report(self, step: int) -> RewardReport:
        """The reward model now, at training step ``step``, added to :attr:`reports`."""
        stats = self.loop.stats
        latest = reward_report(
            self.net,
            self.loop.recent,
            step=step,
            labels_used=self.loop.trainer.labels_used,
            accuracy=stats.reward_model_accuracy,
            correlation=stats.reward_correlation,
        )
        self.reports = [*(r.without_sample() for r in self.reports), latest]
        return latest

    @property
    def stats(self) -> FeedbackStats:
        return self.loop.stats

    def save(self) -> None:
        """Write the reward model and the labelled pairs beside the agent's checkpoint (each atomically)."""
        if self.path is None or self.pairs_path is None:
            return
        partial = self.path.with_suffix(".partial")
        torch.save(self.net.state_dict(), partial)
        partial.replace(self.path)
        atomic_write_bytes(self.pairs_path, pairs_to_npz(self.loop))
        if self.report_path is not None and self.reports:
            atomic_write_bytes(self.report_path, reports_to_json(self.reports))

    def close(self) -> None:
        if self.renderer is not None:
            self.renderer.close()  # first: it plays clips on the sampler's env
        self.loop.close()
