"""The cockpit's targets: the target of a period from the KpiTarget rows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from crm_app.analytics.cockpit.kpis import KPI_BY_KEY


def target_for_period(targets: pd.DataFrame, kpi: str, start: date, end: date) -> float | None:
    """The target of [start, end) from the KpiTarget rows (kpi, period_start, period_end inclusive, target_value).

    Additive KPIs (revenue, orders): Σ target × (days of the target's period inside [start, end)) / (days of
    the target's period); None unless target periods cover every day. Other KPIs: the mean of the targets
    weighted by their days inside the period; None without overlap.
    """
    if not len(targets):
        return None
    # numpy on the few rows: pandas' per-call overhead would be most of the cockpit's time for twelve KPIs.
    rows = targets["kpi"].to_numpy() == kpi
    first = np.array(targets["period_start"].to_numpy()[rows], dtype="datetime64[D]")
    last = np.array(targets["period_end"].to_numpy()[rows], dtype="datetime64[D]")
    overlap = (np.minimum(last + 1, np.datetime64(end, "D")) - np.maximum(first, np.datetime64(start, "D")))
    overlap = overlap.astype(np.int64)
    inside = overlap > 0
    if not inside.any():
        return None
    days, overlap = ((last - first).astype(np.int64) + 1)[inside], overlap[inside]
    values = targets["target_value"].to_numpy(float)[rows][inside]
    definition = KPI_BY_KEY.get(kpi)
    if definition is not None and definition.additive:
        return float(sum(values * overlap / days)) if overlap.sum() >= (end - start).days else None
    return float(sum(values * overlap)) / int(overlap.sum())
