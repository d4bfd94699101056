"""Number widgets that keep what a person typed, and refuse a bad value next to the field.

Given ``min_value``/``max_value``, ``st.number_input`` checks bounds in the browser: an out-of-range value
gets a small red mark and is never sent, so the server keeps training the previous value while the field
shows another (typed ``5`` into learning_rate, trained 0.002). These widgets have no browser bounds: every
value reaches the server, where the field's :class:`~agents.config.schema.HyperParam` (the one source of
its bounds) parses it, and the page shows the schema's message right under the field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from agents.config.schema import HyperParam, HyperParamError, Value
from ui.common import plain


def float_step(param: HyperParam) -> float:
    """A +/- step that suits the parameter's scale (fixed per parameter so the widget keeps its identity)."""
    if param.log and isinstance(param.default, int | float) and param.default:
        return float(10 ** math.floor(math.log10(abs(float(param.default)))))
    span = (param.high or 1.0) - (param.low or 0.0)
    return 0.01 if span <= 1.0 else float(round(span / 100, 6))


def number_input(
    param: HyperParam,
    key: str,
    *,
    label: str | None = None,
    where: DeltaGenerator | None = None,
    step: float | None = None,
    help: str | None = None,
    disabled: bool = False,
    on_change: Callable[..., None] | None = None,
    args: tuple[Any, ...] | None = None,
    label_visibility: str = "visible",
    placeholder: str | None = None,
) -> DeltaGenerator:
    """Draw an unbounded number input for ``param`` under ``key``; return the slot right under it, where
    :func:`show_error` puts a refusal. The value in session state is what the person typed. With a
    ``placeholder`` the field may be empty (its value None)."""
    where = where or st.container()
    state = st.session_state
    if param.kind == "float":
        current = state.get(key, param.default)
        if isinstance(current, int | float) and not isinstance(current, bool):
            state[key] = float(current)
        step = step or float_step(param)
        number_format = "%g"
    else:
        step = step or 1
        number_format = None
    where.number_input(
        label or param.name,
        value=None if placeholder is not None else "min",
        placeholder=placeholder,
        step=step,
        format=number_format,
        key=key,
        help=param.help if help is None else help,
        disabled=disabled,
        on_change=on_change,
        args=args,
        label_visibility=label_visibility,  # type: ignore[arg-type]
        persist_state="session",
    )
    return where.empty()


def checked(param: HyperParam, raw: object, slot: DeltaGenerator | None) -> Value | None:
    """``param``'s value of ``raw``, or None after showing the schema's refusal in ``slot``."""
    try:
        return param.parse(raw)
    except HyperParamError as error:
        show_error(slot, str(error))
        return None


def show_error(slot: DeltaGenerator | None, message: str) -> None:
    """A refusal directly under its field (Markdown-escaped: it may quote what was typed or linked)."""
    (slot or st).error(plain(message), icon=":material/error:")


# --- fields applied by a callback (the GridWorld lab): the refusal waits in session state for the page ----

_REFUSED_KEY = "refused_fields"


def refuse(key: str, message: str) -> None:
    """From a widget's callback: keep what was typed under ``key``, and the reason it was not applied."""
    st.session_state.setdefault(_REFUSED_KEY, {})[key] = message


def accept(*keys: str) -> None:
    """The fields under ``keys`` hold applied values again (or are to be reset from the model)."""
    refused_now = st.session_state.get(_REFUSED_KEY, {})
    for key in keys:
        refused_now.pop(key, None)


def refusal(key: str) -> str | None:
    """Why the value typed under ``key`` was not applied, or None."""
    return st.session_state.get(_REFUSED_KEY, {}).get(key)


def show_refusal(key: str, slot: DeltaGenerator) -> None:
    message = refusal(key)
    if message:
        show_error(slot, message)
