"""Customer retention: period retention and churn, and the monthly acquisition-cohort matrix.

A customer is active in a window when they placed a revenue order (paid or shipped) in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from crm_app.analytics import measures
from crm_app.analytics._common import between, revenue_orders, utc

Moment = datetime | date | str | pd.Timestamp


@dataclass(frozen=True)
class RetentionRate:
    """Of the `base_customers` active in the window before the period, `retained_customers` bought again in it.

    retention = retained / base and churn = 1 − retention, fractions; both None when the base is empty.
    """

    base_start: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp
    base_customers: int
    retained_customers: int
    retention: float | None
    churn: float | None


def retention_rate(
    orders: pd.DataFrame,
    start: Moment,
    end: Moment,
    *,
    lookback: pd.Timedelta | None = None,
    customer_col: str = "customer_id",
    date_col: str = "ordered_at",
    status_col: str = "status",
) -> RetentionRate:
    """Retention of period [start, end) = |B ∩ A| / |B|, churn = 1 − retention.

    B = customers active in [start − lookback, start) (lookback defaults to the period's length),
    A = customers active in [start, end). New customers of the period are not in B and do not count.
    """
    start, end = utc(start), utc(end)
    base_start = start - (lookback if lookback is not None else end - start)
    paid = revenue_orders(orders, status_col=status_col, date_col=date_col)
    base = set(paid.loc[between(paid[date_col], base_start, start), customer_col])
    active = set(paid.loc[between(paid[date_col], start, end), customer_col])
    retained = len(base & active)
    rate = measures.retention(len(base), retained)
    return RetentionRate(
        base_start=base_start,
        start=start,
        end=end,
        base_customers=len(base),
        retained_customers=retained,
        retention=rate,
        churn=None if rate is None else 1 - rate,
    )


def _month_number(stamps: pd.Series) -> pd.Series:
    return stamps.dt.year * 12 + stamps.dt.month - 1


@dataclass(frozen=True)
class CohortRetention:
    """`customers`: size of each acquisition cohort; `rates`: the cohort × months-since-acquisition matrix."""

    customers: pd.Series
    rates: pd.DataFrame


def cohort_retention(
    orders: pd.DataFrame,
    as_of: Moment,
    *,
    customer_col: str = "customer_id",
    date_col: str = "ordered_at",
    status_col: str = "status",
) -> CohortRetention:
    """Monthly acquisition-cohort retention matrix from the revenue orders before `as_of` (UTC months).

    Row = cohort: the calendar month of a customer's first revenue order, labelled "YYYY-MM".
    Column k = months since acquisition (0, 1, 2, ...). Value = (customers of the cohort with a revenue
    order in month cohort + k) / (customers of the cohort), a fraction; column 0 is 1 by construction.
    A month not yet started at `as_of` is NaN; the month containing `as_of` counts as observed so far.
    `customers` holds each cohort's size (both indexed by "cohort").
    """
    as_of = utc(as_of)
    paid = revenue_orders(orders, status_col=status_col, date_col=date_col)
    paid = paid.loc[paid[date_col] < as_of, [customer_col, date_col]]
    if paid.empty:
        index = pd.Index([], name="cohort", dtype=str)
        return CohortRetention(pd.Series([], index=index, name="customers", dtype=int),
                               pd.DataFrame(index=index, dtype=float))
    month = _month_number(paid[date_col])
    cohort = month.groupby(paid[customer_col]).transform("min")
    activity = pd.DataFrame({"cohort": cohort, "age": month - cohort, customer_col: paid[customer_col]})
    counts = activity.drop_duplicates().groupby(["cohort", "age"]).size().unstack("age", fill_value=0)
    last_month = as_of.year * 12 + as_of.month - 1
    counts = counts.reindex(columns=range(last_month - int(counts.index.min()) + 1), fill_value=0)
    sizes = counts[0]
    rates = counts.div(sizes, axis=0).astype(float)
    observable = (last_month - rates.index.to_numpy())[:, None] >= rates.columns.to_numpy()[None, :]
    rates = rates.where(observable, np.nan)
    labels = pd.Index([f"{m // 12:04d}-{m % 12 + 1:02d}" for m in rates.index], name="cohort")
    rates.index = labels
    rates.columns = pd.RangeIndex(rates.shape[1], name="months_since_acquisition")
    return CohortRetention(customers=pd.Series(sizes.to_numpy(), index=labels, name="customers"), rates=rates)
