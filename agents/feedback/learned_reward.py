"""Hand the agent the learned reward instead of the env's, and keep the env's reward beside it for the charts."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from agents.feedback.reward_model import RewardNet


class LearnedReward(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Replace each step's reward by the reward model's normalised ``r(s, a)`` for the state it was taken in.

    Place it where reward shaping goes, outside :class:`envs.shaping.TrueReturnRecorder`, so the true reward
    stays in ``info["true_reward"]`` / ``info["true_return"]`` and the run's charts draw the true return beside
    the learned one (the return the agent optimises). The reward model is shared, not copied: when the
    trainer improves it, the next step already uses the new one.

    Raises:
        ValueError: the model's reward is not finite (the run then fails with that sentence).
    """

    def __init__(self, env: gym.Env, net: RewardNet) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        self.net = net
        self._obs: Any = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        self._obs, info = self.env.reset(seed=seed, options=options)
        return self._obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        obs, _, terminated, truncated, info = self.env.step(action)
        reward = float(self.net.predict_normalized(np.asarray(self._obs)[None], np.asarray(action)[None])[0])
        if not np.isfinite(np.float32(reward)):
            raise ValueError(f"the learned reward is not finite ({reward})")
        self._obs = obs
        return obs, reward, terminated, truncated, info
