"""Two-dimensional slices of an environment's observation space, for drawing what an agent believes on a map.

A value map (as in Sutton & Barto's MountainCar figures, or TensorFlow Playground's picture of what a network has
learned) needs two axes a person can read. Some envs observe exactly two numbers (MountainCar: position and
velocity); others observe more, and a map then shows one plane through their state space with the rest held fixed
(CartPole: pole angle and angular velocity, with the cart at rest in the centre), and says so in its name.

An angle the env observes as its cosine and sine (Pendulum, Acrobot) is mapped as the angle itself, in radians.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SliceAxis:
    """One axis of a slice: a state variable, its unit, the range the map covers, and where it is in the observation.

    ``index`` is the observation component the variable is, or, for an angle observed as (cos, sin),
    ``angle_of`` gives those two components' indices (and ``index`` is unused).
    """

    name: str
    unit: str
    low: float
    high: float
    index: int = -1
    angle_of: tuple[int, int] | None = None

    @property
    def title(self) -> str:
        """The axis title a chart shows: ``"velocity (m/s)"``."""
        return f"{self.name} ({self.unit})" if self.unit else self.name

    def grid(self, points: int) -> np.ndarray:
        """``points`` evenly spaced values from ``low`` to ``high``, shape (points,), float64."""
        return np.linspace(self.low, self.high, points)

    def write(self, observations: np.ndarray, values: np.ndarray) -> None:
        """Set this variable to ``values`` (shape (N,)) in ``observations`` (shape (N, obs_size)), in place."""
        if self.angle_of is None:
            observations[:, self.index] = values
        else:
            cos_i, sin_i = self.angle_of
            observations[:, cos_i] = np.cos(values)
            observations[:, sin_i] = np.sin(values)

    def read(self, observations: np.ndarray) -> np.ndarray:
        """This variable in each of ``observations`` (shape (T, obs_size)): shape (T,), an angle in (-π, π]."""
        if self.angle_of is None:
            return np.asarray(observations[:, self.index], dtype=np.float64)
        cos_i, sin_i = self.angle_of
        return np.arctan2(observations[:, sin_i], observations[:, cos_i]).astype(np.float64)


@dataclass(frozen=True)
class StateSlice:
    """A plane through an env's observation space: two :class:`SliceAxis` and the values of everything else.

    ``rest`` is the whole observation the plane passes through (shape (obs_size,)); the two axes overwrite their
    components of it. ``name`` says in plain words what is mapped and what is held fixed.
    """

    name: str
    x: SliceAxis
    y: SliceAxis
    rest: tuple[float, ...]

    def observations(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """The observation at each point (xs[i], ys[i]): shape (N, obs_size), float32 (what SB3's policies take)."""
        xs, ys = np.asarray(xs, dtype=np.float64).reshape(-1), np.asarray(ys, dtype=np.float64).reshape(-1)
        observations = np.tile(np.asarray(self.rest, dtype=np.float64), (xs.size, 1))
        self.x.write(observations, xs)
        self.y.write(observations, ys)
        return observations.astype(np.float32)

    def grid_observations(self, points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A ``points`` x ``points`` grid over the slice: (xs (points,), ys (points,), observations).

        The observations have shape (points * points, obs_size), row-major with y slowest: the observation of grid
        point (row i, column j) is ``observations[i * points + j]`` at (xs[j], ys[i]), as a heatmap's z[i][j].
        """
        xs, ys = self.x.grid(points), self.y.grid(points)
        grid_x, grid_y = np.meshgrid(xs, ys)
        return xs, ys, self.observations(grid_x.reshape(-1), grid_y.reshape(-1))

    def project(self, observations: np.ndarray) -> np.ndarray:
        """Where each observation (shape (T, obs_size)) lies on the slice's axes: shape (T, 2), (x, y) per row."""
        observations = np.asarray(observations, dtype=np.float64).reshape(len(observations), -1)
        return np.stack([self.x.read(observations), self.y.read(observations)], axis=1)


_PI = float(np.pi)
MOUNTAIN_CAR = StateSlice(
    "position × velocity",
    SliceAxis("position", "m", -1.2, 0.6, index=0),
    SliceAxis("velocity", "m/s", -0.07, 0.07, index=1),
    rest=(0.0, 0.0),
)
"""MountainCar's whole state (its observation bounds); the flag is at position 0.5."""
CART_POLE = StateSlice(
    "pole angle × pole angular velocity, with the cart at rest in the centre (position 0, velocity 0)",
    SliceAxis("pole angle", "rad", -0.21, 0.21, index=2),
    SliceAxis("pole angular velocity", "rad/s", -2.0, 2.0, index=3),
    rest=(0.0, 0.0, 0.0, 0.0),
)
"""The episode ends past ±0.2095 rad (12°); a balancing pole turns at well under 2 rad/s."""
PENDULUM = StateSlice(
    "angle θ × angular velocity (θ = 0: upright)",
    SliceAxis("angle θ", "rad", -_PI, _PI, angle_of=(0, 1)),
    SliceAxis("angular velocity", "rad/s", -8.0, 8.0, index=2),
    rest=(1.0, 0.0, 0.0),
)
"""Pendulum's whole state; the observation is (cos θ, sin θ, θ̇), θ̇ within ±8 rad/s."""
ACROBOT = StateSlice(
    "link angles θ1 × θ2 (0, 0: hanging straight down), both links at rest (angular velocities 0)",
    SliceAxis("θ1, first link", "rad", -_PI, _PI, angle_of=(0, 1)),
    SliceAxis("θ2, second link to first", "rad", -_PI, _PI, angle_of=(2, 3)),
    rest=(1.0, 0.0, 1.0, 0.0, 0.0, 0.0),
)
LUNAR_LANDER = StateSlice(
    "lander position x × height y (0, 0: the pad), at rest, upright, legs off the ground",
    SliceAxis("x", "half screen widths", -1.0, 1.0, index=0),
    SliceAxis("height y", "half screen heights", 0.0, 1.5, index=1),
    rest=(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
)
"""The lander starts near height 1.4 above the pad; past x = ±1 it leaves the screen and the episode ends."""
