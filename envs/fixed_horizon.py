"""Fixed-horizon episodes, so that a clip's length never tells which clip was better.

Learning a reward from preferences compares short clips of behaviour. On CartPole every step pays +1, so two
clips of equal length always tie, and an episode that ends early leaks the reward through its length: a
reward model that only ever sees the steps before a fall cannot learn that falling is bad (Christiano et al.
2017; the ``seals`` library's fixed-horizon environments, Gleave et al. 2020, exist for this reason).

:class:`AbsorbAfterTermination` keeps an episode running after the inner env terminates: it repeats the last
observation, pays ``absorb_reward`` per step and ends only at the horizon, as ``seals.util.AbsorbAfterDoneWrapper``
does. ``FixedHorizonCartPole-v0`` (:class:`FixedHorizonCartPoleEnv`) is CartPole-v1 so changed: +1 while the
pole is up, 0 per step after it fell, always 500 steps.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.classic_control.cartpole import CartPoleEnv

FIXED_HORIZON_CARTPOLE_ID = "FixedHorizonCartPole-v0"
CARTPOLE_HORIZON = 500


class AbsorbAfterTermination(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """After the inner env terminates, stay in an absorbing state until ``horizon`` steps have passed.

    Every episode then lasts exactly ``horizon`` steps: ``terminated`` is never set, ``truncated`` is set at the
    horizon (or when the inner env truncates before terminating). In the absorbing state the observation is the
    last one the inner env returned and the reward is ``absorb_reward``; ``info["absorbed"]`` is True.

    Args:
        env: the env to wrap; it may already carry gymnasium's ``TimeLimit``.
        absorb_reward: reward per step after termination (0.0: nothing more to earn).
        horizon: episode length in steps; default ``env.spec.max_episode_steps``.

    Raises:
        ValueError: no horizon given and the env's spec has none.

    Example:
        >>> import gymnasium as gym
        >>> env = AbsorbAfterTermination(gym.make("CartPole-v1"), horizon=50)
        >>> _ = env.reset(seed=0)
        >>> steps = [env.step(0) for _ in range(50)]
        >>> any(s[2] for s in steps), steps[-1][3], sum(s[1] for s in steps) < 50
        (False, True, True)
    """

    def __init__(self, env: gym.Env, absorb_reward: float = 0.0, horizon: int | None = None) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, absorb_reward=absorb_reward, horizon=horizon)
        gym.Wrapper.__init__(self, env)
        if horizon is None:
            horizon = env.spec.max_episode_steps if env.spec is not None else None
        if horizon is None or horizon < 1:
            raise ValueError("a fixed horizon needs a positive number of steps")
        self.horizon = int(horizon)
        self.absorb_reward = float(absorb_reward)
        self._t = 0
        self._absorbed_obs: Any = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        self._t, self._absorbed_obs = 0, None
        return self.env.reset(seed=seed, options=options)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        self._t += 1
        at_horizon = self._t >= self.horizon
        if self._absorbed_obs is not None:
            return self._absorbed_obs, self.absorb_reward, False, at_horizon, {"absorbed": True}
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated:
            self._absorbed_obs = obs
        return obs, float(reward), False, bool(truncated and not terminated) or at_horizon, info


class FixedHorizonCartPoleEnv(CartPoleEnv):
    """CartPole-v1's dynamics in episodes of a fixed length: +1 while the pole is up, 0 per step after it fell.

    Once the pole falls or the cart leaves the track, the episode enters one absorbing state: every later step
    observes the same fixed point and pays 0, the picture keeps the pole where it fell, and ``terminated`` is
    never set (``seals/CartPole-v0`` instead keeps simulating; a single absorbing state is what makes a
    reward learnable from a hundred labels, see :meth:`_obs`). Gymnasium's ``TimeLimit`` (registered with
    ``max_episode_steps=500``) ends every episode at step 500. The true return is the number of steps the pole
    stayed up, so CartPole-v1's threshold of 475 means the same here.
    """

    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__(render_mode=render_mode)
        self._fallen = False

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        self._fallen = False
        return super().reset(seed=seed, options=options)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        if self._fallen:
            if self.render_mode == "human":
                self.render()
            return self._obs(), 0.0, False, False, {"absorbed": True}
        obs, reward, terminated, truncated, info = super().step(action)
        self._fallen = bool(terminated)
        return obs, float(reward), False, truncated, info

    def _obs(self) -> Any:
        """The absorbing state's observation: one fixed point, the corner of the observation space where the
        cart is past the track's end and the pole past its limit. One absorbing state, as in the MDP
        definition: a learned reward then gives every fallen step the same value, instead of one per place the
        pole happened to fall (which swamps the few upright steps a clip differs by)."""
        return np.array([2 * self.x_threshold, 0.0, 2 * self.theta_threshold_radians, 0.0], dtype=np.float32)


if FIXED_HORIZON_CARTPOLE_ID not in gym.registry:
    gym.register(
        id=FIXED_HORIZON_CARTPOLE_ID,
        entry_point="envs.fixed_horizon:FixedHorizonCartPoleEnv",
        max_episode_steps=CARTPOLE_HORIZON,
        reward_threshold=475.0,
    )
