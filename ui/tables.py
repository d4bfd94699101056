"""How every table in the app shows its numbers: a dash for a missing value, and as many digits as the value merits.

A DataFrame handed to ``st.dataframe`` as it is shows Python's ``None`` and floats to 4 decimals ("seconds to solve
4.8213"). :func:`styled` keeps the numbers as numbers (the table still sorts by value) and only sets how each column
is displayed, through a pandas ``Styler``, which ``st.dataframe`` draws with its display values.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from pandas.io.formats.style import Styler

MISSING = "–"
"""Shown for a value that does not exist (not solved, no episode yet, too few seeds)."""
STEPS = "{:,.0f}"
"""Step counts and other whole numbers: 12,000."""
RETURN = "{:,.1f}"
"""Returns and other values whose tenths matter: 487.3."""
SECONDS = "{:,.1f}"
"""Durations in seconds: 4.8, not 4.8213."""
REWARD = "{:.4g}"
"""A single step's reward, small or large: 0.01234, -1.5, 1e+04."""


def styled(frame: pd.DataFrame, formats: Mapping[str, str]) -> Styler:
    """``frame`` with each listed column formatted, and every missing value (None, NaN) shown as a dash."""
    present = {column: fmt for column, fmt in formats.items() if column in frame.columns}
    return frame.style.format(na_rep=MISSING).format(present, na_rep=MISSING)
