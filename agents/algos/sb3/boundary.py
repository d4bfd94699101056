"""On-policy checkpoints between whole updates: a stop inside a rollout or an update rewinds to the last boundary.

An on-policy algorithm (PPO, A2C) collects a rollout, then updates on it; its state is whole only between the
update and the next collection (SB3's ``on_rollout_start``). A stop pressed while collecting leaves steps that were
never learnt from; one pressed inside PPO's update (many optimizer steps) leaves part of an update applied.
:class:`WholeUpdates` remembers the last boundary (the step count and the generators' states, and, for an update
of several optimizer steps, the weights and optimizer states as the update began) so :meth:`WholeUpdates.rewind`
can put the model back there before it is saved. A2C's update is one optimizer step, and the stop gate acts before
it, so its weights never need rewinding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

from agents.algos import random_state


class WholeUpdates(BaseCallback):
    """Keeps what a checkpoint needs from the last update boundary; :meth:`rewind` restores it."""

    def __init__(self, optimizers: Callable[[Any], list[Any]], rewind_weights: bool) -> None:
        super().__init__(verbose=0)
        self.optimizers = optimizers
        self.rewind_weights = rewind_weights
        self.boundary_steps: int | None = None
        self.random_state: dict[str, Any] | None = None
        """The generators' states at the boundary, saved with the checkpoint instead of the current ones."""
        self._weights: dict[str, Any] | None = None
        self._optimizer_states: list[dict[str, Any]] | None = None
        self._hooks: list[Any] = []

    def _on_training_start(self) -> None:
        if self.rewind_weights:
            for optimizer in self.optimizers(self.model):
                self._hooks.append(optimizer.register_step_pre_hook(self._before_optimizer_step))

    def _on_rollout_start(self) -> None:
        self.boundary_steps = int(self.model.num_timesteps)
        self.random_state = random_state.capture(self.model)
        self._weights = self._optimizer_states = None

    def _before_optimizer_step(self, *_: Any) -> None:
        if self._weights is None:  # the update's first step: nothing of it is applied yet
            self._weights = {name: value.clone() for name, value in self.model.policy.state_dict().items()}
            self._optimizer_states = [_clone(o.state_dict()) for o in self.optimizers(self.model)]

    def _on_step(self) -> bool:
        return True

    def _on_training_end(self) -> None:
        self._remove_hooks()

    def rewind(self) -> None:
        """Put the model back to the last boundary (after a stop); nothing to do before the first rollout."""
        self._remove_hooks()
        if self.boundary_steps is None:
            return
        if self._weights is not None and self._optimizer_states is not None:
            self.model.policy.load_state_dict(self._weights)
            for optimizer, state in zip(self.optimizers(self.model), self._optimizer_states, strict=True):
                optimizer.load_state_dict(state)
        self.model.num_timesteps = self.boundary_steps

    def _remove_hooks(self) -> None:
        for handle in self._hooks:
            handle.remove()
        self._hooks.clear()


def _clone(state: Any) -> Any:
    """A deep copy of an optimizer's state dict: tensors cloned, containers rebuilt (deepcopy is 10x slower)."""
    if hasattr(state, "clone"):
        return state.clone()
    if isinstance(state, dict):
        return {key: _clone(value) for key, value in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(_clone(value) for value in state)
    return state


class WholeTransitions(BaseCallback):
    """Off-policy: SB3 counts a step before it stores the step's transition, and a stop in between (raised by the
    step's callback) would save one step more than the replay buffer holds; :meth:`rewind` uncounts it.

    Every other point of an off-policy run is whole: a stop between gradient steps leaves complete ones applied.
    """

    random_state: dict[str, Any] | None = None  # the generators are captured when the checkpoint is written

    def __init__(self) -> None:
        super().__init__(verbose=0)
        self._counted_not_stored = False

    def update_locals(self, locals_: dict[str, Any]) -> None:
        super().update_locals(locals_)  # SB3 calls this right before the step's on_step
        self._counted_not_stored = True

    def _on_step(self) -> bool:
        self._counted_not_stored = False  # the callbacks before this one let the step through: it will be stored
        return True

    def rewind(self) -> None:
        if self._counted_not_stored:
            self.model.num_timesteps -= self.model.n_envs
            self._counted_not_stored = False
