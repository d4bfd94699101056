"""The SB3 logger output that reports the algorithm's logged values up to the server, and stops a diverged run."""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.logger import KVWriter

from agents.runs.events import EventSink, Metrics
from agents.runs.live import MAY_BE_UNDEFINED, DivergedError


class MetricsOutput(KVWriter):
    """An SB3 logger output that reports every numeric ``train/*`` value the algorithm logs (losses, entropy...).

    A value that is NaN or infinite ends the run (:class:`~agents.runs.live.DivergedError`, naming the value and
    the step): every later update would be poisoned. It is reported first, so the page can say where the curve
    ended. Put this output after the CSV one, so progress.csv records it too.
    """

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink

    def write(self, key_values: dict[str, Any], key_excluded: dict[str, tuple[str, ...]], step: int = 0) -> None:
        numeric = {
            key: float(value)
            for key, value in key_values.items()
            if key.startswith("train/") and isinstance(value, int | float | np.floating) and not isinstance(value, bool)
        }
        for key in MAY_BE_UNDEFINED & numeric.keys():
            if np.isnan(numeric[key]):
                del numeric[key]
        if numeric:
            self.sink.emit(Metrics(step, numeric))
        broken = [key for key, value in numeric.items() if not np.isfinite(value)]
        if broken:
            raise DivergedError(f"{broken[0]} became {numeric[broken[0]]} at step {step:,}")

    def close(self) -> None:
        """Nothing to release."""
