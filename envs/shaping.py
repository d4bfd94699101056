"""Reward shaping as gymnasium wrappers, and a live preview of what they do.

Every wrapper takes plain numbers and strings and records them with gymnasium's ``RecordConstructorArgs``, so
``env.spec`` lists the shaping and ``gymnasium.make(env.spec)`` rebuilds it. The settings themselves (one flat,
frozen record for share links and YAML, with its limits and validation) are
:class:`~envs.shaping_config.ShapingConfig`; :func:`apply_shaping` turns one into wrappers. The training code
composes::

    Monitor(apply_shaping(TrueReturnRecorder(gym.make(env_id)), config, env_id), info_keywords=("true_return",))

so the agent learns from the shaped reward while the charts can show the env's own return next to it.

A reward that is not a finite number would silently poison training (gymnasium only warns), so every wrapper
here raises :class:`RewardStepError`, with the step and episode, instead of passing one on. Finite means finite in
the float32 the learner stores rewards in (:mod:`envs.learner_range`): ``exp(100)`` is a float64 but no float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from envs.learner_range import fits_learner, not_storable
from envs.potentials import potentials_for
from envs.registry import get_env
from envs.reward_expr import NonFiniteRewardError, RewardExprError, RewardExpression
from envs.shaping_config import ShapingConfig, ShapingError, unknown_potential_message

MAX_PREVIEW_STEPS = 200


class RewardStepError(ShapingError):
    """Raised during a step when the reward is not a number the learner can store (NaN, ±inf, beyond float32);
    the run ends as failed with this message."""


def _obs_size(space: gym.Space) -> int | None:
    if isinstance(space, gym.spaces.Discrete):
        return 1
    if isinstance(space, gym.spaces.Box):
        return int(np.prod(space.shape))
    return None


class _ShapingWrapper(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Counts steps and episodes, and refuses to pass on a reward the learner cannot store."""

    source: ClassVar[str] = "shaping"

    def __init__(self, env: gym.Env, **recorded: Any) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, **recorded)
        gym.Wrapper.__init__(self, env)
        self._t = 0
        self._episode = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        obs, info = self.env.reset(seed=seed, options=options)
        self._t, self._episode = 0, self._episode + 1
        self._on_reset(obs)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._t += 1
        shaped = self._shape(float(reward), obs, action, bool(terminated), bool(truncated))
        if not fits_learner(shaped):
            raise RewardStepError(f"{self.source} gave {not_storable(shaped)} {self._where()}")
        return obs, shaped, terminated, truncated, info

    def _where(self) -> str:
        return f"at step {self._t} of episode {self._episode}"

    def _on_reset(self, obs: Any) -> None:
        """Hook for wrappers that remember the first observation."""

    def _shape(self, reward: float, obs: Any, action: Any, terminated: bool, truncated: bool) -> float:
        raise NotImplementedError


class ExpressionReward(_ShapingWrapper):
    """Replaces the reward with a formula of the reward, observation, action, step count and episode end.

    The expression sees the env's ``reward``, the observation *after* the step (``obs[i]`` or the env's
    feature names), the ``action``, ``t`` (steps taken in this episode, 1 on the first step), ``terminated``
    and ``truncated``; see :mod:`envs.reward_expr` for the grammar.

    Example:
        >>> import gymnasium as gym
        >>> from envs.shaping import ExpressionReward
        >>> env = gym.make("CartPole-v1")
        >>> env = ExpressionReward(env, "reward - abs(x)", feature_names=("x", "x_dot", "theta", "theta_dot"))
        >>> obs, _ = env.reset(seed=0)
        >>> obs, reward, _, _, _ = env.step(1)
        >>> round(reward, 4) == round(1 - abs(float(obs[0])), 4)
        True
    """

    source = "reward expression"

    def __init__(self, env: gym.Env, expr: str, feature_names: Sequence[str] = ()) -> None:
        super().__init__(env, expr=expr, feature_names=list(feature_names))
        try:
            self.expression = RewardExpression.compile(expr, feature_names, obs_size=_obs_size(env.observation_space))
        except RewardExprError as error:
            raise ShapingError(f"reward expression: {error}", "reward_expr", error.col) from None

    def _shape(self, reward: float, obs: Any, action: Any, terminated: bool, truncated: bool) -> float:
        try:
            return self.expression.evaluate(
                reward=reward, obs=obs, action=action, t=self._t, terminated=terminated, truncated=truncated
            )
        except NonFiniteRewardError as error:
            raise RewardStepError(f"reward expression {error.reason} {self._where()}", "reward_expr") from None


class LivingReward(_ShapingWrapper):
    """Adds the same amount on every step: a penalty hurries the agent, a bonus makes it linger.

    Example:
        >>> import gymnasium as gym
        >>> from envs.shaping import LivingReward
        >>> env = LivingReward(gym.make("CartPole-v1"), per_step=-0.25)
        >>> _ = env.reset(seed=0)
        >>> env.step(0)[1]
        0.75
    """

    source = "living reward"

    def __init__(self, env: gym.Env, per_step: float) -> None:
        super().__init__(env, per_step=per_step)
        self.per_step = float(per_step)

    def _shape(self, reward: float, obs: Any, action: Any, terminated: bool, truncated: bool) -> float:
        return reward + self.per_step


