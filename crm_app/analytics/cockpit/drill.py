"""The cockpit's drill-downs: the records behind each chart."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_app.analytics.cockpit.columns import CockpitFacts
from crm_app.analytics.cockpit.filters import CockpitFilters, filtered, open_deals, filtered_feedback, filtered_orders
from crm_app.analytics.cockpit.periods import nanoseconds
from crm_app.analytics.cockpit.series import campaign_results
from crm_app.domain import OPEN_STAGES

# The rows behind each chart: the chart's key (its card's data-testid suffix) → what it counts.
DRILLS = {"revenue": "orders", "orders": "orders", "region": "orders", "segment": "orders", "category": "orders",
          "customers": "orders", "cohorts": "orders", "pipeline": "open deals", "win-rate": "closed deals",
          "satisfaction": "feedback", "campaigns": "campaigns"}


def _decoded(cf: CockpitFacts, name: str, codes: np.ndarray) -> np.ndarray:
    return np.asarray([*cf.labels[name], ""], dtype=object)[codes]  # code −1 (unknown) reads as ""


def _day_of(ns: np.ndarray) -> np.ndarray:
    """The UTC calendar day (datetime.date) of each nanosecond timestamp: a date to a download, not text."""
    return pd.to_datetime(ns, utc=True).date


def drill_down(cf: CockpitFacts, filters: CockpitFilters, chart: str) -> pd.DataFrame:
    """The records behind `chart` (a DRILLS key) for `filters`, newest first: the revenue orders of the
    period, the open deals, the deals closed in the period, the period's feedback or the campaigns. With a
    category filter an order's amount is its net amount in that category (as the charts count it)."""
    start, end, kind = filters.start, filters.end, DRILLS.get(chart)
    if kind == "orders":
        rows = filtered_orders(cf, filters, start, end, ("id", "ns", "amount", "customer", "region", "segment",
                                                         "channel", "owner_id"))
        picked = {name: cf.orders[name][rows["row"]] for name in ("region", "segment", "channel", "owner_id")}
        known = rows["customer"] >= 0
        customer = np.where(known, cf.customer_ids[np.where(known, rows["customer"], 0)], -1)
        frame = pd.DataFrame({"order": rows["id"], "day": _day_of(rows["ns"]), "customer": customer,
                              "region": _decoded(cf, "region", picked["region"]),
                              "segment": _decoded(cf, "segment", picked["segment"]),
                              "channel": _decoded(cf, "channel", picked["channel"]), "rep": picked["owner_id"],
                              "amount": np.round(rows["amount"], 2)})
        return frame.iloc[::-1].reset_index(drop=True)
    if kind in ("open deals", "closed deals"):
        deals = filtered(cf, cf.deals, filters, "deals")
        if kind == "open deals":
            keep = open_deals(cf, deals, filters)
        else:
            keep = ((deals["closed_ns"] >= nanoseconds(start)) & (deals["closed_ns"] < nanoseconds(end))
                    & (deals["stage"] >= len(OPEN_STAGES)))
        frame = pd.DataFrame({"deal": deals["id"][keep], "stage": _decoded(cf, "stage", deals["stage"][keep]),
                              "rep": deals["owner_id"][keep], "amount": np.round(deals["amount"][keep], 2),
                              "probability": deals["probability"][keep]})
        return frame.sort_values("deal", ascending=False, kind="stable").reset_index(drop=True)
    if kind == "feedback":
        feedback = filtered_feedback(cf, filters, start, end)
        frame = pd.DataFrame({"feedback": feedback["id"], "day": _day_of(feedback["ns"]),
                              "region": _decoded(cf, "region", feedback["region"]),
                              "segment": _decoded(cf, "segment", feedback["segment"]),
                              "csat": feedback["csat"], "nps": feedback["nps"],
                              "topic": _decoded(cf, "topic", feedback["topic"])})
        return frame.iloc[::-1].reset_index(drop=True)
    if kind == "campaigns":
        return campaign_results(cf, filters, start, end).reset_index(drop=True)
    return pd.DataFrame()
