"""The reward-shaping settings as one flat, frozen record, with their limits and validation.

A shaping travels in share links and YAML and is typed into forms, so it is kept apart from the wrappers that apply
it: :class:`ShapingConfig` holds plain numbers and text, :data:`NUMBER_LIMITS` bounds each number (forms use them as
widget bounds), and :meth:`ShapingConfig.validate` names the first setting that cannot be used with an env, before
any env is built. :mod:`envs.shaping` turns a valid config into gymnasium wrappers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envs.potentials import potentials_for
from envs.registry import UnknownEnvError, get_env
from envs.reward_expr import RewardExprError, RewardExpression


class ShapingError(ValueError):
    """A shaping setting that cannot be used, or a step whose shaped reward is not a finite number."""

    def __init__(self, message: str, field: str | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        """The :class:`ShapingConfig` field at fault, so a form can show the message next to its control."""
        self.col = col
        """For ``reward_expr``: the 1-based column of the problem in the expression."""


@dataclass(frozen=True)
class ShapingConfig:
    """All shaping settings as plain values; the defaults mean "no shaping"."""

    reward_expr: str = ""
    """A formula that replaces the env's reward, e.g. ``reward - 0.1*abs(theta)`` ("" = keep the reward)."""
    living_reward: float = 0.0
    """Added on every step: negative to hurry the agent, positive to make it survive longer."""
    termination_bonus: float = 0.0
    """Added on the step where the episode terminates (goal reached or failure)."""
    truncation_bonus: float = 0.0
    """Added on the step where the time limit cuts the episode off."""
    potential: str = ""
    """Name of a potential for this env (see :mod:`envs.potentials`); "" = no potential-based shaping."""
    potential_gamma: float | None = None
    """γ in F = γΦ(s') − Φ(s). None (the default): the learner's own γ, which the policy-invariance guarantee
    needs (Ng, Harada & Russell, 1999); a number sets it apart (:meth:`potential_gamma_warning` says so)."""
    potential_scale: float = 1.0
    """Multiplies F: larger guides more strongly."""
    reward_scale: float = 1.0
    """Multiplies the final reward (after all other shaping)."""
    reward_clip: float = 0.0
    """Clips the final reward to [−c, c] after scaling; 0 = no clipping."""

    def __post_init__(self) -> None:
        # Keep numbers as floats even when given as ints, so to_dict and the recorded wrapper args agree.
        for name in NUMBER_LIMITS:
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))

    def is_identity(self) -> bool:
        """True when applying this config would change no reward (γ and scale of an unused potential aside)."""
        return (
            not self.reward_expr
            and not self.potential
            and self.living_reward == 0
            and self.termination_bonus == 0
            and self.truncation_bonus == 0
            and self.reward_scale == 1
            and self.reward_clip == 0
        )

    def with_learner_gamma(self, learner_gamma: float) -> ShapingConfig:
        """This shaping with the potential's γ resolved: the learner's unless a person set another (no potential:
        unchanged, as there is nothing the γ would apply to)."""
        if self.potential_gamma is not None or not self.potential:
            return self
        return dataclasses.replace(self, potential_gamma=float(learner_gamma))

    def potential_gamma_warning(self, learner_gamma: float) -> str | None:
        """Why a potential's γ set apart from the learner's breaks the shaping's guarantee; None when they agree."""
        if not self.potential or self.potential_gamma is None or self.potential_gamma == learner_gamma:
            return None
        return (
            f"The potential's γ ({self.potential_gamma:g}) differs from the learner's γ ({learner_gamma:g}): "
            "potential-based shaping keeps the optimal policy only when they are equal (Ng, Harada & Russell, "
            "1999), so this shaping may teach a different behaviour. Leave it empty to follow the learner's."
        )

    def to_dict(self) -> dict[str, float | str]:
        """Only the settings that differ from the defaults, for short share links."""
        default = ShapingConfig()
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) != getattr(default, field.name)
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ShapingConfig:
        """Build from a dict (a parsed URL, YAML), coercing numbers given as text; unknown keys are refused.

        An optional number (``potential_gamma``) given as None or empty text keeps its default, None.
        """
        kinds = {field.name: field.type for field in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in kinds:
                raise ShapingError(f"unknown shaping setting {key!r}; known settings: {', '.join(kinds)}", None)
            if "None" in str(kinds[key]) and (value is None or (isinstance(value, str) and not value.strip())):
                continue
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if kinds[key] == "str":
                if not (isinstance(value, str) or is_number):
                    raise ShapingError(f"{key} must be text, got {type(value).__name__}", key)
                values[key] = str(value)
            elif is_number:
                values[key] = float(value)  # type: ignore[arg-type]
            elif isinstance(value, str):
                try:
                    values[key] = float(value.strip())
                except ValueError:
                    raise ShapingError(f"{key} must be a number, got {value[:40]!r}", key) from None
            else:
                raise ShapingError(f"{key} must be a number, got {type(value).__name__}", key)
        return cls(**values)

    def validate(self, env_id: str) -> None:
        """Raise :class:`ShapingError` naming the first setting that cannot be used with ``env_id``."""
        try:
            info = get_env(env_id)
        except UnknownEnvError as error:
            raise ShapingError(str(error)) from None
        for name, (low, high) in NUMBER_LIMITS.items():
            value = getattr(self, name)
            if value is None and name in OPTIONAL_NUMBERS:
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise ShapingError(f"{name} must be a finite number, got {value!r}", name)
            if not low <= value <= high:
                raise ShapingError(f"{name} must be between {low:g} and {high:g}, got {value:g}", name)
        if self.potential_gamma is not None and not self.potential_gamma > 0:
            raise ShapingError("potential_gamma must be above 0 (and at most 1)", "potential_gamma")
        for name in ("reward_scale", "potential_scale"):
            if getattr(self, name) == 0:
                raise ShapingError(f"{name} must not be 0: it would erase the reward it scales", name)
        if self.potential and self.potential not in potentials_for(env_id):
            raise ShapingError(unknown_potential_message(self.potential, env_id), "potential")
        if self.reward_expr:
            size = len(info.feature_names) or None
            try:
                RewardExpression.compile(self.reward_expr, info.feature_names, obs_size=size)
            except RewardExprError as error:
                raise ShapingError(f"reward expression: {error}", "reward_expr", error.col) from None


NUMBER_LIMITS: dict[str, tuple[float, float]] = {
    "living_reward": (-1_000.0, 1_000.0),
    "termination_bonus": (-10_000.0, 10_000.0),
    "truncation_bonus": (-10_000.0, 10_000.0),
    "potential_gamma": (0.0, 1.0),
    "potential_scale": (-1_000.0, 1_000.0),
    "reward_scale": (-1_000.0, 1_000.0),
    "reward_clip": (0.0, 1_000_000.0),
}
"""Accepted range of each numeric :class:`ShapingConfig` field (widgets can use them as their bounds)."""
OPTIONAL_NUMBERS = frozenset({"potential_gamma"})
"""Numeric fields whose None means "follow the learner's setting"."""


def unknown_potential_message(name: str, env_id: str) -> str:
    """One wording for a config and a wrapper that name a potential the env lacks, listing those it has."""
    known = ", ".join(potentials_for(env_id))
    choice = f"choose one of: {known}" if known else "this environment has no named potentials"
    return f"unknown potential {name!r} for {env_id}; {choice}"
