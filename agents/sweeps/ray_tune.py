"""A sweep on Ray, driven by Ray Tune: Tune draws the configurations, schedules the trials and keeps the results.

Imported only when a sweep runs on Ray (``RAY_ADDRESS`` set for the server, ``--executor ray`` for the CLI).

Where the cut is. Every trial's seeds must stay ordinary playground runs (in ``RUNS_DIR``, on Runs and Compare,
paused and stopped from their pages, each trained by the worker body in a Ray actor of its own:
:mod:`agents.runs.workers.ray`), and those runs live in the server's run manager. Tune's controller
(``Tuner.fit``) runs in the server too, in a thread of the sweep; its trials run in Tune's trial actors, which
train nothing. So:

* **Tune chooses.** The search space is built from the schema-derived spaces (:func:`tune_space`):
  ``tune.grid_search`` for a grid, ``tune.choice`` / ``tune.uniform`` / ``tune.loguniform`` / ``tune.randint``
  / ``tune.lograndint`` for random search, drawn by Tune's ``BasicVariantGenerator`` (seeded with the sweep's
  seed; ``num_samples`` the number of trials). ASHA (``early_stop``) stops poor trials at rungs of the step budget.
* **The server trains.** As soon as Tune has made a trial (``on_step_begin``: within Tune's concurrency limit,
  before its trial actor is up), a callback in the server's process turns the drawn values into the trial's run
  configurations, checked by the schema as any run's, and queues them in the sweep, which feeds them to the run
  manager as :class:`~agents.sweeps.runner.SweepRun` does (at most ``parallel`` at once).
  ``on_trial_complete`` stops the runs of a trial ASHA ended.
* **Tune hears.** Each poll the sweep posts every trial's metric (the sweep's: mean true return of the last 20
  episodes, averaged over seeds) and steps to a :class:`~agents.sweeps.tune_trial.TrialDesk` actor; the trial's
  function trainable (:func:`~agents.sweeps.tune_trial.run_trial`) reads it and calls ``tune.report``, so
  schedulers see results as runs train and the ``ResultGrid`` holds every trial's.

A trial actor asks for no CPU (a bundle of 64 MB of memory only): the cluster's CPUs go to the runs' actors.
Tune's experiment folder (``tune/`` in the sweep's folder) is the Ray user's usual one: ``Tuner.restore`` and
``tune.ExperimentAnalysis`` read it.
"""

from __future__ import annotations

import logging
import math
import tempfile
import threading
import weakref
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ray import tune
from ray.tune.experiment import Trial as TuneTrial
from ray.tune.schedulers import ASHAScheduler
from ray.tune.search.basic_variant import BasicVariantGenerator
from ray.tune.stopper import Stopper

from agents.sweeps.definition import SweepDefinition, SweepError
from agents.sweeps.runner import TUNE, TUNE_ASHA, StartRun, SweepRun
from agents.sweeps.space import ParamSpace
from agents.sweeps.tune_trial import METRIC, TIME_ATTR, TrialDesk, TrialState, run_trial

log = logging.getLogger(__name__)

TRIAL_RESOURCES = {"cpu": 0, "memory": 64 * 1024**2}
"""A Tune trial actor's request: no CPU (it only relays), and Ray refuses an empty one."""
ASHA_REDUCTION = 3
"""ASHA keeps the best third of the trials at each rung (Tune's default)."""
_LIVE: weakref.WeakValueDictionary[str, TuneSweepRun] = weakref.WeakValueDictionary()
"""This process's sweeps on Tune, by id, for Tune's callbacks."""


def tune_domain(space: ParamSpace, method: str, points: int) -> Any:
    """One space as a Tune search domain: a grid's values for a grid; else the listed values as ``tune.choice``,
    a range as ``tune.(log)uniform`` or, for an integer, ``tune.(log)randint`` over ``low..high`` inclusive."""
    if method == "grid":
        return tune.grid_search(list(space.grid(points)))
    if space.values:
        return tune.choice(list(space.values))
    assert space.low is not None and space.high is not None
    if space.param.kind == "int":
        low, high = int(space.low), int(space.high) + 1  # Tune's upper end is exclusive
        return tune.lograndint(low, high) if space.log else tune.randint(low, high)
    return tune.loguniform(space.low, space.high) if space.log else tune.uniform(space.low, space.high)