class TerminalBonus(_ShapingWrapper):
    """Adds a bonus (or, if negative, a penalty) on the last step of an episode.

    Termination (the task ended: goal reached or failure) and truncation (the time limit) get separate
    amounts, because they mean different things; a step that is both counts as terminated.

    Example:
        >>> import gymnasium as gym
        >>> from envs.shaping import TerminalBonus
        >>> env = TerminalBonus(gym.make("CartPole-v1"), on_terminated=-10.0, on_truncated=0.0)
        >>> _ = env.reset(seed=0)
        >>> terminated, reward = False, 0.0
        >>> while not terminated:
        ...     _, reward, terminated, _, _ = env.step(0)
        >>> reward
        -9.0
    """

    source = "terminal bonus"

    def __init__(self, env: gym.Env, on_terminated: float, on_truncated: float) -> None:
        super().__init__(env, on_terminated=on_terminated, on_truncated=on_truncated)
        self.on_terminated = float(on_terminated)
        self.on_truncated = float(on_truncated)

    def _shape(self, reward: float, obs: Any, action: Any, terminated: bool, truncated: bool) -> float:
        if terminated:
            return reward + self.on_terminated
        if truncated:
            return reward + self.on_truncated
        return reward


class PotentialShaping(_ShapingWrapper):
    """Adds F = scale·(γΦ(s') − Φ(s)) for a named potential Φ (Ng, Harada & Russell, 1999).

    Shaping of this form, and only this form, leaves the optimal policy unchanged. At a terminal s' the
    potential is taken as 0, as the theorem requires for episodic tasks; after a truncation (a time limit,
    not a real end) Φ(s') is kept. Use the same γ as the learner for the guarantee to hold exactly.

    Example:
        >>> import gymnasium as gym
        >>> from envs.shaping import PotentialShaping
        >>> env = gym.make("MountainCar-v0")
        >>> env = PotentialShaping(env, "height", env_id="MountainCar-v0", gamma=0.99, scale=1.0)
        >>> _ = env.reset(seed=0)
        >>> reward = env.step(2)[1]
        >>> -1.05 < reward < -0.95
        True
    """

    source = "potential shaping"

    def __init__(self, env: gym.Env, potential: str, env_id: str, gamma: float, scale: float) -> None:
        super().__init__(env, potential=potential, env_id=env_id, gamma=gamma, scale=scale)
        known = potentials_for(env_id)
        if potential not in known:
            raise ShapingError(unknown_potential_message(potential, env_id), "potential")
        self.potential = known[potential]
        self.gamma = float(gamma)
        self.scale = float(scale)
        self._phi: float | None = None

    def _on_reset(self, obs: Any) -> None:
        self._phi = self.potential.fn(np.atleast_1d(obs))

    def _shape(self, reward: float, obs: Any, action: Any, terminated: bool, truncated: bool) -> float:
        if self._phi is None:
            raise gym.error.ResetNeeded("PotentialShaping needs reset() before step()")
        phi_next = 0.0 if terminated else self.potential.fn(np.atleast_1d(obs))
        shaping = self.scale * (self.gamma * phi_next - self._phi)
        self._phi = phi_next
        return reward + shaping


class ScaleClipReward(_ShapingWrapper):
    """Multiplies the reward by ``scale``, then clips it to [−clip, clip] (``clip=0``: no clipping).

    Example:
        >>> import gymnasium as gym
        >>> from envs.shaping import ScaleClipReward
        >>> env = ScaleClipReward(gym.make("CartPole-v1"), scale=3.0, clip=2.0)
        >>> _ = env.reset(seed=0)
        >>> env.step(0)[1]
        2.0
    """

    source = "reward scale"

    def __init__(self, env: gym.Env, scale: float, clip: float) -> None:
        super().__init__(env, scale=scale, clip=clip)
        self.scale = float(scale)
        self.clip = float(clip)

    def _shape(self, reward: float, obs: Any, action: Any, terminated: bool, truncated: bool) -> float:
        value = reward * self.scale
        return min(max(value, -self.clip), self.clip) if self.clip > 0 else value


