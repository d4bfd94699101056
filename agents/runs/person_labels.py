"""The worker's side of a person labelling: wait politely for the first labels, then take answers as they come.

Christiano et al. 2017 and rl-teacher: training waits until the first labels are in, then the agent trains
while the person goes on labelling, and each batch of answers refits the reward model. Here answers arrive on
the worker's command channel (:meth:`~agents.runs.control.RunControl.deliver`); :class:`PersonPreferenceCallback`
takes them at the start of training (waiting, asleep, until ``initial_labels`` are in; Stop wakes it) and at
every rollout's end (never waiting), resolves each against the pairs the :class:`~agents.runs.clip_pairs.PairRenderer`
offered (an unknown id is refused), and adds them to the reward model. :class:`LabelsReporter` sends the
counters the lab shows (:class:`~agents.runs.events.LabelsState`) for every labeller, a person or automated.
"""

from __future__ import annotations

import logging

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from agents.feedback.labelers import Label, Pair
from agents.feedback.person import PERSON_SOURCE, PairAnswer, PendingPairs, UnknownPair
from agents.feedback.preference_loop import PreferenceCallback, PreferenceLoop
from agents.runs.clip_pairs import PairRenderer
from agents.runs.control import RunControl
from agents.runs.events import EventSink, LabelsState
from agents.runs.live import StopTraining
from agents.runs.numpy_policy import numpy_policy

log = logging.getLogger(__name__)

WAIT_S = 1.0
"""While training waits for labels, the counters go up at least this often (the wait sleeps between answers)."""


class LabelsReporter:
    """Sends a :class:`~agents.runs.events.LabelsState` whenever the labelling counters change."""

    def __init__(self, loop: PreferenceLoop, sink: EventSink, total_timesteps: int) -> None:
        self.loop, self.sink = loop, sink
        self.total_timesteps = max(1, total_timesteps)
        self._last: LabelsState | None = None
        self.asking = True
        """A person is still asked for labels (False: their pairs expire)."""

    def report(self, timesteps: int, *, waiting: bool = False) -> None:
        """Send the counters if they changed."""
        stats, settings = self.loop.stats, self.loop.settings
        state = LabelsState(
            labels_by_source=dict(stats.labels_by_source),
            labeling_s_by_source=dict(stats.labeling_s_by_source),
            labels_due=settings.labels_due(timesteps / self.total_timesteps),
            total_labels=settings.total_labels,
            waiting=waiting,
            asking=self.asking,
            labeller=self.loop.labeler.source,
            oracle_agreed=stats.oracle_agreed,
            oracle_compared=stats.oracle_compared,
        )
        if state != self._last:
            self._last = state
            self.sink.emit(state)


class ReportLabels(BaseCallback):
    """Report the labelling counters at the start of training and after each rollout (automated labellers)."""

    def __init__(self, reporter: LabelsReporter) -> None:
        super().__init__()
        self.reporter = reporter

    def _on_training_start(self) -> None:
        self.reporter.report(self.model.num_timesteps)

    def _on_rollout_end(self) -> None:
        self.reporter.report(self.model.num_timesteps)

    def _on_step(self) -> bool:
        return True


