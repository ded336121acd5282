"""The cockpit's chart series: monthly trends, revenue by dimension, cohorts, the funnel, win rates by rep,
satisfaction by month, detractor topics and campaign results."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from crm_app.analytics import measures
from crm_app.analytics.cockpit.columns import STAGES, CockpitFacts
from crm_app.analytics.cockpit.cube import COHORT_AGES, customer_groups, order_cube
from crm_app.analytics.cockpit.filters import (ORDER_FIELDS, CockpitFilters, by_customer, distinct_customers, filtered,
                                              open_deals, within, filtered_feedback, filtered_orders)
from crm_app.analytics.cockpit.kpis import campaign_totals
from crm_app.analytics.cockpit.periods import last_month, month_label, month_start, nanoseconds
from crm_app.analytics.topics import top_topics
from crm_app.analytics.uplift import uplift_totals
from crm_app.domain import OPEN_STAGES, is_detractor, is_promoter, is_satisfied

TREND_MONTHS, COHORT_MONTHS = 24, 12


def monthly_orders(cf: CockpitFacts, filters: CockpitFilters, end: date, months: int = TREND_MONTHS,
                   orders: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Per calendar month (the `months` up to the one holding end − 1 day): revenue, orders, aov, active,
    new (first revenue order ever in that month) and returning customers; the last month may be partial.
    `orders`, when given, are the filtered orders of at least these months (ORDER_FIELDS)."""
    last = last_month(end)
    first = last - months + 1
    if by_customer(filters):  # the full months from the cube, the month holding the end from its orders
        cube, groups = order_cube(cf), customer_groups(cf, filters)
        sums = {name: cube.months_of(name, groups, first, months - 1) for name in ("revenue", "orders", "active", "new")}
        tail = _month_sums(_orders_of(cf, filters, last, end), last, 1)
        sums = {name: np.concatenate([sums[name], tail[name]]) for name in sums}
    else:
        orders = within(orders if orders is not None else filtered_orders(cf, filters, month_start(first), end,
                                                                            ORDER_FIELDS), month_start(first), end)
        sums = _month_sums(orders, first, months, cf.customers)
    revenue, count, active, new = sums["revenue"], sums["orders"], sums["active"], sums["new"]
    aov = np.divide(revenue, count, out=np.full(months, np.nan), where=count > 0)
    return pd.DataFrame(
        {"revenue": revenue, "orders": count, "aov": aov, "active": active, "new": new, "returning": active - new},
        index=pd.Index([month_label(m) for m in range(first, first + months)], name="month"),
    )


def _orders_of(cf: CockpitFacts, filters: CockpitFilters, month: int, end: date) -> dict[str, np.ndarray]:
    """The filtered orders of `month` before `end` (ORDER_FIELDS)."""
    return filtered_orders(cf, filters, month_start(month), min(end, month_start(month + 1)), ORDER_FIELDS)


def _month_sums(orders: dict[str, np.ndarray], first: int, months: int,
                customers: int | None = None) -> dict[str, np.ndarray]:
    """Revenue, orders, active and new customers per month [first, first + months) of time-sorted `orders`;
    `customers` (the snapshot's count) when the orders are a part of each customer's (a channel or category),
    so each month's customers must be counted again among them."""
    # The orders are in time order, so each month is one run of rows: its bounds by binary search, its sums per
    # run (bincounts over the two years' orders took 8.6 ms of a company view, the runs 2.0 ms).
    bounds = np.searchsorted(orders["month"], np.arange(first, first + months + 1))
    sums = {"revenue": _run_sums(orders["amount"], bounds), "orders": np.diff(bounds).astype(np.int64)}
    if customers is not None:  # each month's customers on a bitmap (a hash of two years' orders cost more)
        runs = [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]
        new = orders["first_month"] == orders["month"]
        sums["active"] = np.array([_distinct(orders["customer"][run], customers) for run in runs], dtype=np.int64)
        sums["new"] = np.array([_distinct(orders["customer"][run][new[run]], customers) for run in runs],
                               dtype=np.int64)
    else:  # region, segment and rep belong to the customer: "first order of the month" needs no re-ranking
        keep = orders["first_in_month"]
        sums["active"] = _run_sums(keep, bounds, np.int64)
        sums["new"] = _run_sums(keep & (orders["first_month"] == orders["month"]), bounds, np.int64)
    return sums


