"""AppTest of the feedback lab with a person labelling: the clips appear, the buttons answer, the counters move."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from agents.runs.manager import get_manager
from agents.runs.run import Run
from tests.test_app_pages import _no_entrypoint_rerun, app_at, run_param, wait_until  # noqa: F401  (autouse fixture)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def answer_buttons(at: AppTest) -> dict[str, object]:
    return {b.label: b for b in at.button if b.key and b.key.startswith("answer-")}


def clips(at: AppTest) -> dict[str, str]:
    """The two clips on screen, by caption: their media URLs (a new pair, new URLs)."""
    return {image.captions[0]: image.value[0] for image in at.get("image") if image.captions[0] in ("Left", "Right")}


def start_person_run(labels: int = 6, timesteps: int = 1000) -> tuple[AppTest, Run]:
    at = app_at("pages/feedback.py")
    assert at.radio(key="fb_labeler").value == "human"  # a person labelling is the lab's first experience
    at.number_input(key="fb_labels_human").set_value(labels).run()
    at.number_input(key="fb_timesteps").set_value(timesteps).run()
    at.button[0].click().run()
    assert not at.exception
    run = get_manager().get(run_param(at))
    assert run is not None and run.config.feedback is not None
    return at, run


def test_you_label_first_and_the_automated_labelers_stay() -> None:
    at = app_at("pages/feedback.py")
    options = [str(o) for o in at.radio(key="fb_labeler").options]
    assert options[0] == "You: watch two clips, click the better one" and len(options) == 3
    assert "Oracle" in options[1] and "Rule" in options[2]
    assert at.number_input(key="fb_labels_human").value == 50  # a person's budget, not the oracle's 200
    assert any("first 15 labels" in c.value for c in at.caption)


def test_a_person_labels_by_clicking_and_the_counters_move() -> None:
    at, run = start_person_run(labels=6)
    assert run.config.feedback.feedback == "human" and run.config.feedback.initial_labels == 6
    at = wait_until(at, lambda a: "Left" in answer_buttons(a), timeout=60)
    assert set(clips(at)) == {"Left", "Right"}
    assert metrics(at)["Your labels"] == "0"
    waiting = " ".join(w.value for w in at.warning)
    assert "Training waits for your labels: 0 of the first 6" in waiting
    assert run.snapshot().timesteps == 0  # nothing trains before the first labels
    assert any("waiting for labels" in m.value for m in at.markdown)  # the badge: waiting, not hung, not failed

    seen = set()
    for answer in ("Left", "Right", "Same", "Can't tell", "Left", "Right", "Left"):
        at = wait_until(at, lambda a, wanted=answer: wanted in answer_buttons(a), timeout=30)
        button = answer_buttons(at)[answer]
        assert button.key not in seen  # each pair gets buttons of its own: a double click cannot answer two
        seen.add(button.key)
        before = clips(at)
        button.click().run()
        assert not at.exception
        after = clips(at)
        assert not after or after != before  # the next pair (when one is ready), never the answered one again
    assert metrics(at)["Your labels"] == "6"  # can't tell is not a label; counted at the click
    assert metrics(at)["Your labels / s"] != "–"
    view = run.labelling.view()
    assert view.answers == {"left": 3, "right": 2, "same": 1, "cant_tell": 1}

    # the worker took the six labels, trained, and compared them with the oracle's answers
    at = wait_until(at, lambda a: run.snapshot().timesteps > 0 and metrics(a)["Agree with the oracle"] != "–", 60)
    state = run.labelling.view().state
    assert state is not None and state.labels_by_source == {"human": 6} and not state.waiting
    assert state.oracle_compared == 6
    assert not any("Training waits" in w.value for w in at.warning)
    assert not any("waiting for labels" in m.value for m in at.markdown)


def test_a_viewer_sees_the_counters_but_no_clips_to_label() -> None:
    _, run = start_person_run(labels=6)
    viewer = app_at("pages/feedback.py", run=run.id)  # another browser: a session without the owner's token
    viewer = wait_until(viewer, lambda a: "Your labels" in metrics(a), timeout=60)
    assert not answer_buttons(viewer)
    assert any("only the browser that started this run labels" in c.value for c in viewer.caption)


def test_the_oracle_takes_over_at_a_click_and_the_automated_counters_move() -> None:
    at, run = start_person_run(labels=20)
    assert "20 labels by a person · seed" in run.name
    at = wait_until(at, lambda a: "Left" in answer_buttons(a), timeout=60)
    answer_buttons(at)["Left"].click().run()
    next(b for b in at.button if b.label == "Let the oracle take over").click().run()
    assert not at.exception
    # the run's name says what happened, here and in its stored status (the Runs page, after a restart)
    assert "20 labels by a person, then the oracle · seed" in run.name
    at = wait_until(at, lambda a: any("then the oracle" in m.value for m in a.markdown), timeout=30)
    assert run.folder is not None and run.folder.read_status().name == run.name
    at = wait_until(at, lambda a: metrics(a).get("Automated labels", "0") not in ("0", ""), timeout=60)
    assert metrics(at)["Your labels"] == "1" and float(metrics(at)["Automated labels / s"].replace(",", "")) > 1
    assert any("The oracle has taken your place" in i.value for i in at.info)
    assert not answer_buttons(at)  # no more pairs for the person


def test_a_person_labelled_run_read_back_from_disk_claims_no_counters_it_does_not_have(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, run = start_person_run(labels=6)
    run.stop()
    assert run.join(60) and run.folder is not None
    fresh = Run.restore(run.folder)  # as after a server restart: the labelling counters were never stored
    assert fresh.labelling.view().state is None
    monkeypatch.setattr(type(get_manager()), "get", lambda _, run_id: fresh if run_id == fresh.id else None)
    at = app_at("pages/feedback.py", run=fresh.id)
    assert not at.exception
    assert "Your labels" not in metrics(at)  # no "0 labels" for a run whose labels were never counted here
