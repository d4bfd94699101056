"""What a run cost: its cost meter's reading, as the worker reports it and ``status.json`` keeps it.

One :class:`Cost` travels up from the worker as an event (:mod:`agents.runs.events`), is reduced by the run handle
and is written into the run's ``status.json`` (key ``cost``) at every checkpoint and at the end, so a resumed run
counts on from it. The fields:

* ``wall_s``: training seconds, pauses excluded (the run's clock, as ``train_s``);
* ``cpu_s``: CPU seconds of the worker itself (its process; in the headless trainer, its thread): training,
  evaluation clips, and whatever else the run's worker computes (a reward model, the clips it is fitted on);
* ``env_steps``: every env step the run took, by part: ``training`` (the learner's own steps: SB3's
  ``num_timesteps``; GRPO's groups are its training rollouts), ``evaluation clips`` (steps played only to show the
  agent), ``feedback clips`` (steps played only to sample clips for preference labels);
* ``params``: trainable parameters, by part (``policy``, ``value function``, ``Q-network``, ``Q-functions``,
  ``reward model``; a tabular agent's table entries as ``Q-table`` or ``value table``);
* ``labels``: preference labels the run learnt from, ``person`` and ``automated`` (0 unless it learns from them);
* ``*_to_solve``: the same at the moment the run first counted as solved (None: not solved). ``steps_to_solve``
  counts the steps learning needed (training and feedback clips), not the evaluation clips that only show it;
  ``labels_to_solve`` the preference labels it had learnt from by then.

CPU seconds, not wall seconds, are what to compare across runs: wall time moves two to three times with the load
other work puts on the machine, CPU time far less.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TRAINING, EVALUATION_CLIPS, FEEDBACK_CLIPS = "training", "evaluation clips", "feedback clips"
"""The parts of ``env_steps``."""
PERSON, AUTOMATED = "person", "automated"
"""Who gave the labels."""


@dataclass(frozen=True)
class Cost:
    """A run's cost so far (see the module docstring for each field's meaning and unit)."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    env_steps: Mapping[str, int] = field(default_factory=dict)
    params: Mapping[str, int] = field(default_factory=dict)
    labels: Mapping[str, int] = field(default_factory=lambda: {PERSON: 0, AUTOMATED: 0})
    wall_s_to_solve: float | None = None
    cpu_s_to_solve: float | None = None
    steps_to_solve: int | None = None
    labels_to_solve: int | None = None

    @property
    def total_env_steps(self) -> int:
        return sum(self.env_steps.values())

    @property
    def learning_env_steps(self) -> int:
        """Env steps learning needed: all but the evaluation clips, which only show the agent."""
        return self.total_env_steps - self.env_steps.get(EVALUATION_CLIPS, 0)

    @property
    def total_params(self) -> int:
        return sum(self.params.values())

    @property
    def total_labels(self) -> int:
        return sum(self.labels.values())

    @property
    def solved(self) -> bool:
        return self.steps_to_solve is not None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: the parts as objects, with their totals beside them."""
        return {
            "wall_s": round(self.wall_s, 3),
            "cpu_s": round(self.cpu_s, 3),
            "env_steps": self.total_env_steps,
            "env_steps_by_part": dict(self.env_steps),
            "params": self.total_params,
            "params_by_part": dict(self.params),
            "labels": self.total_labels,
            "labels_by_source": dict(self.labels),
            "wall_s_to_solve": _rounded(self.wall_s_to_solve),
            "cpu_s_to_solve": _rounded(self.cpu_s_to_solve),
            "steps_to_solve": self.steps_to_solve,
            "labels_to_solve": self.labels_to_solve,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cost:
        """Read :meth:`to_json`'s output; ValueError or TypeError when it is malformed."""

        def counts(key: str) -> dict[str, int]:
            parts = data.get(key) or {}
            if not isinstance(parts, Mapping):
                raise TypeError(f"{key} must be an object")
            return {str(name): int(value) for name, value in parts.items()}

        labels = counts("labels_by_source") or {PERSON: 0, AUTOMATED: 0}
        steps, labels_at_solve = data.get("steps_to_solve"), data.get("labels_to_solve")
        return cls(
            wall_s=_finite(data.get("wall_s") or 0.0),
            cpu_s=_finite(data.get("cpu_s") or 0.0),
            env_steps=counts("env_steps_by_part"),
            params=counts("params_by_part"),
            labels=labels,
            wall_s_to_solve=None if data.get("wall_s_to_solve") is None else _finite(data["wall_s_to_solve"]),
            cpu_s_to_solve=None if data.get("cpu_s_to_solve") is None else _finite(data["cpu_s_to_solve"]),
            steps_to_solve=None if steps is None else int(steps),
            labels_to_solve=None if labels_at_solve is None else int(labels_at_solve),
        )


def _finite(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"a cost must be a finite number of at least 0, not {value!r}")
    return number


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
