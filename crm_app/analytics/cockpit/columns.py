"""The cockpit's columnar fact store: the fact frames as time-sorted numpy columns (`CockpitFacts`), prepared
once per data version and merged with new orders cheaply."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from crm_app.analytics._common import utc
from crm_app.analytics.cockpit.periods import month_number
from crm_app.analytics.filters import net_by_order_and_category
from crm_app.analytics.quality import FIELD_WEIGHTS
from crm_app.domain import CLOSED_STAGES, OPEN_STAGES, REVENUE_STATUSES, TargetGroup

DIMENSIONS = ("region", "segment", "category", "channel", "owner_id")
STAGES = (*OPEN_STAGES, *CLOSED_STAGES)
T = TypeVar("T")


def _stamps(values: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds; missing ones as the smallest int64 (before any period)."""
    stamps = pd.to_datetime(values, utc=True).dt.as_unit("ns")
    return np.where(stamps.isna().to_numpy(), np.iinfo(np.int64).min, stamps.array.asi8)


def _codes(values: pd.Series, labels: list[str]) -> np.ndarray:
    """Each value's position in `labels` (−1 when missing or unknown)."""
    return pd.Categorical(values.astype("object"), categories=labels).codes.astype(np.int16)


def _owners(values: pd.Series) -> np.ndarray:
    return values.fillna(-1).astype(np.int64).to_numpy()


