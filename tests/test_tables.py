"""Every table shows a dash for a missing value and rounded numbers, never Python's None or 4-decimal seconds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ui.tables import MISSING, RETURN, SECONDS, STEPS, display_frame


def test_missing_values_become_a_dash_and_numbers_their_format() -> None:
    frame = pd.DataFrame(
        {
            "steps to solve": [12_000.0, None],
            "seconds to solve": [4.8213, np.nan],
            "final return": [487.25, -1000.0],
            "95% CI": ["[1.0, 2.0]", None],
            "seeds": [3, 1],
            "label": ["a", "b"],
        }
    )
    shown = display_frame(frame, {"steps to solve": STEPS, "seconds to solve": SECONDS, "final return": RETURN})
    assert shown.to_dict("list") == {
        "steps to solve": ["12,000", MISSING],
        "seconds to solve": ["4.8", MISSING],
        "final return": ["487.2", "-1,000.0"],
        "95% CI": ["[1.0, 2.0]", MISSING],
        "seeds": [3, 1],
        "label": ["a", "b"],
    }
    assert frame["seconds to solve"].iloc[0] == 4.8213, "the data itself is left alone"


def test_an_empty_table_stays_empty() -> None:
    assert display_frame(pd.DataFrame({"steps": []}), {"steps": STEPS}).empty