def tune_space(definition: SweepDefinition) -> dict[str, Any]:
    """The definition's param space for ``tune.Tuner``: one domain per searched hyperparameter."""
    return {space.name: tune_domain(space, definition.method, definition.points) for space in definition.spaces}


class TuneSweepRun(SweepRun):
    """A sweep whose trials Ray Tune draws and schedules; each trial's seeds are ordinary runs, fed to the manager
    as :class:`SweepRun` feeds them. ``result_grid``: Tune's results once it has finished."""

    def __init__(
        self,
        definition: SweepDefinition,
        start: StartRun,
        parallel: int,
        *,
        owner: str = "",
        early_stop: bool = False,
    ) -> None:
        """``early_stop``: ASHA ends trials that trail at rungs of the step budget. Tune's experiment is kept in
        ``folder / "tune"`` (set ``folder`` before starting; default: a temporary folder)."""
        super().__init__(definition, [], start, parallel, owner=owner)
        self.early_stop = early_stop
        self.driver = TUNE_ASHA if early_stop else TUNE
        self.result_grid: Any = None
        self._tune_ids: dict[str, int] = {}
        self._errors: dict[str, str] = {}
        self._tune_done = threading.Event()
        self._tune_thread: threading.Thread | None = None
        self._desk: Any = None
        _LIVE[self.id] = self

    # --- Tune's thread -------------------------------------------------------------------------------------

    def start_tune(self) -> None:
        """Start Tune's controller in a thread of its own (idempotent)."""
        if self._tune_thread is not None:
            return
        self._desk = TrialDesk.remote()  # type: ignore[attr-defined]
        self._tune_thread = threading.Thread(target=self._fit, name=f"tune-{self.id}", daemon=True)
        self._tune_thread.start()

    def tuner(self) -> tune.Tuner:
        """The ``tune.Tuner`` of this sweep."""
        definition = self.definition
        seeds = definition.seeds
        scheduler = None
        if self.early_stop:
            budget = self.trials_budget()
            scheduler = ASHAScheduler(
                time_attr=TIME_ATTR,
                max_t=budget,
                grace_period=max(1, budget // ASHA_REDUCTION**2),
                reduction_factor=ASHA_REDUCTION,
            )
        storage = self.folder or Path(tempfile.mkdtemp(prefix="rl-playground-tune-"))
        return tune.Tuner(
            tune.with_resources(tune.with_parameters(run_trial, desk=self._desk), TRIAL_RESOURCES),
            param_space=tune_space(definition),
            tune_config=tune.TuneConfig(
                metric=METRIC,
                mode="max",
                search_alg=BasicVariantGenerator(random_state=definition.sweep_seed),
                scheduler=scheduler,
                num_samples=1 if definition.method == "grid" else definition.trials,
                # enough trials at once that their seeds fill the runs' slots, and one more queued behind them
                max_concurrent_trials=math.ceil(self.parallel / seeds) + 1,
                reuse_actors=True,
            ),
            run_config=tune.RunConfig(
                name="tune",
                storage_path=str(storage.resolve()),
                callbacks=[_Bridge(self)],
                stop=_SweepStopper(self),
                verbose=0,
            ),
        )

    def trials_budget(self) -> int:
        """Each run's step budget (ASHA's ``max_t``): the preset's, or the definition's ``timesteps``."""
        return self.definition.make_trial(0, {}).configs[0].total_timesteps

    def _fit(self) -> None:
        try:
            self.result_grid = self.tuner().fit()
        except Exception as error:  # the page shows the trials as they are; the server keeps going
            log.exception("Ray Tune ended sweep %s", self.id)
            self.error = f"Ray Tune ended the sweep: {error}"
        finally:
            self._tune_done.set()

    # --- Tune's callbacks (in Tune's thread) ----------------------------------------------------------------

    def trial_started(self, trial_id: str, config: dict[str, Any]) -> None:
        """Make the trial's runs from the values Tune drew and queue them; a configuration the schema refuses
        fails the trial (Tune records the reason)."""
        with self._lock:
            if trial_id in self._tune_ids or trial_id in self._errors:
                return
            index = len(self.trials)
            try:
                params = {space.name: space.snap(config[space.name]) for space in self.definition.spaces}
                trial = self.definition.make_trial(index, params)
            except (SweepError, ValueError, KeyError) as error:
                self._errors[trial_id] = str(error)
                self.note = f"a trial Tune drew cannot run: {error}"
                return
            self._tune_ids[trial_id] = index
            self.trials.append(trial)
            self._runs.append([None] * len(trial.configs))
            if not self._stopped:
                self._pending.extend((index, seed) for seed in range(len(trial.configs)))

    def trial_ended(self, trial_id: str) -> None:
        """Tune ended the trial (its runs ended, or ASHA stopped it): stop what still trains of it, unless the whole
        sweep was halted and its runs left to the manager."""
        with self._lock:
            index = self._tune_ids.get(trial_id)
            if index is None or self._stopped:
                return
            self._pending = deque(item for item in self._pending if item[0] != index)
            runs = [run for run in self._runs[index] if run is not None]
        for run in runs:
            if run.status.active:
                run.stop()

    # --- feeding -------------------------------------------------------------------------------------------

    def advance(self) -> bool:
        """Start waiting runs (as :class:`SweepRun`), and post every trial's state for Tune; True once Tune has
        finished and every run started has ended."""
        super().advance()
        if self._desk is not None and not self._tune_done.is_set():  # once Tune has finished, no trial reads them
            states = self._states()
            if states:
                self._desk.update.remote(states)
        return self.done

    def _states(self) -> dict[str, TrialState]:
        with self._lock:
            ids = dict(self._tune_ids)
            errors = dict(self._errors)
            pending = {trial for trial, _ in self._pending}
        states: dict[str, TrialState] = {
            trial_id: {"mean_return": None, "timesteps": 0, "done": True, "error": error}
            for trial_id, error in errors.items()
        }
        results = self.results()
        for trial_id, index in ids.items():
            result, runs = results[index], self._runs[index]
            started = [run for run in runs if run is not None]
            ended = index not in pending and all(run is None or not run.status.active for run in runs)
            states[trial_id] = {
                "mean_return": result.metric,
                "timesteps": min((run.snapshot().timesteps for run in started), default=0)
                if len(started) == len(runs)
                else 0,
                "done": ended,
                "error": "",
            }
        return states

    @property
    def done(self) -> bool:
        return self._tune_done.is_set() and super().done

    def start_feeding(self, on_poll: Callable[[], None] | None = None) -> None:
        self.start_tune()
        super().start_feeding(on_poll)

    def wait(self, timeout: float | None = None, on_poll: Callable[[], None] | None = None) -> bool:
        self.start_tune()
        return super().wait(timeout, on_poll)


class _Bridge(tune.Callback):
    """Tune's trial events, in the server's process, handed to the sweep. Tune pickles its callbacks with the
    experiment's state, so this holds the sweep's id only (:data:`_LIVE` finds the sweep)."""

    def __init__(self, sweep: TuneSweepRun) -> None:
        self.sweep_id = sweep.id

    def on_step_begin(self, iteration: int, trials: list, **info: Any) -> None:
        """Start a trial's runs as soon as Tune has made the trial (within its concurrency limit), not once its
        relaying actor is up (a new worker process importing Tune: seconds)."""
        if (sweep := _LIVE.get(self.sweep_id)) is not None:
            for trial in trials:
                if trial.status in (TuneTrial.PENDING, TuneTrial.RUNNING):
                    sweep.trial_started(trial.trial_id, dict(trial.config))

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        if (sweep := _LIVE.get(self.sweep_id)) is not None:
            sweep.trial_started(trial.trial_id, dict(trial.config))

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        if (sweep := _LIVE.get(self.sweep_id)) is not None:
            sweep.trial_ended(trial.trial_id)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.on_trial_complete(iteration, trials, trial, **info)


class _SweepStopper(Stopper):
    """Ends the whole Tune experiment once the sweep is stopped (its Stop button, the server shutting down)."""

    def __init__(self, sweep: TuneSweepRun) -> None:
        self.sweep_id = sweep.id

    def __call__(self, trial_id: str, result: dict) -> bool:
        return False

    def stop_all(self) -> bool:
        sweep = _LIVE.get(self.sweep_id)
        return sweep is None or sweep.stopped
