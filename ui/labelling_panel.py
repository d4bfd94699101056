"""The feedback lab's labelling panel: two clips side by side and four answers, and the labelling counters.

The pairs were rendered ahead by the run's worker and wait in the run handle's queue
(:mod:`agents.runs.labelling`), so a click takes the pair off the queue and the fragment redraws with the next
one, without asking the worker. Only whoever may control the run (its owner, or a holder of its control link:
:func:`ui.common.can_control`) sees the clips and buttons; everyone sees the counters.
"""

from __future__ import annotations

import streamlit as st

from agents.feedback.person import PERSON_SOURCE, UnknownPair
from agents.runs.events import LabelsState
from agents.runs.labelling import LabellingView
from agents.runs.run import Run, RunStatus
from ui.common import can_control, manager, plain

REFRESH_S = 1.0
CLIP_WIDTH_PX = 240
"""Each clip's width on the page: large enough to judge, small enough that the answer buttons under a pair of
square clips (Pendulum's) still show on a 1280x720 screen (at 300 px they started at its last 15 px). At least
the clips' own width (:data:`agents.runs.clip_pairs.CLIP_WIDTH`), so Streamlit serves their bytes unchanged."""
ANSWER_BUTTONS = (
    ("left", "Left", ":material/arrow_back:", "Left"),
    ("right", "Right", ":material/arrow_forward:", "Right"),
    ("same", "Same", ":material/drag_handle:", "S"),
    ("cant_tell", "Can't tell", ":material/help:", "T"),
)
"""(answer, button label, icon, keyboard shortcut): rl-teacher's left / right / can't tell, and Christiano et al.'s
'equally good' (a 0.5 label)."""
_REFUSED_KEY = "labelling_refused"
LABELLING_RUN_REFRESH_S = 3.0
"""While its owner labels, the run's charts below the clips redraw every 3 s instead of every second: redrawing them
is the browser's heaviest work on the page, and a click that waits behind it waits for the next pair."""


def run_refresh_s(run_id: str) -> float | None:
    """How often the run's own view should redraw on the lab's page: slower while its owner labels (None: as
    :func:`ui.run_view.show_run` decides for any run)."""
    run = manager().get(run_id)
    if run is None or run.config.feedback is None or run.config.feedback.feedback != PERSON_SOURCE:
        return None
    labelling = not run.labelling.view().closed and can_control(run)  # not once the oracle took over
    return LABELLING_RUN_REFRESH_S if labelling else None


def labelling_panel(run_id: str) -> None:
    """Draw the panel of a run that learns from preferences; live (once a second) while it trains."""
    run = manager().get(run_id)
    if run is None or run.config.feedback is None:
        return
    if run.status.active:
        _live(run_id)
        return
    view = run.labelling.view()
    if view.state is not None:  # counted while this server ran it; a run read back from disk shows its cost line
        _counters(run, view)


@st.fragment(run_every=REFRESH_S)
def _live(run_id: str) -> None:
    run = manager().get(run_id)
    if run is None:
        return
    view = run.labelling.view()
    person = run.config.feedback is not None and run.config.feedback.feedback == PERSON_SOURCE
    if person and run.status == RunStatus.QUEUED:
        st.caption("The clips to label come once the run has a slot and starts.")
    elif person and run.status.active and can_control(run):
        _ask(run, view)
    elif person and run.status.active:
        st.caption("You are watching: only the browser that started this run labels its clips.")
    _counters(run, view)


def _ask(run: Run, view: LabellingView) -> None:
    refused = st.session_state.pop(_REFUSED_KEY, "")
    if refused:
        st.toast(refused, icon=":material/block:")
    state = view.state
    if state is not None and state.labeller != PERSON_SOURCE:
        st.info(
            "The oracle has taken your place: the reward model keeps your labels and the oracle gives the rest, "
            "at the rate shown below (a person: 0.2-0.3 a second). This is what DeepSeek-R1 did where answers can "
            "be checked: a machine judge instead of people.",
            icon=":material/smart_toy:",
        )
        return
    if view.handed_over:
        st.info(
            "The oracle takes your place when the agent's current update ends; your labels stay in the reward model.",
            icon=":material/hourglass_top:",
        )
        return
    if view.closed:
        return
    st.markdown("#### Which clip is closer to what you want?")
    if view.pair is None:
        st.info("Rendering the next pair of clips from the current policy...", icon=":material/hourglass_top:")
    else:
        _show_pair(run, view)
    st.button(
        "Let the oracle take over",
        key=f"oracle-takes-over-{run.id}",
        icon=":material/smart_toy:",
        on_click=run.oracle_takes_over,
        help="From now on the oracle answers in your place, from the env's true return: thousands of labels a "
        "second instead of one every few seconds. Your labels so far stay in the reward model.",
    )


