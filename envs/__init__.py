"""Environments of the playground; importing the package registers its own envs with gymnasium."""

import envs.gridworld  # noqa: F401  (registers GridWorld-v0)
