"""CSAT and NPS with confidence intervals, grouped by any columns (segment, region, month...)."""

from __future__ import annotations

import pandas as pd

from crm_app.analytics._common import utc_column
from crm_app.analytics.stats import csat_score, nps_score


def add_month(frame: pd.DataFrame, *, date_col: str = "submitted_at", name: str = "month") -> pd.DataFrame:
    """A copy of `frame` with `name` = the UTC calendar month of `date_col` as "YYYY-MM" text, to group by."""
    return frame.assign(**{name: utc_column(frame[date_col]).dt.strftime("%Y-%m")})


def satisfaction_by(
    feedback: pd.DataFrame,
    by: str | list[str],
    *,
    csat_col: str = "csat",
    nps_col: str = "nps",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per group of `by` (sorted; missing keys form their own group), with

    - csat_n, csat_satisfied, csat = satisfied / csat_n (share of 4-5 answers, a fraction) and its Wilson
      interval csat_lower/csat_upper
    - nps_n, promoters (9-10), passives (7-8), detractors (0-6), nps = 100 (promoters − detractors) / nps_n in
      points, and nps_lower/nps_upper = nps ± z √(100² (p_P + p_D − (p_P − p_D)²) / n), clipped to ±100
    Missing answers are left out of each score's n; a group without answers has NaN scores.
    """
    keys = [by] if isinstance(by, str) else list(by)
    rows = []
    for key, group in feedback.groupby(keys, dropna=False, sort=True):
        csat = csat_score(group[csat_col], confidence)
        nps = nps_score(group[nps_col], confidence)
        rows.append(
            (*key, csat.n, csat.satisfied, csat.value, csat.lower, csat.upper,
             nps.n, nps.promoters, nps.passives, nps.detractors, nps.value, nps.lower, nps.upper)
        )
    columns = ["csat_n", "csat_satisfied", "csat", "csat_lower", "csat_upper",
               "nps_n", "promoters", "passives", "detractors", "nps", "nps_lower", "nps_upper"]
    result = pd.DataFrame(rows, columns=keys + columns).set_index(keys)
    counts = ["csat_n", "csat_satisfied", "nps_n", "promoters", "passives", "detractors"]
    return result.astype({c: "int64" for c in counts} | {c: float for c in columns if c not in counts})
