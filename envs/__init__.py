"""Environments of the playground; importing the package registers its own envs with gymnasium.

Rendering envs draw with pygame (SDL) into off-screen ``rgb_array`` frames. A server has no display: SDL's
default video driver then probes for one and prints "XDG_RUNTIME_DIR is invalid or not set" once per
rendering env. The dummy driver draws the same frames without looking for a screen.
"""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import envs.fixed_horizon  # registers FixedHorizonCartPole-v0)
import envs.gridworld  # noqa: F401  (registers GridWorld-v0)