def _distinct(customers: np.ndarray, size: int) -> int:
    """How many distinct customers (positions below `size`, or −1) `customers` holds."""
    return int(np.count_nonzero(distinct_customers(customers, size))) if customers.size else 0


def _run_sums(values: np.ndarray, bounds: np.ndarray, dtype=None) -> np.ndarray:
    """The sum of values[bounds[k]:bounds[k + 1]] for each k (0 for an empty run)."""
    sums = np.zeros(bounds.size - 1, dtype=dtype or values.dtype)
    filled = np.flatnonzero(bounds[1:] > bounds[:-1])
    if filled.size:
        sums[filled] = np.add.reduceat(values[:bounds[-1]], bounds[:-1][filled], dtype=dtype)
    return sums


def revenue_by(cf: CockpitFacts, filters: CockpitFilters, by: str, start: date, end: date,
               orders: dict[str, np.ndarray] | None = None) -> pd.Series:
    """Revenue in [start, end) per region, segment, channel or category (every label, 0 when none). `orders`,
    when given, are the filtered orders of at least the period ("ns", "amount")."""
    labels = cf.labels[by]
    if by_customer(filters) and by != "channel":  # per day and customer group, from the order cube
        cube, groups = order_cube(cf), customer_groups(cf, filters)
        if by == "category":
            totals = cube.days_of("categories", start, end)[:, groups].sum(axis=1)
        else:
            revenue, codes = cube.days_of("revenue", start, end), cube.groups[by]
            known = groups & (codes >= 0)
            totals = np.bincount(codes[known], weights=revenue[known], minlength=len(labels))
    elif by == "category":
        rows = filtered_orders(cf, replace(filters, category=None), start, end, ())["row"]
        # Every order of the period (the company's view) is one block of rows: summed in place, not gathered.
        whole = rows.size and rows[-1] - rows[0] + 1 == rows.size
        kept = cf.categories[rows[0]:rows[-1] + 1] if whole else cf.categories[rows]
        totals = kept.sum(axis=0, dtype=float) if rows.size else np.zeros(len(labels))
    else:
        orders = within(orders, start, end) if orders is not None else filtered_orders(cf, filters, start, end,
                                                                                        ("amount",))
        codes = cf.orders[by].take(orders["row"])
        known = codes >= 0
        totals = np.bincount(codes[known], weights=orders["amount"][known], minlength=len(labels))
    return pd.Series(totals, index=pd.Index(labels, name=by), name="revenue")


