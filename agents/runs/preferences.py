"""A run that learns its reward from preferences: the worker's half of the feedback lab.

Built by the worker body (:mod:`agents.runs.training`) when ``config.feedback`` is set. It owns the reward model
that every training env pays the agent with (:class:`~agents.feedback.learned_reward.LearnedReward`, so the
env's own reward only reaches the charts), the preference loop that asks for labels while the agent trains
(:class:`~agents.feedback.preference_loop.PreferenceCallback`), and what it learned in the run's folder: the reward
model's weights (``reward_model.pt``) and the labelled pairs (``preferences.npz``, :mod:`agents.feedback.pair_store`),
so a resumed run keeps its reward model, its pair set and its label count, and asks only the labels still due.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import torch

from agents.config.run_config import RunConfig
from agents.feedback.fragments import FragmentSampler
from agents.feedback.labelers import OracleLabeler
from agents.feedback.learned_reward import LearnedReward
from agents.feedback.pair_store import pairs_to_npz, restore_pairs
from agents.feedback.preference_loop import FeedbackStats, PreferenceCallback, PreferenceLoop
from agents.feedback.reward_model import RewardModelTrainer, RewardNet
from agents.storage.folder import atomic_write_bytes

REWARD_MODEL_FILE = "reward_model.pt"
PAIRS_FILE = "preferences.npz"
CLIP_SEED_OFFSET = 7_919
"""Clips are played from seeds of their own, apart from the training envs' and evaluation's."""


class PreferenceLearning:
    """The reward model, labeler and loop of one run.

    The reward model reads the state only (``r(s)``) for discrete actions and the state and action
    (``r(s, a)``) for continuous ones: Pendulum's reward charges for torque, CartPole's does not, and a CartPole
    ``r(s, a)`` fit to a hundred labels paid one push direction more, which the agent then exploited.

    Args:
        config: the run's configuration; ``config.feedback`` must be set and name an automated labeler.
        folder: the run's folder (None: nothing is saved).
        resume: load the reward model and the labelled pairs saved in ``folder`` (a folder from before pairs were
            saved resumes with its reward model and no pairs).

    Raises:
        agents.feedback.pair_store.PairFileError: the saved pairs do not fit this run.
    """

    def __init__(self, config: RunConfig, folder: Path | None, resume: bool = False) -> None:
        feedback = config.feedback
        if feedback is None:
            raise ValueError("this run does not learn from preferences")
        probe = config.env_info.make()
        continuous = isinstance(probe.action_space, gym.spaces.Box)
        self.net = RewardNet(probe.observation_space, probe.action_space, seed=config.seed, use_action=continuous)
        probe.close()
        self.path = folder / REWARD_MODEL_FILE if folder is not None else None
        self.pairs_path = folder / PAIRS_FILE if folder is not None else None
        if resume and self.path is not None and self.path.exists():
            self.net.load_state_dict(torch.load(self.path, weights_only=True))  # our own file, never a user's
        features = config.env_info.feature_names
        labeler = feedback.labeler(features, seed=config.seed)
        self.loop = PreferenceLoop(
            FragmentSampler(config.env_info.make, feedback.fragment_length, seed=config.seed + CLIP_SEED_OFFSET),
            labeler,
            RewardModelTrainer(self.net, seed=config.seed),
            feedback.settings(),
            reference=None if labeler.source == "oracle" else OracleLabeler(seed=config.seed),
        )
        self.total_timesteps = config.total_timesteps
        if resume and self.pairs_path is not None and self.pairs_path.exists():
            restore_pairs(self.loop, self.pairs_path)

    def wrap(self, env: gym.Env) -> gym.Env:
        """Pay ``env``'s agent with the learned reward (place it where shaping would go)."""
        return LearnedReward(env, self.net)

    def callback(self) -> PreferenceCallback:
        """The SB3 callback that asks for labels and refits the reward model during ``learn``."""
        return PreferenceCallback(self.loop, self.total_timesteps)

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

    def close(self) -> None:
        self.loop.close()