class PersonPreferenceCallback(PreferenceCallback):
    """The preference loop with a person as the labeller: answers come from the command channel, not a call.

    Args:
        loop: the preference loop (its sampler is the renderer's; its ``reference`` oracle measures agreement).
        total_timesteps: the run's budget (the schedule's progress).
        pending: the pairs offered and not yet answered.
        renderer: renders the pairs ahead, from the policy this callback hands it.
        control: the run's control, where answers arrive.
        reporter: sends the counters.
        seed: seeds the copies of the policy that play the clips.
    """

    def __init__(
        self,
        loop: PreferenceLoop,
        total_timesteps: int,
        pending: PendingPairs,
        renderer: PairRenderer,
        control: RunControl,
        reporter: LabelsReporter,
        seed: int,
    ) -> None:
        super().__init__(loop, total_timesteps)
        self.pending, self.renderer, self.control, self.reporter = pending, renderer, control, reporter
        self.rng = np.random.default_rng(seed)
        self.refused = 0
        """Answers refused (an id that was not pending)."""
        self.oracle_labels = False
        """The oracle has taken the person's place (:meth:`_hand_over`)."""

    def _publish(self) -> None:
        act = numpy_policy(self.model, self.rng)
        if act is None:  # a policy numpy_policy does not copy: act through the model (read-only)
            model = self.model
            act = lambda obs: model.predict(obs, deterministic=False)[0]  # noqa: E731
        self.renderer.publish(act, int(self.model.num_timesteps))

    def _on_training_start(self) -> None:
        self._start_timesteps = self.model.num_timesteps
        self.control.on_answer = self.renderer.nudge
        self._publish()
        self.renderer.start()
        needed = min(self.loop.settings.initial_labels, self.loop.settings.total_labels)
        if self.loop.trainer.labels_used < needed:
            with self.control.labels_awaited():
                while self.loop.trainer.labels_used < needed and not self._hand_over():
                    self.reporter.report(self.model.num_timesteps, waiting=True)
                    self._take(self.control.take_answers(wait_s=WAIT_S))
                    if self.control.stop_requested:
                        raise StopTraining
                    if self.renderer.error is not None:
                        raise RuntimeError(f"the clips for you to label could not be rendered: {self.renderer.error}")
            if self.oracle_labels:
                self.loop.query(self._policy, needed - self.loop.trainer.labels_used)
                self._record()
        self._after_labels()

    def _on_rollout_end(self) -> None:
        if self._hand_over():
            super()._on_rollout_end()  # the oracle answers what the schedule says is due, as in an automated run
        else:
            if self.renderer.hungry():
                self._publish()
            self._take(self.control.take_answers())
        self._after_labels()

    def _hand_over(self) -> bool:
        """Whether the oracle labels now; the first time, put it in the person's place.

        The answers already given still count; the pairs offered to the person expire; the clips the oracle
        labels are played without frames (nobody watches them). The oracle is the loop's reference, the one the
        person's answers were compared with, so the agreement figure stays what it was.
        """
        if self.oracle_labels or not self.control.oracle_took_over or self.loop.reference is None:
            return self.oracle_labels
        self._take(self.control.take_answers())
        self.renderer.close(timeout=5.0)  # it plays clips on the sampler's env, which the oracle's clips use now
        self.renderer.asking = False
        self.pending.withdraw()
        self.loop.sampler.render = False
        self.loop.labeler, self.loop.reference = self.loop.reference, None
        self.oracle_labels = True
        return True

    def _after_labels(self) -> None:
        settings, used = self.loop.settings, self.loop.trainer.labels_used
        progress = self.model.num_timesteps / self.total_timesteps
        asking = not self.oracle_labels and used < settings.total_labels and progress < settings.freeze_after
        if self.renderer.asking and not asking:
            self.renderer.asking = False
            self.pending.withdraw()
        self.reporter.asking = asking
        self.reporter.report(self.model.num_timesteps)

    def _take(self, answers: list[PairAnswer]) -> None:
        """Resolve ``answers`` against the pending pairs and add them (refusing unknown ids), then refit."""
        if not answers:
            return
        pairs: list[Pair] = []
        labels: list[Label] = []
        seconds = 0.0
        room = self.loop.settings.total_labels - self.loop.trainer.labels_used
        for answer in answers:
            try:
                pair, label = self.pending.resolve(answer)
            except (UnknownPair, ValueError) as error:
                self.refused += 1
                log.warning("a person's answer was refused: %s", error)
                continue
            if label is not None and room <= 0:
                continue  # the budget is spent: later answers teach nothing
            room -= label is not None
            pairs.append(pair)
            labels.append(label)
            seconds += answer.seconds
        if pairs:
            self.loop.add_labels(pairs, labels, PERSON_SOURCE, seconds)
            self._record()

    def _on_training_end(self) -> None:
        self.renderer.close()

    def _on_step(self) -> bool:
        return True