def cohort_matrix(cf: CockpitFacts, filters: CockpitFilters, end: date, months: int = COHORT_MONTHS,
                  orders: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """cohort_retention of the customers acquired in the `months` months up to `end`, within the filters:
    row = cohort month "YYYY-MM", column k = share of the cohort buying in month cohort + k (NaN not yet seen)."""
    last = last_month(end)
    first = last - months + 1
    if by_customer(filters) and months <= COHORT_AGES:  # full months from the cube, the last from its orders
        buying = order_cube(cf).months_of("cohorts", customer_groups(cf, filters), first, months)[:, :months]
        month, age = np.indices((months, months))
        counts = np.zeros((months, months))
        full = (age <= month) & (month < months - 1)
        np.add.at(counts, (month[full] - age[full], age[full]), buying[full])
        tail = _orders_of(cf, filters, last, end)
        keep = tail["first_in_month"] & (tail["first_month"] >= first)
        np.add.at(counts, (tail["first_month"][keep] - first, last - tail["first_month"][keep]), 1)
    else:
        orders = within(orders if orders is not None else filtered_orders(cf, filters, month_start(first), end,
                                                                            ORDER_FIELDS), month_start(first), end)
        keep = orders["first_month"] >= first
        if by_customer(filters):
            keep &= orders["first_in_month"]
            cohort, age = orders["first_month"][keep] - first, orders["month"][keep] - orders["first_month"][keep]
            counts = np.bincount(cohort * months + age, minlength=months * months).reshape(months, months)
        else:
            counts = _kept_cohorts(orders, keep, first, months, cf.customers)
        counts = counts.astype(float)
    sizes = counts[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = counts / sizes[:, None]
    seen = (last - (first + np.arange(months)))[:, None] >= np.arange(months)[None, :]
    rates = np.where(seen & (sizes[:, None] > 0), rates, np.nan)
    return pd.DataFrame(rates, index=pd.Index([month_label(first + k) for k in range(months)], name="cohort"),
                        columns=pd.RangeIndex(months, name="months_since_acquisition"))


def _kept_cohorts(orders: dict[str, np.ndarray], keep: np.ndarray, first: int, months: int,
                  customers: int) -> np.ndarray:
    """Cohort counts of time-sorted `orders` that are a part of each customer's (a channel, a category): a
    customer's cohort is the month of their first order among them (from `first`, where `keep`), and
    counts[cohort, age] how many of the cohort have one `age` months later. Month by month, on bitmaps."""
    counts = np.zeros((months, months), dtype=np.int64)
    start = np.full(customers + 1, -1, dtype=np.int64)  # each customer's cohort month (−1: none yet)
    bounds = np.searchsorted(orders["month"], np.arange(first, first + months + 1))
    for month, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        present = np.flatnonzero(distinct_customers(orders["customer"][lo:hi][keep[lo:hi]], customers))
        if present.size:
            start[present[start[present] < 0]] = month
            counts += np.bincount(start[present] * months + month - start[present],
                                  minlength=months * months).reshape(months, months)
    return counts


def pipeline_by_stage(cf: CockpitFacts, filters: CockpitFilters) -> pd.DataFrame:
    """Deals and Σ amount per open stage, in funnel order (each deal's current stage); every stage whatever
    filters.stage, so the funnel keeps its shape and marks the chosen one."""
    deals = filtered(cf, cf.deals, filters, "deals", ("stage", "amount"))
    open_deal = open_deals(cf, deals, replace(filters, stage=None))
    stage = deals["stage"][open_deal]
    return pd.DataFrame(
        {"deals": np.bincount(stage, minlength=len(OPEN_STAGES)),
         "amount": np.bincount(stage, weights=deals["amount"][open_deal], minlength=len(OPEN_STAGES))},
        index=pd.Index(list(OPEN_STAGES), name="stage"),
    )


def win_rate_by_owner(cf: CockpitFacts, filters: CockpitFilters, start: date, end: date) -> pd.DataFrame:
    """win_rate per rep over the deals closed in [start, end): won, lost, rate (reps with a closed deal)."""
    deals = filtered(cf, cf.deals, filters, "deals", ("closed_ns", "stage", "owner_id"))
    closed = (deals["closed_ns"] >= nanoseconds(start)) & (deals["closed_ns"] < nanoseconds(end))
    won = closed & (deals["stage"] == STAGES.index("Won"))
    lost = closed & (deals["stage"] == STAGES.index("Lost"))
    # The reps with a closed deal, by numpy on the closed deals alone (a pandas group-by of every deal cost more).
    decided = won | lost
    owners, rep = np.unique(deals["owner_id"][decided], return_inverse=True)
    wins = np.bincount(rep, weights=won[decided], minlength=owners.size).astype(np.int64)
    losses = np.bincount(rep, weights=lost[decided], minlength=owners.size).astype(np.int64)
    return pd.DataFrame({"won": wins, "lost": losses, "rate": wins / (wins + losses)},
                        index=pd.Index(owners, name="owner_id"))


def satisfaction_monthly(cf: CockpitFacts, filters: CockpitFilters, end: date, months: int = 12) -> pd.DataFrame:
    """CSAT (fraction of 4-5 answers) and NPS (points) per month for the `months` months up to `end`."""
    first = last_month(end) - months + 1
    feedback = filtered_feedback(cf, filters, month_start(first), end)
    index = feedback["month"] - first
    answered_csat, answered_nps = ~np.isnan(feedback["csat"]), ~np.isnan(feedback["nps"])

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(index[mask], minlength=months).astype(float)

    csat_n, nps_n = count(answered_csat), count(answered_nps)
    satisfied = count(answered_csat & is_satisfied(feedback["csat"]))
    promoters = count(answered_nps & is_promoter(feedback["nps"]))
    detractors = count(answered_nps & is_detractor(feedback["nps"]))
    # Twelve months: the kernels per month cost nothing next to the counts above.
    csat = [measures.ratio(s, n) for s, n in zip(satisfied, csat_n)]
    nps = [measures.net_promoter_score(p, d, n) for p, d, n in zip(promoters, detractors, nps_n)]
    return pd.DataFrame(
        {"csat": np.array(csat, dtype=float), "nps": np.array(nps, dtype=float),
         "answers": np.maximum(csat_n, nps_n).astype(int)},
        index=pd.Index([month_label(m) for m in range(first, first + months)], name="month"),
    )


def detractor_topics(cf: CockpitFacts, feedback: dict[str, np.ndarray], limit: int = 5) -> list[tuple[str, int]]:
    """The topics detractors (NPS 0-6) mention most, with their counts (top_topics' order)."""
    topics = feedback["topic"][is_detractor(feedback["nps"]) & (feedback["topic"] >= 0)]
    names = pd.Series(np.asarray(cf.labels["topic"], dtype=object)[topics] if topics.size else [], dtype=object)
    return top_topics(names, limit)


def campaign_results(cf: CockpitFacts, filters: CockpitFilters, start: date, end: date, limit: int = 12) -> pd.DataFrame:
    """The campaigns running at any time in [start, end) (the latest `limit`): name, targets, responders,
    response_rate and roi over the contacted targets within the filters, and holdout_targets, uplift (with
    uplift_low/high) and incremental_roi against the holdout (campaign_performance's definitions)."""
    running = cf.campaigns.loc[(cf.campaigns["start_date"] < pd.Timestamp(end))
                               & (cf.campaigns["end_date"] >= pd.Timestamp(start))]
    totals = campaign_totals(cf, filters, running.sort_values("start_date").tail(limit))
    # The few campaigns' columns as Python numbers and one assign: pandas' per-column and per-row calls and numpy
    # scalars' arithmetic cost more than the figures themselves.
    column = {name: totals[name].to_numpy().tolist() for name in ("responders", "targets", "holdout_responders",
                                                                   "holdout_targets", "revenue", "holdout_revenue",
                                                                   "cost")}
    against_holdout = [uplift_totals(*row) for row in zip(*column.values())]
    shown = totals.assign(  # None (no base) as NaN, as before
        response_rate=np.array([measures.response_rate(r, n) for r, n in zip(column["responders"], column["targets"])],
                               dtype=float),
        roi=np.array([measures.roi(r, c) for r, c in zip(column["revenue"], column["cost"])], dtype=float),
        **{name: np.array([getattr(figures, name) for figures in against_holdout], dtype=float)
           for name in ("uplift", "uplift_low", "uplift_high", "incremental_roi")})
    return shown[["name", "targets", "responders", "response_rate", "roi", "holdout_targets", "uplift", "uplift_low",
                  "uplift_high", "incremental_roi"]]


def monthly_revenue(cf: CockpitFacts) -> pd.Series:
    """Revenue of every calendar month from the first order to the last month completed by `as_of`,
    indexed by the month's first day (as forecast.revenue_series gives it, from the snapshot)."""
    months = cf.orders["month"]
    last = cf.as_of.year * 12 + cf.as_of.month - 2
    if months.size == 0 or months.min() > last:
        return pd.Series([], index=pd.DatetimeIndex([], freq="MS"), name="revenue", dtype=float)
    first = int(months.min())
    keep = months <= last
    totals = np.bincount(months[keep] - first, weights=cf.orders["amount"][keep], minlength=last - first + 1)
    index = pd.date_range(pd.Timestamp(month_start(first)), periods=last - first + 1, freq="MS", name="period")
    return pd.Series(totals, index=index, name="revenue")
