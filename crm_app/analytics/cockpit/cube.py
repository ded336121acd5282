"""The cockpit's monthly cube: per calendar month and customer group (a region, a segment and a rep together,
what belongs to the customer), the revenue, orders, active and new customers and the cohort counts, summed once
per snapshot. A filter change then reads a few thousand cells for the monthly trend and the cohorts instead of
two years of orders (at ten million orders, the copies of those orders were most of a change's time).

Channel and category belong to the order, not to the customer, so a view filtered by either still counts the
orders themselves (series.monthly_orders, series.cohort_matrix); so does the month holding the period's end,
which the period may cut short.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_app.analytics.cockpit.columns import CockpitFacts, per_snapshot
from crm_app.analytics.filters import FILTERED_BY

GROUPED_BY = FILTERED_BY["customers"]  # region, segment, owner_id: the slicers a customer carries
COHORT_AGES = 12  # months since acquisition kept per cohort (series.COHORT_MONTHS)


@dataclass(frozen=True)
class MonthlyCube:
    """Sums of the revenue orders per month (row m is month number `first + m`) × group (column g: the customers
    of region code groups["region"][g], segment code groups["segment"][g] and rep groups["owner_id"][g])."""

    first: int
    groups: dict[str, np.ndarray]
    revenue: np.ndarray  # months × groups: Σ amount
    orders: np.ndarray  # months × groups: order count
    active: np.ndarray  # months × groups: customers with an order in the month
    new: np.ndarray  # months × groups: of those, the customers whose first order ever is in the month
    cohorts: np.ndarray  # months × COHORT_AGES × groups: customers acquired `age` months before, buying in the month

    @property
    def months(self) -> int:
        return self.revenue.shape[0]

    def months_of(self, measure: np.ndarray, groups: np.ndarray, first: int, months: int) -> np.ndarray:
        """`measure` (one of the cube's arrays) of months [first, first + months) summed over the `groups` kept
        (a mask over the columns); zeros for months the cube does not hold."""
        shown = np.zeros((months, *measure.shape[1:-1]), dtype=measure.dtype)
        lo, hi = max(first, self.first), min(first + months, self.first + self.months)
        if lo < hi:
            shown[lo - first:hi - first] = measure[lo - self.first:hi - self.first][..., groups].sum(axis=-1)
        return shown


def build_cube(orders: dict[str, np.ndarray]) -> MonthlyCube:
    """The cube of CockpitFacts.orders (every revenue order: month, first_month, first_in_month, amount and the
    GROUPED_BY columns). Each cell is a weighted bincount: one pass per measure over the orders."""
    months = orders["month"]
    if months.size == 0:
        empty = np.zeros((0, 0))
        return MonthlyCube(0, {name: np.zeros(0, np.int64) for name in GROUPED_BY}, empty, empty, empty, empty,
                           np.zeros((0, COHORT_AGES, 0)))
    key = np.zeros(months.size, dtype=np.int64)
    for name in GROUPED_BY:  # codes from −1 and owner ids from −1: one int64 per combination
        values = orders[name].astype(np.int64) + 1
        key = key * (int(values.max()) + 1) + values
    group, combinations = pd.factorize(key, sort=True)
    at = np.unique(group, return_index=True)[1]
    groups = {name: orders[name][at].astype(np.int64) for name in GROUPED_BY}
    first = int(months.min())
    size, width = int(months.max()) - first + 1, len(combinations)
    cell = (months - first) * width + group

    def summed(weights: np.ndarray | None, where: np.ndarray | None = None) -> np.ndarray:
        cells = cell if where is None else cell[where]
        values = None if weights is None else (weights if where is None else weights[where])
        return np.bincount(cells, weights=values, minlength=size * width).reshape(size, width)

    active = orders["first_in_month"]
    new = active & (orders["first_month"] == months)
    age = months - orders["first_month"]
    young = active & (age < COHORT_AGES)
    cohort_cell = ((months[young] - first) * COHORT_AGES + age[young]) * width + group[young]
    cohorts = np.bincount(cohort_cell, minlength=size * COHORT_AGES * width).reshape(size, COHORT_AGES, width)
    return MonthlyCube(first, groups, summed(orders["amount"]), summed(None), summed(None, active),
                       summed(None, new), cohorts)


@per_snapshot
def monthly_cube(cf: CockpitFacts) -> MonthlyCube:
    """The cube of `cf`, built on first use and kept while `cf` lives."""
    return build_cube(cf.orders)
