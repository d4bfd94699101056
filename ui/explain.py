"""Explanations drawn next to a run's numbers and charts, in words from :mod:`ui.glossary`."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from agents.runs.live import SOLVE_WINDOW
from ui.glossary import GROUPS, TERMS, ordered, solved_text


def returns_caption(threshold: float | None, *, shaped: bool, learned: bool = False) -> str:
    """What the returns chart shows, for the line under it (``learned``: the agent's reward is learned from labels)."""
    parts = [
        f"Each dot is one episode's **return**: {_then(TERMS['return'])}",
        f"The bold line is the mean of the last {SOLVE_WINDOW} episodes, the trend without the noise.",
    ]
    if threshold is not None:
        parts.append(f"The dashed line at {threshold:g} is where this environment counts as solved.")
    if learned:
        parts.append(f"The **learned return** is {_then(TERMS['learned return'])}")
    elif shaped:
        parts.append(f"The **shaped return** is {_then(TERMS['shaped return'])}")
    return " ".join(parts)


def lengths_caption() -> str:
    return TERMS["episode length"]


def logged_values_help(names: Iterable[str], algo: str) -> None:
    """Under the logged-values chart: what they are for, and one line per value, group by group."""
    values = ordered(algo, [name.removeprefix("train/") for name in names])
    if not values:
        return
    st.caption(TERMS["logged values"])
    sections = []
    for group in GROUPS:
        members = [value for value in values if value.group == group.id]
        if not members:
            continue
        lines = [f"**{group.title}**: {group.question}"]
        for value in members:
            meaning = value.text or "no explanation yet; see the algorithm's documentation."
            lines.append(f"- **{value.label}** (`{value.name}`): {meaning}")
        sections.append("\n".join(lines))
    with st.expander("What these values mean", icon=":material/help:"):
        st.markdown("\n\n".join(sections))  # one element: a live run's view redraws it for every watching tab


def metric_help(term: str, threshold: float | None = None) -> str:
    """The tooltip of a metric named by a glossary term ("solved" gets the env's threshold)."""
    if term == "solved":
        return solved_text(threshold)
    return TERMS[term]


def _then(text: str) -> str:
    """A glossary line continuing a sentence after a colon."""
    return text[:1].lower() + text[1:]
