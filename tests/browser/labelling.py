"""Driving the feedback lab's labelling panel in a real Chromium: find the two clips, answer, time the next pair.

Shared by the browser test (``test_person_labels.py``) and the benchmark that measures click-to-next-pair time
(``benchmarks/bench_labelling.py``).
"""

from __future__ import annotations

import re
from typing import Any

READY = re.compile(r"(\d+) more pair\(s\) ready")

CLIP_SOURCES_JS = """() => [...document.querySelectorAll("[data-testid='stImage']")]
    .filter(box => ["Left", "Right"].includes((box.innerText || "").trim()))
    .map(box => box.querySelector("img"))
    .filter(img => img && img.complete && img.naturalWidth > 0)
    .map(img => img.src)"""
"""The addresses of the two clips on screen, once both have loaded (their captions say Left and Right)."""

ANSWER_AND_TIME_JS = (
    """async ([label, timeoutMs]) => {
    const clips = """
    + CLIP_SOURCES_JS
    + """;
    const waitedFrom = performance.now();
    while (clips().length < 2 && performance.now() - waitedFrom < timeoutMs) {
        await new Promise(resolve => requestAnimationFrame(resolve));  // both clips loaded before the click
    }
    const before = clips().join(" ");
    const button = [...document.querySelectorAll("[data-testid='stMainBlockContainer'] button")]
        .find(b => (b.innerText || "").split("\\n").map(line => line.trim()).includes(label));
    if (!button) return {error: "no " + label + " button"};
    const started = performance.now();
    button.click();
    while (performance.now() - started < timeoutMs) {
        await new Promise(resolve => requestAnimationFrame(resolve));
        const now = clips();
        if (now.length === 2 && now.join(" ") !== before) {
            return {ms: performance.now() - started, before: before, after: now.join(" ")};
        }
    }
    return {error: "the next pair did not appear within " + timeoutMs + " ms", before: before};
}"""
)
"""Click an answer and wait, frame by frame, until two *other* clips have loaded: the click-to-next-pair time,
measured by the browser's own clock (no test-driver round trips in it)."""


def clip_sources(page: Any) -> list[str]:
    return list(page.evaluate(CLIP_SOURCES_JS))


def pairs_ready(page: Any) -> int:
    """Pairs ready behind the one shown (from the caption under the clips); -1 when no pair is shown."""
    caption = page.get_by_text(READY)
    if caption.count() == 0:
        return -1
    match = READY.search(caption.first.inner_text())
    return int(match.group(1)) if match else -1


def answer_and_time(page: Any, label: str, timeout_ms: float = 10_000) -> dict[str, Any]:
    """Click the answer ``label`` ("Left", "Right", "Same", "Can't tell"); ``{"ms", "before", "after"}`` or
    ``{"error"}``."""
    return dict(page.evaluate(ANSWER_AND_TIME_JS, [label, timeout_ms]))
