"""SB3's callback conversion for the playground's own learners (tabular agents, GRPO), as SB3's algorithms do it.

Stable-baselines3 is imported only when a learner starts learning, so the registry lists these learners without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from stable_baselines3.common.callbacks import BaseCallback

MaybeCallback: TypeAlias = "BaseCallback | list[BaseCallback] | Callable[[dict[str, Any], dict[str, Any]], bool] | None"


def init_callback(callback: MaybeCallback, model: Any) -> BaseCallback:
    """SB3's ``_init_callback``: a list becomes a CallbackList, a function or None a ConvertCallback."""
    from stable_baselines3.common.callbacks import BaseCallback, CallbackList, ConvertCallback

    if isinstance(callback, list):
        callback = CallbackList(callback)
    if not isinstance(callback, BaseCallback):
        callback = ConvertCallback(callback)  # type: ignore[arg-type]
    callback.init_callback(model)
    return callback