def _show_pair(run: Run, view: LabellingView) -> None:
    """The two clips, the four answers, and the next pair loaded out of sight."""
    pair = view.pair
    assert pair is not None
    run.labelling.shown(pair.pair_id)
    left, right = st.columns(2)
    left.image(pair.left_gif, output_format="GIF", width=CLIP_WIDTH_PX, caption="Left")
    right.image(pair.right_gif, output_format="GIF", width=CLIP_WIDTH_PX, caption="Right")
    cols = st.columns(len(ANSWER_BUTTONS))
    for col, (answer, label, icon, shortcut) in zip(cols, ANSWER_BUTTONS, strict=True):
        col.button(
            label,
            key=f"answer-{answer}-{pair.pair_id}",  # a new key per pair: a double click cannot answer the next one
            icon=icon,
            shortcut=shortcut,
            width="stretch",
            type="primary" if answer in ("left", "right") else "secondary",
            on_click=_answer,
            args=(run, pair.pair_id, answer),
        )
    _load_ahead(view)
    st.caption(
        f"Both clips: {pair.clip_steps} steps of the policy at training step {pair.step:,}, looping "
        f"({pair.clip_s:.1f} s each). {plain(run.config.env_info.description)} *Same* counts as half a "
        f"preference each way; *can't tell* is dropped. {view.queued - 1} more pair(s) ready."
    )


def _load_ahead(view: LabellingView) -> None:
    """Put the next pair's clips in the page, out of sight, so the browser has loaded them before the click.

    Streamlit names a media file by a hash of its bytes, and a browser reuses an image already loaded in the
    page for the same address: when the next pair comes on screen, its clips draw at once instead of being
    fetched and decoded after the click (measured: 20-500 ms of the click-to-next-pair time on a loaded machine).
    """
    upcoming = view.upcoming
    if upcoming is None:
        return
    with st.container(height=1, border=False):  # the same width as the shown clips: the same bytes, the same address
        st.image([upcoming.left_gif, upcoming.right_gif], output_format="GIF", width=CLIP_WIDTH_PX)


def _answer(run: Run, pair_id: str, answer: str) -> None:
    """A button's callback: the answer goes to the run before the fragment redraws with the next pair."""
    try:
        run.answer(pair_id, answer)
    except UnknownPair:
        st.session_state[_REFUSED_KEY] = "That pair was answered already; here is the next one."


def _counters(run: Run, view: LabellingView) -> None:
    """Labels so far by who gave them, labels per second of each, agreement with the oracle, and what is due."""
    state = view.state
    feedback = run.config.feedback
    person = feedback is not None and feedback.feedback == PERSON_SOURCE
    by_source = state.labels_by_source if state else {}
    seconds = state.labeling_s_by_source if state else {}
    automated = sum(count for source, count in by_source.items() if source != PERSON_SOURCE)
    automated_s = sum(s for source, s in seconds.items() if source != PERSON_SOURCE)
    metrics: list[tuple[str, str, str]] = []
    if person:
        rate = view.person_labels_per_s
        cant_tell = view.answers.get("cant_tell", 0)
        metrics += [
            (
                "Your labels",
                f"{view.person_labels:,}",
                f"Left, right or same, counted as you click ({cant_tell} can't tell, dropped).",
            ),
            (
                "Your labels / s",
                "–" if rate is None else f"{rate:.2f}",
                "Your labels over your time on the pairs, each from its first showing to your click.",
            ),
        ]
    if not person or automated:
        metrics += [
            ("Automated labels", f"{automated:,}", "Labels from the oracle or a rule the reward model learnt from."),
            (
                "Automated labels / s",
                "–" if not automated or automated_s <= 0 else f"{automated / automated_s:,.0f}",
                "Labels over the seconds the labeller spent answering (playing the clips not counted).",
            ),
        ]
    if feedback is not None and feedback.feedback != "oracle":
        agreement = state.oracle_agreement if state else None
        compared = state.oracle_compared if state else 0
        whose = "your" if person else "the rule's"
        metrics.append(
            (
                "Agree with the oracle",
                "–" if agreement is None else f"{agreement:.0%}",
                f"How often {whose} labels match the oracle's answer on the "
                f"same pair ({compared} compared; the oracle prefers the higher true return). Its answers never "
                "train the reward model.",
            )
        )
    for col, (label, value, help_text) in zip(st.columns(len(metrics)), metrics, strict=True):
        col.metric(label, value, help=help_text)
    if state is not None:
        _due(run, state)


def _due(run: Run, state: LabelsState) -> None:
    """Whether training waits for labels, how many are due, or that no more are asked."""
    used, due = state.labels_used, state.labels_due
    if state.waiting and run.status.active:
        whose = "your" if can_control(run) else "its owner's"
        st.warning(
            f"Training waits for {whose} labels: {used} of the first {due}. It starts as soon as they are in; "
            "nothing is lost while it waits.",
            icon=":material/pause_circle:",
        )
    elif used >= state.total_labels or (not state.asking and state.labeller == PERSON_SOURCE):
        st.info(f"All {used:,} labels are in: the reward model is fixed from here.", icon=":material/check_circle:")
    elif run.status.active:
        behind = max(0, due - used)
        st.caption(
            f"The reward model has learnt from {used:,} of {state.total_labels:,} labels; {behind:,} due by now "
            "(more early, fewer later). The agent trains on meanwhile."
        )