class TrueReturnRecorder(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Keeps the env's own reward visible underneath any shaping; place it innermost.

    Each step sets ``info["true_reward"]`` and ``info["true_return"]`` (the episode's running sum of
    unshaped rewards), so an outer ``Monitor(env, info_keywords=("true_return",))`` records the true return
    of every episode next to the shaped one in ``"r"``. It also refuses an env reward the learner cannot store.

    Example:
        >>> import gymnasium as gym
        >>> from envs.shaping import LivingReward, TrueReturnRecorder
        >>> env = LivingReward(TrueReturnRecorder(gym.make("CartPole-v1")), per_step=1.0)
        >>> _ = env.reset(seed=0)
        >>> _, reward, _, _, info = env.step(0)
        >>> reward, info["true_reward"], info["true_return"]
        (2.0, 1.0, 1.0)
    """

    def __init__(self, env: gym.Env) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        self.true_return = 0.0
        self._t = 0
        self._episode = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        self.true_return, self._t, self._episode = 0.0, 0, self._episode + 1
        return self.env.reset(seed=seed, options=options)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._t += 1
        reward = float(reward)
        if not fits_learner(reward):
            where = f"at step {self._t} of episode {self._episode}"
            raise RewardStepError(f"the environment gave reward {not_storable(reward)} {where}")
        self.true_return += reward
        info = {**info, "true_reward": reward, "true_return": self.true_return}
        return obs, reward, terminated, truncated, info


def apply_shaping(env: gym.Env, config: ShapingConfig, env_id: str, learner_gamma: float | None = None) -> gym.Env:
    """Wrap ``env`` with the shaping in ``config``, or return it unchanged when there is none.

    Order, inside out: the expression (so its ``reward`` is the env's own), living reward, terminal bonus,
    potential shaping, and last scale and clip (so the clip bounds what the learner finally sees). The
    potential's γ is ``config.potential_gamma``, or ``learner_gamma`` when that is None (its default); a
    potential with neither is refused with :class:`ShapingError`.
    """
    config.validate(env_id)
    if learner_gamma is not None:
        config = config.with_learner_gamma(learner_gamma)
    if config.potential and config.potential_gamma is None:
        raise ShapingError("the potential's γ follows the learner's γ, and none was given", "potential_gamma")
    if config.is_identity():
        return env
    if config.reward_expr:
        env = ExpressionReward(env, config.reward_expr, get_env(env_id).feature_names)
    if config.living_reward:
        env = LivingReward(env, config.living_reward)
    if config.termination_bonus or config.truncation_bonus:
        env = TerminalBonus(env, config.termination_bonus, config.truncation_bonus)
    if config.potential:
        env = PotentialShaping(
            env, config.potential, env_id, gamma=config.potential_gamma, scale=config.potential_scale
        )
    if config.reward_scale != 1 or config.reward_clip:
        env = ScaleClipReward(env, config.reward_scale, config.reward_clip)
    return env


SHAPING_WEIGHTS: dict[str, tuple[type[_ShapingWrapper], str]] = {
    "living_reward": (LivingReward, "per_step"),
    "potential_scale": (PotentialShaping, "scale"),
    "reward_scale": (ScaleClipReward, "scale"),
}
"""The shaping weights that can change while an env is in use: the config's name -> (wrapper, its attribute)."""


def set_shaping_weight(env: gym.Env, name: str, value: float) -> int:
    """Set a shaping weight (a key of :data:`SHAPING_WEIGHTS`) on every wrapper of ``env`` that holds it, from the
    next step on; returns how many held it (0: ``env`` does not shape with it). KeyError for another name."""
    cls, attribute = SHAPING_WEIGHTS[name]
    found = 0
    layer: Any = env
    while layer is not None:
        if isinstance(layer, cls):
            setattr(layer, attribute, float(value))
            found += 1
        layer = getattr(layer, "env", None)
    return found


def preview_shaping(
    env_id: str, config: ShapingConfig, n_steps: int = 8, seed: int = 0, learner_gamma: float | None = None
) -> list[dict]:
    """Play ``n_steps`` random actions (seeded) and show the env's reward next to the shaped one.

    Powers the live preview beside the shaping controls, before any training. Raises :class:`ShapingError`
    for an invalid config, and :class:`RewardStepError` if a sample step's shaped reward is not finite
    (e.g. ``log(x)`` at x = 0). Episodes that end within the preview restart, and ``t`` restarts with them.
    """
    if not 1 <= n_steps <= MAX_PREVIEW_STEPS:
        raise ShapingError(f"n_steps must be between 1 and {MAX_PREVIEW_STEPS}, got {n_steps}")
    config.validate(env_id)
    env = apply_shaping(TrueReturnRecorder(get_env(env_id).make()), config, env_id, learner_gamma)
    rows: list[dict] = []
    try:
        env.action_space.seed(seed)
        env.reset(seed=seed)
        t = 0
        for _ in range(n_steps):
            action = env.action_space.sample()
            obs, shaped, terminated, truncated, info = env.step(action)
            t += 1
            rows.append(
                {
                    "t": t,
                    "action": np.asarray(action).tolist(),
                    "obs": np.asarray(obs, dtype=np.float64).ravel().tolist(),
                    "reward": info["true_reward"],
                    "shaped_reward": float(shaped),
                    "terminated": bool(terminated),
                    "truncated": bool(truncated),
                }
            )
            if terminated or truncated:
                env.reset()
                t = 0
    finally:
        env.close()
    return rows
