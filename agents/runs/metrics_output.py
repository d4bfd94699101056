"""The SB3 logger outputs of a run beyond progress.csv: values reported up to the server (and a diverged run
stopped), and TensorBoard event files in the run's folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.logger import KVWriter, TensorBoardOutputFormat

from agents.runs.events import Episode, Event, EventSink, Metrics
from agents.runs.live import MAY_BE_UNDEFINED, DivergedError

TENSORBOARD_FLUSH_S = 5.0
"""Seconds between the TensorBoard writer's flushes to disk (and when the run ends): what TensorBoard can lag."""


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


class TensorBoardOutput(TensorBoardOutputFormat):
    """SB3's TensorBoard output (every value the algorithm logs: ``rollout/ep_rew_mean``, ``train/*``...), writing
    event files to ``folder``, plus each training episode (:meth:`episode`): ``episode/return`` (what the agent
    optimises, shaped or learned), ``episode/true_return`` (the env's own reward) and ``episode/length``, against
    the step it ended at.

    ``purge_step``: a resumed run continues from its checkpoint at that step; TensorBoard hides what the stopped
    process had written from there on (``SummaryWriter``'s ``purge_step``), as the run's other records are cut back.
    """

    def __init__(self, folder: Path, purge_step: int | None = None) -> None:
        from tensorboard.compat.proto.summary_pb2 import Summary
        from torch.utils.tensorboard import SummaryWriter  # imports tensorboard: only for a run that writes files

        self._summary = Summary
        self.writer = SummaryWriter(log_dir=str(folder), purge_step=purge_step, flush_secs=TENSORBOARD_FLUSH_S)
        # SB3 flushes after every dump, and a tabular agent dumps every episode: a flush cost 4x the write (0.34
        # against 0.08 ms). The writer's thread flushes every TENSORBOARD_FLUSH_S seconds, and close() flushes.
        self.writer.flush = lambda: None  # type: ignore[method-assign]
        self._is_closed = False

    def episode(self, event: Episode) -> None:
        """Write one training episode's return, true return and length at its step (nothing once closed).

        One summary of three values: 0.05 ms an episode, against 0.3 ms for three ``add_scalar`` calls."""
        if self._is_closed:
            return
        values = (
            ("episode/return", event.episode_return),
            ("episode/true_return", event.true_return),
            ("episode/length", event.length),
        )
        summary = self._summary(value=[self._summary.Value(tag=t, simple_value=float(v)) for t, v in values])
        self.writer.file_writer.add_summary(summary, event.step)


class EpisodesToTensorBoard:
    """An event sink that passes every event on to ``sink`` and writes each :class:`Episode` to TensorBoard too."""

    def __init__(self, sink: EventSink, output: TensorBoardOutput) -> None:
        self.sink = sink
        self.output = output

    def emit(self, event: Event) -> None:
        if isinstance(event, Episode):
            self.output.episode(event)
        self.sink.emit(event)

    def flush(self) -> None:
        self.sink.flush()
