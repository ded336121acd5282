"""The cockpit's order cube: per calendar month, and per UTC day, and per customer group (a region, a segment and
a rep together, what belongs to the customer), the sums of the revenue orders that the charts and cards read,
summed once per snapshot. A filter change then reads a few thousand cells instead of the orders: the monthly trend
and the cohorts (two years of orders), the revenue per region, segment and category and the period's revenue and
orders (at ten million orders, copying and gathering those orders was most of a change's time).

Channel and category belong to the order, not to the customer, so a view filtered by either still reads the
orders themselves (filters.by_customer); so does the month holding the period's end, which the period may cut short.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    keys: np.ndarray  # each column's group as one mixed-radix number of its codes (sorted; `_keys`)
    radices: tuple[int, ...]
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


def _keys(orders: dict[str, np.ndarray], radices: tuple[int, ...]) -> np.ndarray | None:
    """Each order's group as one int64: its codes (region, segment from −1, rep id from −1) in mixed radix; None
    when a code does not fit its radix."""
    key = np.zeros(orders["month"].size, dtype=np.int64)
    for name, radix in zip(GROUPED_BY, radices):
        values = orders[name].astype(np.int64) + 1
        if values.size and (values.min() < 0 or values.max() >= radix):
            return None
        key = key * radix + values
    return key


@dataclass(frozen=True)
class _Axes:
    """The cube's months [first_month, first_month + months) and days, and its group count."""

    first_month: int
    months: int
    first_day: int
    days: int
    width: int

    def of(self, orders: dict[str, np.ndarray]) -> _Axes:
        """These axes stretched to hold `orders` too."""
        if not orders["month"].size:
            return self
        dated = orders["ns"][orders["ns"] > np.iinfo(np.int64).min] // DAY_NS
        months = (min(self.first_month, int(orders["month"].min())),
                  max(self.first_month + self.months, int(orders["month"].max()) + 1))
        days = (min(self.first_day, int(dated.min(initial=self.first_day))),
                max(self.first_day + self.days, int(dated.max(initial=self.first_day + self.days - 1)) + 1))
        return _Axes(months[0], months[1] - months[0], days[0], days[1] - days[0], self.width)


