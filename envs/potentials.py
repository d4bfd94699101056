"""Named potentials Φ(s) for potential-based reward shaping, per environment.

Potential-based shaping adds F = γΦ(s') − Φ(s) to each reward; Ng, Harada & Russell (1999) proved that this,
and only this, form of shaping leaves the optimal policy unchanged. The potentials here are chosen so that a
learner can see what each one says ("higher is closer to the goal") and so that they behave well as shaping:

* **Scale.** Each Φ spans about one unit over the states an episode visits, which is the size of the per-step
  reward in the envs they belong to (MountainCar, Acrobot: −1 a step; CartPole: +1 a step; LunarLander: a few
  units a step). The shaping term F is then at most about one step's reward, so shaping guides without
  drowning the env's own reward; ``ShapingConfig.potential_scale`` turns it up or down. MountainCarContinuous
  uses the same unit although its fuel cost is at most 0.1 a step: one unit is about the fuel of a full swing.
* **Zero where the episode ends.** Shaping sets Φ = 0 at terminal states, as the theorem requires for episodic
  tasks. Each potential is therefore about 0 where its env terminates (the flag, the pad, the line; CartPole's
  failure limits) and negative or positive elsewhere, so the final step gets no surprising jump.

Each ``fn`` takes the observation array and returns a float; they use plain ``math`` on a few components
because they run on every step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Potential:
    """A named state potential Φ(s) for one environment."""

    name: str
    description: str
    """One line for a learner: what Φ measures, its range, where it is zero."""
    fn: Callable[[np.ndarray], float]


# --- MountainCar (discrete and continuous share the physics; only the flag position differs) -------------
MOUNTAIN_CAR_GRAVITY = 0.0025
"""The hill's pull in MountainCar's per-step units: velocity += ... − gravity·cos(3·position)."""


def _hill(position: float) -> float:
    """sin(3x): the track's height profile up to an affine map (the renderer draws 0.45·sin(3x) + 0.55)."""
    return math.sin(3.0 * position)


def _mountain_car_height(goal_position: float) -> Callable[[np.ndarray], float]:
    goal = _hill(goal_position)

    def height(obs: np.ndarray) -> float:
        return (_hill(float(obs[0])) - goal) / (goal + 1.0)

    return height


def _mountain_car_energy(goal_position: float) -> Callable[[np.ndarray], float]:
    # The pull −g·cos(3x) per step is the slope of the potential energy U(x) = g/3·sin(3x); kinetic is v²/2.
    def energy(position: float, velocity: float) -> float:
        return 0.5 * velocity * velocity + MOUNTAIN_CAR_GRAVITY / 3.0 * _hill(position)

    at_goal, at_bottom = energy(goal_position, 0.0), -MOUNTAIN_CAR_GRAVITY / 3.0

    def normalised_energy(obs: np.ndarray) -> float:
        return (energy(float(obs[0]), float(obs[1])) - at_goal) / (at_goal - at_bottom)

    return normalised_energy


def _mountain_car_potentials(goal_position: float) -> dict[str, Potential]:
    return {
        "height": Potential(
            "height",
            "How high the car is on the track: −1 in the valley, 0 at the flag.",
            _mountain_car_height(goal_position),
        ),
        "energy": Potential(
            "energy",
            "Height plus speed as mechanical energy: −1 at rest in the valley, 0 at rest at the flag; "
            "rewards building momentum, not only climbing.",
            _mountain_car_energy(goal_position),
        ),
    }


# --- CartPole: the env fails when |theta| > 12° or |x| > 2.4 ---------------------------------------------
CARTPOLE_THETA_LIMIT = 12 * 2 * math.pi / 360
CARTPOLE_X_LIMIT = 2.4


def _cartpole_upright(obs: np.ndarray) -> float:
    return max(0.0, 1.0 - abs(float(obs[2])) / CARTPOLE_THETA_LIMIT)


def _cartpole_centred(obs: np.ndarray) -> float:
    return max(0.0, 1.0 - abs(float(obs[0])) / CARTPOLE_X_LIMIT)


# --- LunarLander: observations are already normalised so that the pad is at (0, 0) ---------------------
def _lunar_pad_distance(obs: np.ndarray) -> float:
    return -math.hypot(float(obs[0]), float(obs[1]))


# --- Acrobot: the tip height is −cos θ1 − cos(θ1 + θ2) in [−2, 2]; the episode ends above 1 ---------------
def _acrobot_tip_height(obs: np.ndarray) -> float:
    cos1, sin1, cos2, sin2 = (float(value) for value in obs[:4])
    height = -cos1 - (cos1 * cos2 - sin1 * sin2)
    return (height - 1.0) / 3.0


POTENTIALS: dict[str, dict[str, Potential]] = {
    "MountainCar-v0": _mountain_car_potentials(goal_position=0.5),
    "MountainCarContinuous-v0": _mountain_car_potentials(goal_position=0.45),
    "CartPole-v1": {
        "upright": Potential(
            "upright",
            "How upright the pole is: 1 when vertical, 0 at the 12° failure limit.",
            _cartpole_upright,
        ),
        "centred": Potential(
            "centred",
            "How close the cart is to the middle: 1 at the centre, 0 at the edge of the track.",
            _cartpole_centred,
        ),
    },
    "LunarLander-v3": {
        "pad_distance": Potential(
            "pad_distance",
            "Minus the distance to the landing pad: about −1.4 at the start, 0 on the pad.",
            _lunar_pad_distance,
        ),
    },
    "Acrobot-v1": {
        "tip_height": Potential(
            "tip_height",
            "How high the arm's tip is: −1 hanging straight down, 0 at the line that ends the episode.",
            _acrobot_tip_height,
        ),
    },
}


def potentials_for(env_id: str) -> dict[str, Potential]:
    """The named potentials for an env (empty when it has none, e.g. the grid worlds)."""
    return POTENTIALS.get(env_id, {})