def previous_order(ns: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """Each time-sorted order's customer's previous revenue order time (the smallest int64 before their first).
    A customer is then active in [a, b) exactly once: at their order there whose previous one is before a."""
    together = np.argsort(customer, kind="stable")  # each customer's orders side by side, in time order
    same = customer[together][1:] == customer[together][:-1]
    previous = np.full(ns.size, np.iinfo(np.int64).min)
    previous[together[1:][same]] = ns[together][:-1][same]
    return previous


@dataclass(frozen=True)
class CockpitFacts:
    """The fact tables as sorted numpy columns, prepared once per data version (see the module docstring).

    Labels are codes into `labels[...]`; reps are their user ids (−1 for none); timestamps int64 ns UTC.
    """

    as_of: pd.Timestamp
    labels: dict[str, list[str]]
    customers: int
    orders: dict[str, np.ndarray]
    # orders × labels["category"]: net line amount of each order per category, column by column in memory
    # (Fortran order), so a category filter reads one contiguous column instead of striding across all of them
    categories: np.ndarray
    feedback: dict[str, np.ndarray]
    deals: dict[str, np.ndarray]
    customer_quality: dict[str, np.ndarray]
    campaigns: pd.DataFrame
    # targets, responders, revenue of the contacted and of the holdout per campaign × region × segment × rep
    campaign_targets: pd.DataFrame
    customer_ids: np.ndarray  # the customer id at each position `orders["customer"]` refers to


class per_snapshot(Generic[T]):
    """`build` (a pure function of a snapshot's facts) computed once per CockpitFacts and kept while they live:
    a snapshot is never changed in place (merged orders make new CockpitFacts). `known` and `keep` let a value
    be carried over from one snapshot to the next without building it again (cube.carry_cube)."""

    def __init__(self, build: Callable[[CockpitFacts], T]) -> None:
        self._build, self._kept = build, {}
        functools.update_wrapper(self, build)

    def __call__(self, cf: CockpitFacts) -> T:
        if id(cf) not in self._kept:
            self.keep(cf, self._build(cf))
        return self._kept[id(cf)]

    def known(self, cf: CockpitFacts) -> T | None:
        """The value of `cf` if it was built, else None (nothing is built)."""
        return self._kept.get(id(cf))

    def keep(self, cf: CockpitFacts, value: T) -> None:
        """Keep `value` as `cf`'s, while `cf` lives."""
        if id(cf) not in self._kept:
            weakref.finalize(cf, self._kept.pop, id(cf), None)
        self._kept[id(cf)] = value


def _category_amounts(lines: pd.DataFrame, order_ids: pd.Series, categories: list[str]) -> np.ndarray:
    """orders × categories: the net amount of each order's lines in each category (filters' category rule)."""
    by_category = net_by_order_and_category(lines)
    return np.asfortranarray(by_category.unstack(fill_value=0.0)
                             .reindex(index=order_ids.to_numpy(), columns=categories, fill_value=0.0).to_numpy(float))


def _sorted_by(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.sort_values(column, kind="stable").reset_index(drop=True)


def customer_quality_flags(customers: pd.DataFrame) -> pd.DataFrame:
    """Per customer: the weighted share of FIELD_WEIGHTS fields present (not missing, not blank), and whether
    another customer has the same email (case-insensitive) or the same phone digits."""
    weights = {f: w for f, w in FIELD_WEIGHTS.items() if f in customers.columns}
    score = np.zeros(len(customers))
    for name, weight in weights.items():
        values = customers[name]
        present = values.notna() & values.astype("string").str.strip().ne("").fillna(False)
        score += weight / sum(weights.values()) * present.to_numpy(dtype=float)
    duplicated = np.zeros(len(customers), dtype=bool)
    for key in (customers["email"].astype("string").str.strip().str.lower(),
                customers["phone"].astype("string").str.replace(r"\D", "", regex=True)):
        key = key.where(key.fillna("").ne(""))
        duplicated |= (key.duplicated(keep=False) & key.notna()).to_numpy()
    return pd.DataFrame({"field_score": score, "duplicated": duplicated}, index=customers.index)


def prepare_cockpit(facts, as_of: date | pd.Timestamp) -> CockpitFacts:
    """`facts` (crm_app.data.facts.Facts, or any object with the same frames) prepared for `evaluate`."""
    customers = facts.customers.reset_index(drop=True)
    labels = {
        "region": sorted(map(str, customers["region"].dropna().unique())),
        "segment": sorted(map(str, customers["segment"].dropna().unique())),
        "channel": sorted(map(str, facts.orders["channel"].dropna().unique())),
        "category": sorted(map(str, facts.lines["category"].dropna().unique())),
        "stage": list(STAGES),
        "topic": sorted(map(str, facts.feedback["topic"].dropna().unique())),
    }
    position = pd.Series(np.arange(len(customers)), index=customers["id"].to_numpy())

    paid = facts.orders.loc[facts.orders["status"].astype(str).isin(REVENUE_STATUSES)]
    paid = _sorted_by(paid, "ordered_at")
    month = month_number(paid["ordered_at"])
    customer = position.reindex(paid["customer_id"].to_numpy()).fillna(-1).to_numpy(np.int64)
    first_month = pd.Series(month).groupby(customer).transform("min").to_numpy()
    categories = _category_amounts(facts.lines, paid["id"], labels["category"])
    ns = _stamps(paid["ordered_at"])
    orders = {
        "id": paid["id"].to_numpy(np.int64),
        "ns": ns, "previous_ns": previous_order(ns, customer), "amount": paid["total_amount"].to_numpy(float),
        "customer": customer,
        "region": _codes(paid["region"], labels["region"]), "segment": _codes(paid["segment"], labels["segment"]),
        "channel": _codes(paid["channel"], labels["channel"]), "owner_id": _owners(paid["owner_id"]),
        "month": month, "first_month": first_month,
        "new": ~pd.Series(customer).duplicated().to_numpy(),
        "first_in_month": ~pd.Series(customer * 100_000 + month).duplicated().to_numpy(),
    }
    feedback = _sorted_by(facts.feedback, "submitted_at")
    deals = facts.deals
    quality = customer_quality_flags(customers)
    targets = facts.campaign_targets
    held = (targets["target_group"] == TargetGroup.holdout).to_numpy() if "target_group" in targets else \
        np.zeros(len(targets), dtype=bool)
    responded = targets["responded"].astype(bool).to_numpy()
    revenue = targets["attributed_revenue"].to_numpy(float)
    # Contacted and holdout totals side by side: the naive figures count the contacted, the uplift compares both.
    campaign_targets = (targets.assign(region=targets["region"].astype("object"),
                                       segment=targets["segment"].astype("object"),
                                       owner_id=targets["owner_id"].fillna(-1).astype(np.int64),
                                       contacted=~held, responded=responded & ~held, revenue=revenue * ~held,
                                       held=held, held_responded=responded & held, held_revenue=revenue * held)
                        .groupby(["campaign_id", "region", "segment", "owner_id"])
                        .agg(targets=("contacted", "sum"), responders=("responded", "sum"),
                             revenue=("revenue", "sum"), holdout_targets=("held", "sum"),
                             holdout_responders=("held_responded", "sum"), holdout_revenue=("held_revenue", "sum"))
                        .reset_index())
    return CockpitFacts(
        as_of=utc(as_of),
        labels=labels,
        customers=len(customers),
        orders=orders,
        categories=categories,
        feedback={
            "id": feedback["id"].to_numpy(np.int64),
            "ns": _stamps(feedback["submitted_at"]), "month": month_number(feedback["submitted_at"]),
            "region": _codes(feedback["region"], labels["region"]),
            "segment": _codes(feedback["segment"], labels["segment"]), "owner_id": _owners(feedback["owner_id"]),
            "csat": feedback["csat"].astype(float).to_numpy(), "nps": feedback["nps"].astype(float).to_numpy(),
            "topic": _codes(feedback["topic"], labels["topic"]),
        },
        deals={
            "id": deals["id"].to_numpy(np.int64),
            "region": _codes(deals["region"], labels["region"]), "segment": _codes(deals["segment"], labels["segment"]),
            "owner_id": _owners(deals["owner_id"]), "stage": _codes(deals["stage"], labels["stage"]),
            "amount": deals["amount"].to_numpy(float), "probability": deals["probability"].to_numpy(float),
            "closed_ns": _stamps(deals["closed_at"]),
        },
        customer_quality={
            "region": _codes(customers["region"], labels["region"]),
            "segment": _codes(customers["segment"], labels["segment"]), "owner_id": _owners(customers["owner_id"]),
            "field_score": quality["field_score"].to_numpy(), "duplicated": quality["duplicated"].to_numpy(),
            "updated_ns": _stamps(customers["updated_at"]),
        },
        campaigns=facts.campaigns.reset_index(drop=True),
        campaign_targets=campaign_targets,
        customer_ids=customers["id"].to_numpy(np.int64),
    )


def append_orders(cf: CockpitFacts, orders: pd.DataFrame, lines: pd.DataFrame) -> CockpitFacts | None:
    """`cf` with new orders (and their lines) merged in, as prepare_cockpit would have prepared them; None
    when they bring a label the snapshot does not know (then only a full prepare is right).

    Cheap for a few orders: each column gets the new rows inserted at their time, and only the customers
    who ordered have their first-month, new and first-in-month flags recomputed.
    """
    paid = _sorted_by(orders.loc[orders["status"].astype(str).isin(REVENUE_STATUSES)], "ordered_at")
    if paid.empty:
        return cf
    lines = lines.loc[lines["order_id"].isin(paid["id"])]
    for name, values in (("region", paid["region"]), ("segment", paid["segment"]), ("channel", paid["channel"]),
                         ("category", lines["category"])):
        if not set(map(str, values.dropna().unique())) <= set(cf.labels[name]):
            return None
    position = pd.Index(cf.customer_ids).get_indexer(paid["customer_id"].to_numpy())
    categories = _category_amounts(lines, paid["id"], cf.labels["category"])
    month = month_number(paid["ordered_at"])
    added = {
        "id": paid["id"].to_numpy(np.int64),
        "ns": _stamps(paid["ordered_at"]), "previous_ns": np.zeros(len(paid), np.int64),
        "amount": paid["total_amount"].to_numpy(float),
        "customer": position.astype(np.int64), "region": _codes(paid["region"], cf.labels["region"]),
        "segment": _codes(paid["segment"], cf.labels["segment"]),
        "channel": _codes(paid["channel"], cf.labels["channel"]), "owner_id": _owners(paid["owner_id"]),
        "month": month, "first_month": month, "new": np.zeros(len(paid), bool),
        "first_in_month": np.zeros(len(paid), bool),
    }
    at = np.searchsorted(cf.orders["ns"], added["ns"], side="right")
    merged = {name: _spliced(values, at, added[name]) for name, values in cf.orders.items()}
    for customer in np.unique(added["customer"]):
        rows = np.flatnonzero(merged["customer"] == customer)  # time order: the columns are sorted by time
        months = merged["month"][rows]
        merged["first_month"][rows] = months.min()
        merged["new"][rows] = np.arange(rows.size) == 0
        merged["first_in_month"][rows] = ~pd.Series(months).duplicated().to_numpy()
        merged["previous_ns"][rows] = np.concatenate([[np.iinfo(np.int64).min], merged["ns"][rows][:-1]])
    return replace(cf, orders=merged, categories=_spliced(cf.categories, at, categories),
                   as_of=max(cf.as_of, utc(paid["ordered_at"].max())))


def _spliced(values: np.ndarray, at: np.ndarray, added: np.ndarray) -> np.ndarray:
    """np.insert(values, at, added, axis=0) for positions `at` in ascending order, by copying the runs between
    them (np.insert assigns through a mask of every row: 2 s for the columns of ten million orders), keeping a
    2-d array's memory order (the categories are column by column)."""
    out = np.empty((values.shape[0] + at.size, *values.shape[1:]), dtype=values.dtype,
                   order="F" if values.ndim > 1 and values.flags.f_contiguous else "C")
    start = 0
    for k, position in enumerate(at.tolist()):
        out[start + k:position + k] = values[start:position]
        out[position + k] = added[k]
        start = position
    out[start + at.size:] = values[start:]
    return out

