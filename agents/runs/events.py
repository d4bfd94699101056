"""What crosses the boundary between a run's worker and the server: events up, commands down.

The worker body (:func:`agents.runs.training.train`) reports everything it does as small, picklable events
through an :class:`EventSink`: episodes, progress and cost, the values the algorithm logs, evaluation clips,
checkpoints and how it ended. The server reduces them into the run's statistics and status
(:meth:`agents.runs.run.Run.apply`); nothing in the server holds a model. Commands flow the other way:
pause, resume and stop, a person's answers to pairs of clips (the feedback lab's
:class:`~agents.feedback.person.PairAnswer`, which refers to a pair the worker offered by its id), and a setting
changed while the run trains (:class:`ChangeSetting`, answered by :class:`SettingChanged` once it applied).

Inline (the headless trainer) the sink calls the run's reducer directly; in a worker process it sends
batches over a pipe (:mod:`agents.runs.workers.process`). Either way the events and their order are the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from agents.feedback.person import PairAnswer
from agents.feedback.report import RewardReport
from agents.runs.live import EvalResult
from agents.runs.status import RunStatus
from agents.runs.value_map import ValueMap
from agents.storage.cost import Cost


class Command(StrEnum):
    """What the server can ask of a training worker."""

    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    """End the run, save a checkpoint and play one last evaluation episode (the final policy's clip)."""
    STOP_NOW = "stop-now"
    """End the run and save a checkpoint, without the last clip (the server is shutting down)."""
    ORACLE_TAKES_OVER = "oracle-takes-over"
    """The feedback lab: from now on the oracle labels in the person's place (the pairs offered to them expire)."""


@dataclass(frozen=True, slots=True)
class ChangeSetting:
    """Set ``name`` (a setting of :mod:`agents.config.schedule`) to ``value`` at the next step between updates.

    The server checks the value against the setting's bounds before sending; the worker checks it again (a
    command arrives unpickled) and answers with :class:`SettingChanged`.
    """

    name: str
    value: float


@dataclass(frozen=True, slots=True)
class SettingChanged:
    """A change made while training applied: from ``step`` on, ``name`` is ``value`` (the step is the exact one
    at which the worker applied it, so a run given the same schedule from the start replays it)."""

    name: str
    step: int
    value: float


@dataclass(frozen=True, slots=True)
class Episode:
    """One training episode ended: its shaped return (what the agent optimises) and the env's own return."""

    step: int
    """The run's step count when the episode ended."""
    episode_return: float
    true_return: float
    length: int
    train_s: float
    """Training seconds (pauses excluded) when it ended."""


@dataclass(frozen=True, slots=True)
class Progress:
    """Steps done, training seconds and CPU seconds so far (sent at most ~20 times a second)."""

    timesteps: int
    train_s: float
    cpu_s: float | None = None


@dataclass(frozen=True, slots=True)
class Metrics:
    """The numeric ``train/*`` values the algorithm logged at ``step`` (losses, entropy, ...)."""

    step: int
    values: dict[str, float]


@dataclass(frozen=True, slots=True)
class Evaluated:
    """An evaluation episode played: the clip to show."""

    result: EvalResult


@dataclass(frozen=True, slots=True)
class PolicySnapshotsKept:
    """A policy snapshot was written beside an evaluation episode (:mod:`agents.storage.snapshots`): the steps whose
    snapshot the run's folder now holds, after thinning, so the server knows which moments can be replayed."""

    steps: tuple[int, ...]
    save_s: float = 0.0
    """CPU seconds the worker spent writing this snapshot and thinning."""


@dataclass(frozen=True, slots=True)
class Started:
    """The model is built and the first training step comes next."""

    start_latency_s: float
    """Seconds from the worker receiving the job to this moment (imports, envs, the model)."""
    resumed_from_step: int | None = None
    resume_note: str = ""
    """What the resumed run does differently from one never stopped (refilling its replay buffer); "" if nothing."""


@dataclass(frozen=True, slots=True)
class Checkpointed:
    """A checkpoint was written to the run's folder."""

    timesteps: int
    train_s: float
    save_s: float
    """Seconds the save took."""


@dataclass(frozen=True, slots=True)
class Ended:
    """The worker body is done: the run's final status and a reason a person can read."""

    status: RunStatus
    end_reason: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Sent by a worker process every second, even while paused: it is alive and answering."""

    idle_s: float = 0.0
    """Seconds since the training loop last took a step or an optimizer step (0 while paused)."""


@dataclass(frozen=True, slots=True)
class PairOffered:
    """Two clips of the current policy for a person to compare (the feedback lab), rendered ahead of the click.

    Each clip is a small looping GIF (a few kB: frames shrunk to at most 200 px wide, one 64-colour palette).
    """

    pair_id: str
    """What the person's :class:`~agents.feedback.person.PairAnswer` refers to."""
    left_gif: bytes
    right_gif: bytes
    step: int
    """The training step whose policy played both clips."""
    clip_steps: int
    """Steps in each clip."""
    clip_s: float
    """Seconds each clip takes to play once."""


@dataclass(frozen=True, slots=True)
class LabelsState:
    """Where the feedback lab's labelling stands: labels by who gave them, and whether training waits for some.

    Sent when it changes (at most every rollout, and every second while training waits for a person).
    """

    labels_by_source: dict[str, int]
    """Labels the reward model learnt from, by labeller source ("human", "oracle", "rule"); can't tell not counted."""
    labeling_s_by_source: dict[str, float]
    """Seconds each source spent labelling them (a person: from a pair's first showing to the click)."""
    labels_due: int
    """Labels the schedule has asked for by now, all sources together (Christiano et al.'s decreasing rate)."""
    total_labels: int
    waiting: bool = False
    """Training stands still until a person gives ``labels_due`` labels (the first ones)."""
    asking: bool = True
    """More labels are wanted (False once the budget is spent or past ``freeze_after``): pending pairs expire."""
    labeller: str = ""
    """Who labels now: "human", "oracle" or "rule" (a person's run says "oracle" once the oracle took over)."""
    oracle_agreed: int = 0
    """Of the person's labels, how many the oracle answered the same way (never used for training)."""
    oracle_compared: int = 0

    @property
    def labels_used(self) -> int:
        return sum(self.labels_by_source.values())

    @property
    def oracle_agreement(self) -> float | None:
        return self.oracle_agreed / self.oracle_compared if self.oracle_compared else None


Event = (
    Episode
    | Progress
    | Metrics
    | Evaluated
    | PolicySnapshotsKept
    | Started
    | Checkpointed
    | Ended
    | Heartbeat
    | Cost
    | PairOffered
    | LabelsState
    | ValueMap
    | RewardReport
    | SettingChanged
)
"""A :class:`~agents.storage.cost.Cost` is an event too: the run's cost meter, reported about once a second, before
each checkpoint and before the end; so is a :class:`~agents.runs.value_map.ValueMap`, sent with each evaluation
episode of an env that has a state slice, and a :class:`~agents.feedback.report.RewardReport`: a run that learns
from preferences reports its reward model after each refit (a point of the label-efficiency curve, a bounded sample
of learned against true reward), so the server draws it without holding the model."""

WorkerCommand = Command | PairAnswer | ChangeSetting
"""What goes down to a worker: a control command, a person's answer to a pair it offered, or a setting's change."""


class EventSink(Protocol):
    """Where the worker body reports. ``emit`` must be cheap: it is called from the training loop."""

    def emit(self, event: Event) -> None: ...

    def flush(self) -> None:
        """Deliver anything held back (called at the end of the body, and may be called at any time)."""
        ...


class CallbackSink:
    """Hands every event straight to a function, in the calling thread (the inline executor's sink)."""

    def __init__(self, deliver: Callable[[list[Event]], None]) -> None:
        self._deliver = deliver

    def emit(self, event: Event) -> None:
        self._deliver([event])

    def flush(self) -> None:
        """Nothing is held back."""


_E = TypeVar("_E")


class CollectingSink:
    """Keeps every event in a list (tests, and callers that reduce afterwards)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def flush(self) -> None:
        """Nothing is held back."""

    def of_type(self, kind: type[_E]) -> list[_E]:
        return [event for event in self.events if isinstance(event, kind)]
