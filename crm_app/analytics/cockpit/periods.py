"""Cockpit periods: the preset ranges, the comparison period, and calendar-month numbering (year × 12 + month − 1)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from crm_app.analytics._common import utc

PRESETS = {
    "this_month": "This month",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "quarter_to_date": "Quarter to date",
    "year_to_date": "Year to date",
    "custom": "Custom",
}
COMPARISONS = {"previous_period": "Previous period", "last_year": "Same period last year"}


def period_for(preset: str, today: date, custom_start: date | None = None,
               custom_end: date | None = None) -> tuple[date, date]:
    """[start, end) of a preset, ending with `today` included; "custom" takes both days inclusive."""
    end = today + timedelta(days=1)
    if preset == "custom" and custom_start and custom_end and custom_start <= custom_end:
        return custom_start, custom_end + timedelta(days=1)
    starts = {
        "this_month": today.replace(day=1),
        "last_30_days": end - timedelta(days=30),
        "quarter_to_date": date(today.year, 3 * ((today.month - 1) // 3) + 1, 1),
        "year_to_date": date(today.year, 1, 1),
    }
    return starts.get(preset, end - timedelta(days=90)), end


def comparison_period(start: date, end: date, compare: str) -> tuple[date, date]:
    """The period compared against: the same length just before, or the same dates a year earlier."""
    if compare == "last_year":
        return _year_earlier(start), _year_earlier(end)
    return start - (end - start), start


def _year_earlier(day: date) -> date:
    return day.replace(year=day.year - 1) if not (day.month == 2 and day.day == 29) else date(day.year - 1, 2, 28)


def month_number(stamps: pd.Series) -> np.ndarray:
    return (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype=np.int64)


def month_label(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def month_start(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)


def nanoseconds(day: date | pd.Timestamp) -> int:
    return utc(day).value

def last_month(end: date) -> int:
    last = end - timedelta(days=1)
    return last.year * 12 + last.month - 1
