"""Settings changed while a run trains, applied in the worker between updates (see :mod:`agents.config.schedule`).

:class:`ApplySchedule` is one SB3 callback with one job: after each env step (never inside an update) it applies
the configuration's schedule entries that have come due, then any change a person sent since
(:class:`~agents.runs.events.ChangeSetting`, through :class:`~agents.runs.control.RunControl`), and reports each
live change with the exact step it applied at (:class:`~agents.runs.events.SettingChanged`). A run started with
that schedule applies the entry at the same callback of the same step, so it replays the live run exactly.

:func:`apply_setting` sets one value where the algorithm reads it: SB3's own schedules (``lr_schedule``,
``clip_range``, DQN's ``exploration_schedule``) become constant from then on, so SB3's update code applies them;
PPO and A2C's ``ent_coef`` is a float; the tabular agents take it through ``set_hyperparams``; shaping weights are
set on the training envs' wrappers.
"""

from __future__ import annotations

import logging
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.utils import ConstantSchedule, FloatSchedule, LinearSchedule

from agents.algos.sb3.algorithm import sb3_kwargs
from agents.algos.tabular.base import TabularAgent
from agents.config.run_config import RunConfig
from agents.config.schedule import value_at
from agents.config.schema import HyperParamError
from agents.runs.control import RunControl
from agents.runs.events import EventSink, SettingChanged
from envs.shaping import SHAPING_WEIGHTS, set_shaping_weight

log = logging.getLogger(__name__)


def apply_setting(model: Any, name: str, value: float) -> None:
    """Set ``name`` to ``value`` on ``model`` (an SB3 algorithm or a tabular agent), from its next update on."""
    if name in SHAPING_WEIGHTS:
        for env in _training_envs(model):
            set_shaping_weight(env, name, value)
    elif isinstance(model, TabularAgent):
        if name == "exploration_rate":  # the linear decay's two ends equal: a constant ε from now on
            model.set_hyperparams(exploration_initial_eps=value, exploration_final_eps=value)
        else:
            model.set_hyperparams(**{name: value})
    elif name == "learning_rate":
        model.learning_rate = value
        model.lr_schedule = ConstantSchedule(value)  # what SB3's _update_learning_rate reads before each update
    elif name == "clip_range":
        model.clip_range = ConstantSchedule(value)
    elif name == "ent_coef":
        model.ent_coef = value
    elif name == "exploration_rate":
        model.exploration_schedule = ConstantSchedule(value)  # DQN's _on_step reads it after each env step
        model.exploration_rate = value
    else:
        raise KeyError(name)


def restore_setting(model: Any, name: str, config: RunConfig) -> None:
    """Give ``name`` back the configuration's own value (or SB3's own schedule of it), as before any change.

    A resumed on-policy run's checkpoint is taken at the update before a stop, and may hold a value a change set
    later in the rollout that was dropped; the resumed run applies that change again at its step.
    """
    hyperparams = config.hyperparams
    if name in SHAPING_WEIGHTS:
        apply_setting(model, name, float(getattr(config.shaping, name)))
    elif isinstance(model, TabularAgent):
        keys = ("exploration_initial_eps", "exploration_final_eps") if name == "exploration_rate" else (name,)
        model.set_hyperparams(**{key: hyperparams[key] for key in keys})
    elif name == "learning_rate":
        model.learning_rate = sb3_kwargs(hyperparams)["learning_rate"]  # a float, or Zoo's linear schedule
        model._setup_lr_schedule()
    elif name == "clip_range":
        model.clip_range = FloatSchedule(float(hyperparams["clip_range"]))
    elif name == "ent_coef":
        model.ent_coef = float(hyperparams["ent_coef"])
    elif name == "exploration_rate":
        model.exploration_schedule = LinearSchedule(
            model.exploration_initial_eps, model.exploration_final_eps, model.exploration_fraction
        )
    else:
        raise KeyError(name)


def _training_envs(model: Any) -> list[Any]:
    """The gymnasium envs a model trains on (inside SB3's vector env and its wrappers)."""
    env = model.get_env()
    while hasattr(env, "venv"):  # VecEnvWrapper
        env = env.venv
    return list(getattr(env, "envs", [env]))


class ApplySchedule(BaseCallback):
    """Applies the configuration's schedule as steps come due, and changes sent while training, between updates."""

    def __init__(self, config: RunConfig, control: RunControl, sink: EventSink) -> None:
        super().__init__(verbose=0)
        self.config = config
        self.control = control
        self.sink = sink
        self.params = {param.name: param for param in config.live_params()}
        self._due: list[tuple[int, str, float]] = []

    def _on_training_start(self) -> None:
        step = int(self.model.num_timesteps)  # a resumed run: the values in force at its checkpoint's step
        schedule = self.config.schedule
        for name in schedule:
            value = value_at(schedule, name, step)
            if value is not None:
                apply_setting(self.model, name, value)
            elif step > 0:
                restore_setting(self.model, name, self.config)
        self._due = sorted(
            (entry_step, name, value)
            for name, entries in schedule.items()
            for entry_step, value in entries
            if entry_step > step
        )

    def _on_step(self) -> bool:
        step = int(self.model.num_timesteps)
        while self._due and self._due[0][0] <= step:
            _, name, value = self._due.pop(0)
            apply_setting(self.model, name, value)
        for change in self.control.take_changes():
            param = self.params.get(change.name)
            try:
                if param is None:
                    raise HyperParamError(f"{change.name!r:.40} cannot change while this run trains")
                value = float(param.parse(change.value))
            except HyperParamError as error:  # the page checked it: only a hand-made command gets here
                log.warning("a change of setting was refused: %s", error)
                continue
            apply_setting(self.model, change.name, value)
            self.sink.emit(SettingChanged(change.name, step, value))
        return True
