"""The cockpit's order cube: per calendar month, and per UTC day, and per customer group (a region, a segment and
a rep together, what belongs to the customer), the sums of the revenue orders that the charts and cards read,
summed once per snapshot. A filter change then reads a few thousand cells instead of the orders: the monthly trend
and the cohorts (two years of orders), the revenue per region, segment and category and the period's revenue and
orders (at ten million orders, copying and gathering those orders was most of a change's time).

Channel and category belong to the order, not to the customer, so a view filtered by either still reads the
orders themselves (filters.by_customer); so does the month holding the period's end, which the period may cut short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from crm_app.analytics.cockpit.columns import CockpitFacts, per_snapshot
from crm_app.analytics.cockpit.filters import CockpitFilters, view_mask
from crm_app.analytics.filters import FILTERED_BY

GROUPED_BY = FILTERED_BY["customers"]  # region, segment, owner_id: the slicers a customer carries
COHORT_AGES = 12  # months since acquisition kept per cohort (series.COHORT_MONTHS)


DAY_NS = 86_400 * 10**9


def day_number(day: date) -> int:
    """Days since 1970-01-01 (UTC days: the cockpit's periods start and end at UTC midnight)."""
    return (day - date(1970, 1, 1)).days


@dataclass(frozen=True)
class OrderCube:
    """Sums of the revenue orders per time unit × group. Column g of each array is the customers of region code
    groups["region"][g], segment code groups["segment"][g] and rep groups["owner_id"][g]; row t of a monthly
    array is month number `first_month + t`, of a daily one day number `first_day + t`."""

    groups: dict[str, np.ndarray]
    first_month: int
    monthly: dict[str, np.ndarray]  # revenue, orders, active (customers with an order in the month), new (their
    # first order ever in it): months × groups; cohorts: months × COHORT_AGES × groups (customers acquired `age`
    # months before, buying in the month)
    first_day: int
    daily: dict[str, np.ndarray]  # revenue, orders: days × groups; categories: days × categories × groups

    def months_of(self, name: str, groups: np.ndarray, first: int, months: int) -> np.ndarray:
        """Monthly `name` of months [first, first + months) summed over the `groups` kept (a mask over the
        columns); zeros for months the cube does not hold."""
        measure = self.monthly[name]
        shown = np.zeros((months, *measure.shape[1:-1]), dtype=measure.dtype)
        lo, hi = max(first, self.first_month), min(first + months, self.first_month + measure.shape[0])
        if lo < hi:
            shown[lo - first:hi - first] = measure[lo - self.first_month:hi - self.first_month][..., groups].sum(-1)
        return shown

    def days_of(self, name: str, start: date, end: date) -> np.ndarray:
        """Daily `name` summed over the days [start, end), per group (the last axis)."""
        measure = self.daily[name]
        lo = min(max(day_number(start) - self.first_day, 0), measure.shape[0])
        hi = min(max(day_number(end) - self.first_day, lo), measure.shape[0])
        return measure[lo:hi].sum(axis=0)


def build_cube(orders: dict[str, np.ndarray], categories: np.ndarray) -> OrderCube:
    """The cube of CockpitFacts.orders and .categories. Each cell is a weighted bincount: one pass per measure
    over the orders."""
    key, radices = np.zeros(orders["month"].size, dtype=np.int64), []
    for name in GROUPED_BY:  # codes from −1 and owner ids from −1: one int64 per combination, in mixed radix
        values = orders[name].astype(np.int64) + 1
        radices.append(int(values.max(initial=0)) + 1)
        key = key * radices[-1] + values
    group, combinations = pd.factorize(key, sort=True)
    width, rest, groups = len(combinations), np.asarray(combinations, dtype=np.int64), {}
    for name, radix in reversed(list(zip(GROUPED_BY, radices))):
        rest, groups[name] = np.divmod(rest, radix)
        groups[name] -= 1

    def summed(cell: np.ndarray, size: int, weights: np.ndarray | None = None,
               where: np.ndarray | None = None) -> np.ndarray:
        """Σ weights (or a count) per cell of the rows `where` holds, as units × [inner ×] groups."""
        if where is not None:
            cell, weights = cell[where], None if weights is None else weights[where]
        return np.bincount(cell, weights=weights, minlength=size * width).reshape(-1, width)

    months = orders["month"]
    first_month = int(months.min(initial=0))
    month_count = int(months.max(initial=-1)) - first_month + 1
    month_cell = (months - first_month) * width + group
    active = orders["first_in_month"]
    age = months - orders["first_month"]
    young = active & (age < COHORT_AGES)
    cohort_cell = ((months[young] - first_month) * COHORT_AGES + age[young]) * width + group[young]

    dated = orders["ns"] > np.iinfo(np.int64).min  # an order without a date is before every period
    dated = slice(None) if dated.all() else dated  # (views, not copies, when every order has one)
    days = orders["ns"][dated] // DAY_NS
    first_day = int(days.min(initial=0))
    day_count = int(days.max(initial=-1)) - first_day + 1
    day_cell = (days - first_day) * width + group[dated]
    kinds = categories.shape[1] if categories.ndim == 2 else 0
    return OrderCube(
        groups=groups, first_month=first_month,
        monthly={"revenue": summed(month_cell, month_count, orders["amount"]),
                 "orders": summed(month_cell, month_count),
                 "active": summed(month_cell, month_count, where=active),
                 "new": summed(month_cell, month_count, where=active & (age == 0)),
                 "cohorts": summed(cohort_cell, month_count * COHORT_AGES).reshape(month_count, COHORT_AGES, width)},
        first_day=first_day,
        daily={"revenue": summed(day_cell, day_count, orders["amount"][dated]),
               "orders": summed(day_cell, day_count),
               "categories": np.stack([summed(day_cell, day_count, categories[dated, kind]) for kind in range(kinds)],
                                      axis=1) if kinds else np.zeros((day_count, 0, width))},
    )


@per_snapshot
def order_cube(cf: CockpitFacts) -> OrderCube:
    """The cube of `cf`, built on first use and kept while `cf` lives."""
    return build_cube(cf.orders, cf.categories)


def customer_groups(cf: CockpitFacts, filters: CockpitFilters) -> np.ndarray:
    """The order cube's customer groups within the filters (a mask over its columns)."""
    return view_mask(cf, order_cube(cf).groups, filters, "customers")