def _sums(orders: dict[str, np.ndarray], categories: np.ndarray, group: np.ndarray, axes: _Axes) -> \
        tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The monthly and daily measures (OrderCube) of `orders` on `axes`, `group` each order's column. Each cell
    is a weighted bincount: one pass per measure over the orders."""
    width = axes.width

    def summed(cell: np.ndarray, size: int, weights: np.ndarray | None = None,
               where: np.ndarray | None = None) -> np.ndarray:
        """Σ weights (or a count) per cell of the rows `where` holds, as units × [inner ×] groups."""
        if where is not None:
            cell, weights = cell[where], None if weights is None else weights[where]
        return np.bincount(cell, weights=weights, minlength=size * width).reshape(-1, width)

    months = orders["month"]
    month_cell = (months - axes.first_month) * width + group
    active = orders["first_in_month"]
    age = months - orders["first_month"]
    young = active & (age < COHORT_AGES)
    cohort_cell = ((months[young] - axes.first_month) * COHORT_AGES + age[young]) * width + group[young]

    dated = orders["ns"] > np.iinfo(np.int64).min  # an order without a date is before every period
    dated = slice(None) if dated.all() else dated  # (views, not copies, when every order has one)
    day_cell = (orders["ns"][dated] // DAY_NS - axes.first_day) * width + group[dated]
    kinds = categories.shape[1] if categories.ndim == 2 else 0
    monthly = {"revenue": summed(month_cell, axes.months, orders["amount"]),
               "orders": summed(month_cell, axes.months),
               "active": summed(month_cell, axes.months, where=active),
               "new": summed(month_cell, axes.months, where=active & (age == 0)),
               "cohorts": summed(cohort_cell, axes.months * COHORT_AGES).reshape(axes.months, COHORT_AGES, width)}
    daily = {"revenue": summed(day_cell, axes.days, orders["amount"][dated]),
             "orders": summed(day_cell, axes.days),
             "categories": np.stack([summed(day_cell, axes.days, categories[dated, kind]) for kind in range(kinds)],
                                    axis=1) if kinds else np.zeros((axes.days, 0, width))}
    return monthly, daily


def build_cube(orders: dict[str, np.ndarray], categories: np.ndarray) -> OrderCube:
    """The cube of CockpitFacts.orders and .categories."""
    radices = tuple(int(orders[name].astype(np.int64).max(initial=-1)) + 2 for name in GROUPED_BY)
    group, combinations = pd.factorize(_keys(orders, radices), sort=True)
    keys = np.asarray(combinations, dtype=np.int64)
    rest, groups = keys, {}
    for name, radix in reversed(list(zip(GROUPED_BY, radices))):
        rest, groups[name] = np.divmod(rest, radix)
        groups[name] -= 1
    days = orders["ns"][orders["ns"] > np.iinfo(np.int64).min] // DAY_NS
    # (not min(initial=0): that is 0 for any month or day number, and the cube would start in the year 0)
    first_month, first_day = (int(values.min()) if values.size else 0 for values in (orders["month"], days))
    axes = _Axes(first_month, int(orders["month"].max(initial=first_month - 1)) - first_month + 1,
                 first_day, int(days.max(initial=first_day - 1)) - first_day + 1, len(keys))
    monthly, daily = _sums(orders, categories, group, axes)
    return OrderCube(groups=groups, keys=keys, radices=radices, first_month=axes.first_month, monthly=monthly,
                     first_day=axes.first_day, daily=daily)


def carried_cube(cube: OrderCube, before: CockpitFacts, after: CockpitFacts) -> OrderCube | None:
    """The cube of `after`, which is `before` with orders merged in (columns.append_orders), from `before`'s
    cube: the orders of the customers who ordered taken out as they were and added as they are (a new order
    changes its customer's first-month, first-in-month and cohort flags); None when a merged order belongs to
    a group the cube has no column for (then only a full build is right). Revenue comes out within rounding
    of a full build, the counts exactly."""
    ordered = np.bincount(after.orders["customer"] + 1, minlength=after.customers + 2) != \
        np.bincount(before.orders["customer"] + 1, minlength=after.customers + 2)
    parts = []
    for cf in (before, after):
        rows = np.flatnonzero(ordered[cf.orders["customer"] + 1])
        orders = {name: cf.orders[name].take(rows) for name in
                  ("month", "first_month", "first_in_month", "ns", "amount", *GROUPED_BY)}
        key = _keys(orders, cube.radices)
        column = np.searchsorted(cube.keys, key) if key is not None else None
        if column is None or (column.size and (column.max() >= cube.keys.size or
                                               (cube.keys[column] != key).any())):
            return None
        parts.append((orders, cf.categories[rows], column))
    old = _Axes(cube.first_month, cube.monthly["orders"].shape[0], cube.first_day, cube.daily["orders"].shape[0],
                cube.keys.size)
    axes = old.of(parts[1][0])
    (removed, removed_daily), (added, added_daily) = (_sums(*part, axes) for part in parts)

    def stretched(measure: np.ndarray, lead: int, size: int) -> np.ndarray:
        return np.pad(measure, [(lead, size - lead - measure.shape[0])] + [(0, 0)] * (measure.ndim - 1))

    months_lead, days_lead = old.first_month - axes.first_month, old.first_day - axes.first_day
    monthly = {name: stretched(values, months_lead, axes.months) - removed[name] + added[name]
               for name, values in cube.monthly.items()}
    daily = {name: stretched(values, days_lead, axes.days) - removed_daily[name] + added_daily[name]
             for name, values in cube.daily.items()}
    return replace(cube, first_month=axes.first_month, monthly=monthly, first_day=axes.first_day, daily=daily)


@per_snapshot
def order_cube(cf: CockpitFacts) -> OrderCube:
    """The cube of `cf`, built on first use and kept while `cf` lives."""
    return build_cube(cf.orders, cf.categories)


def customer_groups(cf: CockpitFacts, filters: CockpitFilters) -> np.ndarray:
    """The order cube's customer groups within the filters (a mask over its columns)."""
    return view_mask(cf, order_cube(cf).groups, filters, "customers")


def carry_cube(before: CockpitFacts, after: CockpitFacts) -> None:
    """Give `after` (`before` with orders merged in, or the same columns mapped from a file) a cube carried
    over from `before`'s when that one is built: at ten million orders a full build takes seconds, and the
    first filter change after a write would wait on it."""
    cube = order_cube.known(before)
    if cube is None or order_cube.known(after) is not None:
        return
    # Orders are only ever added: the same count is the same orders (a snapshot mapped from its own file).
    same = after.orders["ns"].size == before.orders["ns"].size
    carried = cube if same else carried_cube(cube, before, after)
    if carried is not None:
        order_cube.keep(after, carried)
