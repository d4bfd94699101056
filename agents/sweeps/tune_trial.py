"""The Ray Tune side of a sweep on Ray: the function trainable each Tune trial runs, and the desk it reads.

Imported by Tune's trial actors on the cluster's nodes, so it imports Ray and nothing of the playground (a trial
actor never loads torch or SB3: the training happens in the run's own actor, :mod:`agents.runs.workers.ray`).
:mod:`agents.sweeps.ray_tune` (on the server) starts the trial's runs and posts their progress to the
:class:`TrialDesk`; :func:`run_trial` turns that progress into ``tune.report`` calls, so Tune's schedulers and
its ``ResultGrid`` see each trial's metric as it trains.
"""

from __future__ import annotations

import time
from typing import Any, TypedDict

import ray
from ray import tune

POLL_S = 0.5
"""Seconds between a trial's reads of its state."""
METRIC = "mean_return"
"""The metric each trial reports (the sweep's: mean true return of the last 20 episodes, averaged over seeds)."""
TIME_ATTR = "timesteps"
"""Each report's progress: the fewest steps any of the trial's seeds has trained (ASHA's time attribute)."""


class TrialState(TypedDict):
    """What the server posts about one trial."""

    mean_return: float | None
    timesteps: int
    done: bool
    """Every run of the trial has ended (or will never start: the sweep was stopped)."""
    error: str
    """Why the trial cannot run ("" when it can), e.g. a drawn configuration the schema refuses."""


class TrialFailed(RuntimeError):
    """A trial whose runs could not be made; Tune records it as an errored trial with this message."""


@ray.remote(num_cpus=0)
class TrialDesk:
    """One per sweep: the server's latest state of each Tune trial, by trial id (no CPU: it only holds a dict)."""

    def __init__(self) -> None:
        self._states: dict[str, TrialState] = {}

    def update(self, states: dict[str, TrialState]) -> None:
        self._states.update(states)

    def state(self, trial_id: str) -> TrialState | None:
        return self._states.get(trial_id)


def run_trial(config: dict[str, Any], desk: Any) -> None:
    """Tune's function trainable: report the trial's runs' progress until they end.

    ``config`` (the values Tune drew) reaches the server through Tune's ``on_trial_start`` callback, which starts
    the runs; this function only reads their state from ``desk`` (a :class:`TrialDesk` handle) and reports
    ``{mean_return, timesteps}`` whenever it changed. A trial Tune stops early (ASHA) ends here; the server stops
    its runs from ``on_trial_complete``. Raises :class:`TrialFailed` when the server could not make its runs.
    """
    del config  # the server has it from Tune
    trial_id = tune.get_context().get_trial_id()
    last: tuple[int, float] | None = None
    while True:
        state = ray.get(desk.state.remote(trial_id))
        if state is not None:
            if state["error"]:
                raise TrialFailed(state["error"])
            metric = state["mean_return"]
            if metric is not None and (state["timesteps"], metric) != last:
                last = (state["timesteps"], metric)
                tune.report({METRIC: metric, TIME_ATTR: state["timesteps"]})
            if state["done"]:
                return
        time.sleep(POLL_S)
