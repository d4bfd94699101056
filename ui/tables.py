"""How every table in the app shows its numbers: a dash for a missing value, and as many digits as the value merits.

A DataFrame handed to ``st.dataframe`` as it is shows Python's ``None`` and floats to 4 decimals ("seconds to solve
4.8213"). Neither a pandas ``Styler``'s ``na_rep`` nor a column format helps: Streamlit's grid draws every missing
cell as a grey "None" whatever its display value. So :func:`display_frame` writes the numbers as text, rounded, with
a dash where there is no value, and :func:`show_table` draws that text right-aligned like numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

MISSING = "–"
"""Shown for a value that does not exist (not solved, no episode yet, too few seeds)."""
STEPS = "{:,.0f}"
"""Step counts and other whole numbers: 12,000."""
RETURN = "{:,.1f}"
"""Returns and other values whose tenths matter: 487.3."""
SECONDS = "{:,.1f}"
"""Durations in seconds: 4.8, not 4.8213."""


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):  # a list or array in a cell is a value
        return False


def display_frame(frame: pd.DataFrame, formats: Mapping[str, str]) -> pd.DataFrame:
    """A copy of ``frame`` as the reader should see it: each column in ``formats`` written with its format, and every
    missing value (None, NaN) in any column written as :data:`MISSING`."""
    shown = frame.copy()
    for column in shown.columns:
        fmt = formats.get(column)
        values = shown[column]
        if fmt is None and not values.map(_missing).any():
            continue
        shown[column] = [MISSING if _missing(value) else (fmt.format(value) if fmt else value) for value in values]
    return shown


def show_table(frame: pd.DataFrame, formats: Mapping[str, str], **options: Any) -> Any:
    """``st.dataframe`` of :func:`display_frame`, formatted columns right-aligned; returns what it returns
    (the selection, with ``on_select``). Rows keep their order, so a selected row indexes ``frame`` too.

    ``options`` go to ``st.dataframe``; a ``column_config`` among them (help texts, say) is kept.
    """
    config = {column: dict(entry or {}) for column, entry in (options.pop("column_config", None) or {}).items()}
    for column in formats:
        if column in frame.columns:
            config.setdefault(column, {})
            config[column]["alignment"] = config[column].get("alignment") or "right"
    return st.dataframe(display_frame(frame, formats), column_config=config, **options)
