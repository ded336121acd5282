"""The cockpit's filter engine: which rows of the fact store one view (`CockpitFilters`) keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from crm_app.analytics.cockpit.columns import CockpitFacts
from crm_app.analytics.cockpit.periods import nanoseconds
from crm_app.analytics.filters import FILTERED_BY, row_mask
from crm_app.analytics.words import Words
from crm_app.domain import OPEN_STAGES


@dataclass(frozen=True)
class CockpitFilters:
    """One view of the cockpit: the period [start, end) (end exclusive), the comparison and the slicers.

    `stage` (an open deal stage, from a click on the pipeline funnel) narrows the figures made of open deals
    only: the weighted pipeline card and the pipeline's rows. A stage belongs to a deal, not to an order,
    a customer or an answer, so every other card and chart stays as the other filters make it.
    """

    start: date
    end: date
    compare: str = "previous_period"
    region: str | None = None
    segment: str | None = None
    category: str | None = None
    channel: str | None = None
    owner_id: int | None = None
    stage: str | None = None

    def described(self, owner_names: dict[int, str] | None = None) -> str:
        """The active filters in words, e.g. "2026-01-01 to 2026-01-31 · region EMEA"."""
        return " · ".join(self.described_parts(owner_names))

    def described_parts(self, owner_names: dict[int, str] | None = None) -> list[Words]:
        """Each active filter in words, the dates first (each part can be said in the reader's language)."""
        parts = [Words("{start} to {end}", start=self.start.isoformat(),
                       end=(self.end - timedelta(days=1)).isoformat())]
        for name in ("region", "segment", "category", "channel"):
            if getattr(self, name):
                parts.append(Words("{scope} {value}", scope=name, value=getattr(self, name)))
        if self.owner_id is not None:
            parts.append(Words("rep {name}", name=str((owner_names or {}).get(self.owner_id, self.owner_id))))
        if self.stage:
            parts.append(Words("open deals in {stage}", stage=self.stage))
        return parts


def by_customer(filters: CockpitFilters) -> bool:
    """Whether the view slices only by what belongs to the customer (region, segment, rep): each customer's
    orders are then all in or all out, so the monthly cube and each order's `previous_ns` hold for it; a channel
    or a category keeps a part of a customer's orders."""
    return filters.channel is None and filters.category is None


def _code(cf: CockpitFacts, name: str, label: str) -> int:
    choices = cf.labels.get(name, [])
    return choices.index(label) if label in choices else -2  # an unknown label matches nothing


def view_mask(cf: CockpitFacts, columns: dict[str, np.ndarray], filters: CockpitFilters, table: str) -> np.ndarray:
    """Rows of `columns` (of fact `table`) within the filters, by the shared rules (analytics.filters)."""
    wanted = {name: getattr(filters, name) if name == "owner_id" or getattr(filters, name) is None
              else _code(cf, name, getattr(filters, name)) for name in FILTERED_BY[table]}
    return row_mask(columns, wanted, table)


def _window(columns: dict[str, np.ndarray], start, end) -> slice:
    lo, hi = np.searchsorted(columns["ns"], [nanoseconds(start), nanoseconds(end)])
    return slice(int(lo), int(hi))


def filtered_orders(cf: CockpitFacts, filters: CockpitFilters, start, end,
                    fields: tuple[str, ...] = ("ns", "amount", "customer")) -> dict[str, np.ndarray]:
    """`fields` of the revenue orders in [start, end) within the filters, plus "row" (the position in
    cf.orders). With a category, an order's amount is the net amount of its lines in that category, and
    orders without such lines drop out."""
    window = _window(cf.orders, start, end)
    columns = {name: cf.orders[name][window] for name in (*fields, *FILTERED_BY["orders"]) if name in cf.orders}
    mask = view_mask(cf, columns, filters, "orders")
    if filters.category is not None:
        code = _code(cf, "category", filters.category)
        amounts = cf.categories[window, code] if code >= 0 else np.zeros(mask.size)  # a view: float already
        columns["amount"] = amounts
        mask &= amounts > 0
    if mask.all():
        columns["row"] = np.arange(window.start, window.stop)
        return columns
    # The positions once, then a take per column asked for (a boolean mask would search them per column).
    kept = np.flatnonzero(mask)
    columns["row"] = kept + window.start
    return {name: columns[name].take(kept) if name != "row" else columns["row"] for name in (*fields, "row")}


ORDER_FIELDS = ("ns", "amount", "customer", "month", "first_month", "first_in_month")  # cards, monthly series


def within(orders: dict[str, np.ndarray], start, end) -> dict[str, np.ndarray]:
    """The rows of already filtered, time-sorted orders in [start, end), as views (no copy)."""
    window = _window(orders, start, end)
    return {name: values[window] for name, values in orders.items()}


def filtered_feedback(cf: CockpitFacts, filters: CockpitFilters, start, end) -> dict[str, np.ndarray]:
    """Feedback submitted in [start, end) by customers within the region, segment and rep filters."""
    window = _window(cf.feedback, start, end)
    columns = {name: values[window] for name, values in cf.feedback.items()}
    return _kept(columns, view_mask(cf, columns, filters, "feedback"))


def filtered(cf: CockpitFacts, columns: dict[str, np.ndarray], filters: CockpitFilters, table: str,
             fields: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """`fields` (default: all) of the rows of `columns` (of fact `table`: "deals", "customers") within the
    filters (a million customers' six columns copied for a region view cost more than its cards)."""
    return _kept(columns, view_mask(cf, columns, filters, table), fields)


def _kept(columns: dict[str, np.ndarray], mask: np.ndarray,
          fields: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """`fields` (default: all) of the rows of `columns` where `mask` holds; the columns themselves when it holds
    everywhere (the company's view keeps every deal and customer, and copying them was about 8 ms of its 57)."""
    names = tuple(columns) if fields is None else fields
    if mask.all():
        return {name: columns[name] for name in names}
    kept = np.flatnonzero(mask)
    return {name: columns[name].take(kept) for name in names}


def open_deals(cf: CockpitFacts, deals: dict[str, np.ndarray], filters: CockpitFilters) -> np.ndarray:
    """Deals in an open stage (pipeline_value's), or in `filters.stage` alone when one is chosen."""
    if filters.stage is not None:
        return deals["stage"] == (_code(cf, "stage", filters.stage) if filters.stage in OPEN_STAGES else -2)
    return (deals["stage"] >= 0) & (deals["stage"] < len(OPEN_STAGES))


def distinct_customers(customers: np.ndarray, size: int) -> np.ndarray:
    """A bitmap of the customers present (a bitmap beats np.unique by far on hundreds of thousands of rows)."""
    seen = np.zeros(size + 1, dtype=bool)
    seen[customers] = True
    return seen
