"""Satisfaction by segment and by month on hand-built answers."""

import math

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from crm_app.analytics.satisfaction import add_month, satisfaction_by
from crm_app.analytics.stats import wilson_interval

Z95 = 1.959963984540054
T = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731

FEEDBACK = pd.DataFrame(
    {
        "segment": ["smb", "smb", "smb", "smb", "enterprise", "enterprise"],
        "csat": [5, 4, 2, None, 3, 5],
        "nps": [10, 9, 3, 7, None, None],
        "submitted_at": [T("2024-01-31 23:59"), T("2024-02-01"), T("2024-02-15"), T("2024-02-20"),
                         T("2024-01-10"), T("2024-02-29")],
    }
)


def test_by_segment():
    result = satisfaction_by(FEEDBACK, "segment")
    # enterprise: csat 3, 5 -> 1 of 2 satisfied; no NPS answer
    # smb: csat 5, 4, 2 -> 2 of 3; nps 10, 9 promoters, 7 passive, 3 detractor -> 100 (2 - 1)/4 = 25
    # Var = 100² (0.5 + 0.25 - 0.25²)/4 = 10000 · 0.6875 / 4 = 1718.75 -> half-width 1.959964 · 41.4578 = 81.256
    half = Z95 * math.sqrt(1718.75)
    enterprise, smb = wilson_interval(1, 2), wilson_interval(2, 3)
    expected = pd.DataFrame(
        {
            "csat_n": [2, 3], "csat_satisfied": [1, 2], "csat": [0.5, 2 / 3],
            "csat_lower": [enterprise.lower, smb.lower], "csat_upper": [enterprise.upper, smb.upper],
            "nps_n": [0, 4], "promoters": [0, 2], "passives": [0, 1], "detractors": [0, 1],
            "nps": [np.nan, 25.0], "nps_lower": [np.nan, 25 - half], "nps_upper": [np.nan, min(100.0, 25 + half)],
        },
        index=pd.Index(["enterprise", "smb"], name="segment"),
    )
    assert_frame_equal(result, expected)
    assert round(half, 3) == 81.256


def test_by_segment_and_month():
    result = satisfaction_by(add_month(FEEDBACK), ["segment", "month"])
    # months are UTC calendar months: Jan 31 23:59 stays in January
    assert result.index.tolist() == [("enterprise", "2024-01"), ("enterprise", "2024-02"),
                                     ("smb", "2024-01"), ("smb", "2024-02")]
    assert result["csat_n"].tolist() == [1, 1, 1, 2]
    assert result["csat"].tolist() == [0.0, 1.0, 1.0, 0.5]
    # smb February: nps 9, 3, 7 -> 100 (1 - 1)/3 = 0
    assert result.loc[("smb", "2024-02"), "nps"] == 0.0
