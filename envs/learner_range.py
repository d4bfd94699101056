"""The numbers a learner can store: stable-baselines3 keeps rewards and observations in float32.

A reward of ``exp(100)`` (2.7e43) is finite in Python's float64 but becomes ``inf`` in SB3's float32 buffers,
and the loss with it. So wherever a value crosses into the learner (a reward from the env or from shaping, a
constant reward expression), "finite" means finite *in float32*: :func:`fits_learner`, not ``math.isfinite``.
"""

from __future__ import annotations

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)
"""3.4028235e38: the largest magnitude a float32 holds."""


def fits_learner(value: float) -> bool:
    """Whether ``value`` is a number float32 holds (False for NaN, ±inf and anything beyond ±3.4e38)."""
    return -FLOAT32_MAX <= value <= FLOAT32_MAX


def not_storable(value: float) -> str:
    """How to name a value :func:`fits_learner` refused, for a message a person reads."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    return f"{value:.3g} (the learner stores float32, which holds at most ±{FLOAT32_MAX:.2g})"
