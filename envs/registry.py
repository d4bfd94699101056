"""The environments the playground offers, and what the UI and the trainer need to know about each.

Like gymnasium's own ``EnvSpec`` registry, but with what a learner needs: a one-line description, the kind
of spaces (which decides the algorithms that apply), the threshold at which we call it solved, and a step
budget that fits a live demo. Environments are always built through :func:`gymnasium.make`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import gymnasium as gym

from envs.state_slice import ACROBOT, CART_POLE, LUNAR_LANDER, MOUNTAIN_CAR, PENDULUM, StateSlice

SpaceKind = Literal["discrete", "box"]


@dataclass(frozen=True)
class EnvInfo:
    """Facts about one environment id that the UI, the trainer and validation rely on."""

    id: str
    title: str
    description: str
    """One line written for a learner: what the agent sees, does and is rewarded for."""
    obs_kind: SpaceKind
    action_kind: SpaceKind
    solved_threshold: float | None
    """Mean return over the last 20 training episodes at which we call the env solved (None: no threshold)."""
    default_timesteps: int
    """A step budget that fits a live demo on a 2-core CPU with the default algorithm."""
    default_algo: str
    feature_names: tuple[str, ...] = ()
    """Names of the observation components, usable in reward expressions (``obs[i]`` always works)."""
    make_kwargs: tuple[tuple[str, object], ...] = ()
    """Extra keyword arguments for ``gymnasium.make`` (kept as a tuple so the dataclass stays hashable)."""
    no_preferences: str = ""
    """Why a reward cannot be learned from preferences here (empty: it can): said when a person asks for it."""
    action_names: tuple[str, ...] = ()
    """Words for each discrete action, or for each component of a Box action (gymnasium's docs); empty: numbers."""
    state_slice: StateSlice | None = None
    """The plane through the observation space that value and policy maps show (None: no map)."""

    def make(self, render_mode: str | None = None) -> gym.Env:
        """Build a fresh instance through gymnasium's registry."""
        return gym.make(self.id, render_mode=render_mode, **dict(self.make_kwargs))


ENVS: dict[str, EnvInfo] = {
    info.id: info
    for info in (
        EnvInfo(
            id="CartPole-v1",
            title="CartPole",
            description="Push a cart left or right to keep a pole balanced upright; +1 for every step it stays up.",
            obs_kind="box",
            action_kind="discrete",
            solved_threshold=475.0,
            default_timesteps=60_000,
            default_algo="ppo",
            feature_names=("x", "x_dot", "theta", "theta_dot"),
            no_preferences="every step pays +1 and an episode ends when the pole falls, so two clips of equal length "
            "always tie and a clip's length gives the answer away: learn from preferences on FixedHorizonCartPole-v0",
            action_names=("push left", "push right"),
            state_slice=CART_POLE,
        ),
        EnvInfo(
            id="FixedHorizonCartPole-v0",
            title="CartPole (fixed horizon)",
            description="CartPole that always lasts 500 steps: +1 while the pole is up, 0 after it falls. "
            "Made for learning from preferences, where an episode's length must not give the answer away.",
            obs_kind="box",
            action_kind="discrete",
            solved_threshold=475.0,
            default_timesteps=100_000,
            default_algo="ppo",
            feature_names=("x", "x_dot", "theta", "theta_dot"),
            action_names=("push left", "push right"),
            state_slice=CART_POLE,
        ),
        EnvInfo(
            id="MountainCar-v0",
            title="MountainCar",
            description="Rock an underpowered car up a hill; -1 every step until it reaches the flag, so "
            "rewards are sparse.",
            obs_kind="box",
            action_kind="discrete",
            solved_threshold=-110.0,
            default_timesteps=120_000,
            default_algo="dqn",
            feature_names=("position", "velocity"),
            action_names=("accelerate left", "don't accelerate", "accelerate right"),
            state_slice=MOUNTAIN_CAR,
        ),
        EnvInfo(
            id="MountainCarContinuous-v0",
            title="MountainCar (continuous)",
            description="The same hill with a throttle from -1 to 1: +100 at the flag, minus the fuel spent.",
            obs_kind="box",
            action_kind="box",
            solved_threshold=90.0,
            default_timesteps=50_000,
            default_algo="sac",
            feature_names=("position", "velocity"),
            action_names=("force",),
            state_slice=MOUNTAIN_CAR,
        ),
        EnvInfo(
            id="Acrobot-v1",
            title="Acrobot",
            description="Swing a two-link arm by torquing its elbow until the tip rises above a line; -1 per step.",
            obs_kind="box",
            action_kind="discrete",
            solved_threshold=-100.0,
            default_timesteps=100_000,
            default_algo="ppo",
            feature_names=("cos1", "sin1", "cos2", "sin2", "theta1_dot", "theta2_dot"),
            action_names=("torque −1", "no torque", "torque +1"),
            state_slice=ACROBOT,
        ),
        EnvInfo(
            id="Pendulum-v1",
            title="Pendulum",
            description="Swing a pendulum up and hold it upright with limited torque; penalised for angle, "
            "speed and effort.",
            obs_kind="box",
            action_kind="box",
            solved_threshold=-200.0,
            default_timesteps=20_000,
            default_algo="sac",
            feature_names=("cos_theta", "sin_theta", "theta_dot"),
            action_names=("torque (N·m)",),
            state_slice=PENDULUM,
        ),
        EnvInfo(
            id="LunarLander-v3",
            title="LunarLander",
            description="Fire a lander's engines to touch down softly on the pad; rewarded for landing, "
            "penalised for crashing and fuel.",
            obs_kind="box",
            action_kind="discrete",
            solved_threshold=200.0,
            default_timesteps=300_000,
            default_algo="ppo",
            feature_names=("x", "y", "vx", "vy", "angle", "angular_velocity", "left_leg", "right_leg"),
            action_names=("do nothing", "fire left engine", "fire main engine", "fire right engine"),
            state_slice=LUNAR_LANDER,
        ),
        EnvInfo(
            id="FrozenLake-v1",
            title="FrozenLake",
            description="Cross a slippery frozen lake from start to goal without falling in a hole; +1 only "
            "at the goal.",
            obs_kind="discrete",
            action_kind="discrete",
            solved_threshold=0.7,
            default_timesteps=50_000,
            default_algo="dqn",
            feature_names=("state",),
        ),
        EnvInfo(
            id="CliffWalking-v1",
            title="CliffWalking",
            description="Walk along a cliff edge to the goal; -1 per step, -100 and back to start for a fall.",
            obs_kind="discrete",
            action_kind="discrete",
            solved_threshold=-13.0,
            default_timesteps=30_000,
            default_algo="dqn",
            feature_names=("state",),
            # CliffWalking has no time limit of its own; an untrained agent could wander forever.
            make_kwargs=(("max_episode_steps", 200),),
        ),
        EnvInfo(
            id="Taxi-v4",
            title="Taxi",
            description="Drive a taxi to a passenger and drop them at their destination; +20 for a delivery, "
            "-1 per step, -10 for illegal moves.",
            obs_kind="discrete",
            action_kind="discrete",
            solved_threshold=8.0,
            default_timesteps=100_000,
            default_algo="dqn",
            feature_names=("state",),
        ),
        EnvInfo(
            id="GridWorld-v0",
            title="GridWorld",
            description="Walk Russell & Norvig's 4x3 grid to the +1 exit and avoid the -1 one; -0.04 per step, "
            "and a move slips sideways 20% of the time.",
            obs_kind="discrete",
            action_kind="discrete",
            # The best policy averages about 0.71 from the start; 0.6 over 20 episodes leaves room for slips.
            solved_threshold=0.6,
            default_timesteps=20_000,
            default_algo="q_learning",
            feature_names=("state",),
        ),
    )
}


class UnknownEnvError(ValueError):
    """An env id that the playground does not offer."""


def get_env(env_id: str) -> EnvInfo:
    """Look up an env by id, with an error that lists what exists."""
    try:
        return ENVS[env_id]
    except KeyError:
        known = ", ".join(ENVS)
        raise UnknownEnvError(f"unknown environment {env_id!r}; choose one of: {known}") from None
