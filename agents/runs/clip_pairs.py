"""Pairs of clips for a person to compare, rendered ahead in a thread of the worker, off the training loop.

A person answers a pair in a few seconds and expects the next one at once (within 300 ms of the click), so the
pairs must exist before they are asked for. :class:`PairRenderer` keeps :data:`PAIRS_AHEAD` pairs offered and
unanswered: it plays episodes with the latest copy of the policy the training loop handed it
(:mod:`agents.runs.numpy_policy`, so it never touches the model while it learns), cuts two clips, renders only
their frames (:func:`~agents.feedback.fragments.render_clips`), encodes each as a small looping GIF and sends the
pair up as a :class:`~agents.runs.events.PairOffered` event; the server queues it (:mod:`agents.runs.labelling`)
and shows the next one the moment a person answers. A pair is rendered each time an answer arrives, so rendering
costs about what labelling needs (50-250 ms of CPU a pair) and nothing while nobody labels.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from agents.feedback.fragments import FragmentSampler, Policy
from agents.feedback.person import PendingPairs
from agents.runs.evaluation import encode_gif, shrink_frame
from agents.runs.events import EventSink, PairOffered

log = logging.getLogger(__name__)

PAIRS_AHEAD = 6
"""Pairs offered and not yet answered: enough for a quick person's burst of clicks while the next renders."""
CLIP_WIDTH = 200
"""Pixels: each clip's frames are shrunk to at most this wide (a GIF of 25 frames is then 5-15 kB)."""
RENDER_NICENESS = 5
"""The renderer thread runs at this much lower CPU priority (Linux sets niceness per thread): rendering a pair takes
50-250 ms of CPU, and it must not take them from the server drawing the pair a person just asked for."""
QUIET_S = 0.5
"""After an answer, the next pair is rendered once no answer came for this long (a person takes 3-5 s a label),
unless fewer than :data:`LOW_WATER` pairs are left: the click-to-next-pair time is the server's alone."""
LOW_WATER = 2
MIN_CLIP_S, MAX_CLIP_S = 1.0, 2.0
"""Seconds a clip takes to play once: Christiano et al. showed 1-2 s clips. A clip shorter than 1 s in real time
(25 steps of CartPole at 50 frames a second) plays slowed down to last 1 s."""


def clip_seconds(steps: int, render_fps: float) -> float:
    """How long a clip of ``steps`` frames plays: its real time, within [MIN_CLIP_S, MAX_CLIP_S]."""
    return min(MAX_CLIP_S, max(MIN_CLIP_S, steps / max(1.0, render_fps)))


class PairRenderer:
    """Keeps ``ahead`` pairs of the current policy's clips offered to a person (a thread of the worker).

    Args:
        sampler: plays and cuts clips, rendering their frames (``render=True``; its env renders ``rgb_array``).
        pending: where offered pairs wait for their answer (the training loop resolves answers there).
        sink: where :class:`~agents.runs.events.PairOffered` events go.
        answered: how many answers the worker has received so far (all answers, can't tell too).
        ahead: pairs offered and not yet answered.
    """

    def __init__(
        self,
        sampler: FragmentSampler,
        pending: PendingPairs,
        sink: EventSink,
        answered: Callable[[], int],
        ahead: int = PAIRS_AHEAD,
    ) -> None:
        self.sampler, self.pending, self.sink = sampler, pending, sink
        self._answered = answered
        self.ahead = ahead
        self.offered = 0
        self.asking = True
        """Whether more labels are wanted; the training loop turns it off when the budget is spent."""
        self.error: str | None = None
        """Why rendering stopped, if it failed (e.g. episodes shorter than a clip)."""
        self._policy: tuple[Policy, int] | None = None
        self._published_at = -np.inf
        self._answer_at = -np.inf
        self._closed = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="clip-pairs", daemon=True)
        render_fps = float(sampler.env.metadata.get("render_fps") or 30)
        self.clip_s = clip_seconds(sampler.fragment_length, render_fps)

    @property
    def outstanding(self) -> int:
        """Pairs offered that no answer has come back for yet."""
        return self.offered - self._answered()

    def hungry(self, every_s: float = 1.0) -> bool:
        """Whether a fresh copy of the policy would be used now (a pair is missing; at most once per ``every_s``)."""
        return (
            self.asking
            and self.outstanding < self.ahead
            and time.monotonic() - self._published_at >= every_s
            and not self._closed
        )

    def publish(self, policy: Policy, step: int) -> None:
        """Play the next clips with ``policy`` (a copy: the training loop may change the model meanwhile)."""
        with self._wake:
            self._policy = (policy, step)
            self._published_at = time.monotonic()
            self._wake.notify_all()

    def nudge(self) -> None:
        """An answer arrived: look again whether a pair is missing (once answers pause, see :data:`QUIET_S`)."""
        with self._wake:
            self._answer_at = time.monotonic()
            self._wake.notify_all()

    def start(self) -> None:
        if not self._thread.is_alive() and not self._closed:
            self._thread.start()

    def close(self, timeout: float = 1.0) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _ready(self) -> bool:
        return self._closed or (self._policy is not None and self.asking and self.outstanding < self.ahead)

    def _quiet_for(self) -> float:
        """Seconds still to wait before rendering: 0 once answers paused or the queue runs low."""
        if self.outstanding < LOW_WATER:
            return 0.0
        return max(0.0, self._answer_at + QUIET_S - time.monotonic())

    def _run(self) -> None:
        _lower_priority()
        while True:
            with self._wake:
                self._wake.wait_for(self._ready)
                while not self._closed and (wait := self._quiet_for()) > 0:
                    self._wake.wait(wait)
                if self._closed:
                    return
                assert self._policy is not None
                policy, step = self._policy
            try:
                self._offer(policy, step)
            except Exception as error:  # the run goes on; the page says why no pair comes
                log.warning("rendering clips for a person failed", exc_info=True)
                self.error = f"{type(error).__name__}: {str(error)[:200]}"
                return

    def _offer(self, policy: Policy, step: int) -> None:
        left, right = self.sampler.sample(policy, 2)
        fps = len(left) / self.clip_s
        gifs = encode_gif(list(left.frames), fps=fps), encode_gif(list(right.frames), fps=fps)
        # the frames were for the person's eyes: the pair waits, and trains, without them (100 kB a frame)
        pair_id = self.pending.offer((replace(left, frames=()), replace(right, frames=())))
        self.offered += 1
        self.sink.emit(PairOffered(pair_id, gifs[0], gifs[1], step, len(left), self.clip_s))


def _lower_priority() -> None:
    """Lower this thread's CPU priority (Linux: niceness is per thread); nothing where that is not possible."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), RENDER_NICENESS)
    except (AttributeError, OSError):
        log.debug("could not lower the clip renderer's priority", exc_info=True)


def shrink_clip_frame(frame: np.ndarray) -> np.ndarray:
    """A rendered frame shrunk for a clip pair (:data:`CLIP_WIDTH`)."""
    return shrink_frame(frame, CLIP_WIDTH)
