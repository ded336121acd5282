"""Small helpers the analytics modules share: which orders count as revenue, and UTC timestamps."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from crm_app.domain import REVENUE_STATUSES


DAY = pd.Timedelta(days=1)


def utc(moment: datetime | date | str | pd.Timestamp) -> pd.Timestamp:
    """The moment as a tz-aware UTC Timestamp; a naive value is read as UTC."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def utc_column(values: pd.Series) -> pd.Series:
    """A datetime column as tz-aware UTC; naive values are read as UTC."""
    values = pd.to_datetime(values)
    return values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")


def revenue_orders(
    orders: pd.DataFrame,
    *,
    status_col: str = "status",
    date_col: str = "ordered_at",
    statuses: tuple[str, ...] = REVENUE_STATUSES,
) -> pd.DataFrame:
    """The orders that count as revenue (status in `statuses`), with `date_col` as UTC timestamps."""
    kept = orders.loc[orders[status_col].astype(str).isin(statuses)].copy()
    kept[date_col] = utc_column(kept[date_col])
    return kept


def between(values: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Mask of start <= value < end (half-open, so consecutive periods never share a row)."""
    return (values >= start) & (values < end)
