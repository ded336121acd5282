"""The evaluation cockpit: every KPI card and chart of /cockpit for one set of filters, fast at a million orders.

`prepare_cockpit` turns the fact frames into `CockpitFacts` once per data version: revenue orders sorted by
time (so a date range is a binary search, not a scan), per-order flags that make monthly distinct-customer
counts a weighted `bincount`, each order's net amount per product category, and per-customer data-quality
flags. `evaluate` then filters by `CockpitFilters` and asks the analytics functions for each figure
(`sales_kpis`, `retention_rate`, `cohort_retention`, `csat_score`, `nps_score`, `win_rate`,
`pipeline_value`, `campaign_performance`, `discounted_clv`, `satisfaction_by`), so the cockpit, the report
and the tests share one definition per KPI. Pure: pandas and numpy only, no clock, no database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from crm_app.analytics._common import REVENUE_STATUSES, utc
from crm_app.analytics.clv import discounted_clv
from crm_app.analytics.kpis import OPEN_STAGES
from crm_app.analytics.quality import FIELD_WEIGHTS, OVERALL_WEIGHTS
from crm_app.analytics.topics import top_topics

PRESETS = {
    "this_month": "This month",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "quarter_to_date": "Quarter to date",
    "year_to_date": "Year to date",
    "custom": "Custom",
}
COMPARISONS = {"previous_period": "Previous period", "last_year": "Same period last year"}
DIMENSIONS = ("region", "segment", "category", "channel", "owner_id")
STAGES = (*OPEN_STAGES, "Won", "Lost")
# CLV: the trailing year's revenue per customer, kept for three years and discounted at 10 % a year.
CLV_YEARS, CLV_DISCOUNT_RATE = 3, 0.10
TREND_MONTHS, COHORT_MONTHS = 24, 12


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
        parts = [f"{self.start.isoformat()} to {(self.end - timedelta(days=1)).isoformat()}"]
        for name in ("region", "segment", "category", "channel"):
            if getattr(self, name):
                parts.append(f"{name} {getattr(self, name)}")
        if self.owner_id is not None:
            parts.append(f"rep {(owner_names or {}).get(self.owner_id, self.owner_id)}")
        if self.stage:
            parts.append(f"open deals in {self.stage}")
        return " · ".join(parts)


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


def _month_of(stamps: pd.Series) -> np.ndarray:
    return (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype=np.int64)


def _month_label(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def _month_start(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)


def _ns(day: date | pd.Timestamp) -> int:
    return utc(day).value


def _stamps(values: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds; missing ones as the smallest int64 (before any period)."""
    stamps = pd.to_datetime(values, utc=True).dt.as_unit("ns")
    return np.where(stamps.isna().to_numpy(), np.iinfo(np.int64).min, stamps.array.asi8)


def _codes(values: pd.Series, labels: list[str]) -> np.ndarray:
    """Each value's position in `labels` (−1 when missing or unknown)."""
    return pd.Categorical(values.astype("object"), categories=labels).codes.astype(np.int16)


def _owners(values: pd.Series) -> np.ndarray:
    return values.fillna(-1).astype(np.int64).to_numpy()


@dataclass(frozen=True)
class CockpitFacts:
    """The fact tables as sorted numpy columns, prepared once per data version (see the module docstring).

    Labels are codes into `labels[...]`; reps are their user ids (−1 for none); timestamps int64 ns UTC.
    """

    as_of: pd.Timestamp
    labels: dict[str, list[str]]
    customers: int
    orders: dict[str, np.ndarray]
    categories: np.ndarray  # orders × labels["category"]: net line amount of each order per category
    feedback: dict[str, np.ndarray]
    deals: dict[str, np.ndarray]
    customer_quality: dict[str, np.ndarray]
    campaigns: pd.DataFrame
    campaign_targets: pd.DataFrame  # targets, responders, revenue per campaign × region × segment × rep
    customer_ids: np.ndarray  # the customer id at each position `orders["customer"]` refers to


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
    month = _month_of(paid["ordered_at"])
    customer = position.reindex(paid["customer_id"].to_numpy()).fillna(-1).to_numpy(np.int64)
    first_month = pd.Series(month).groupby(customer).transform("min").to_numpy()
    net = facts.lines["quantity"].astype(float) * facts.lines["unit_price"] * (1 - facts.lines["discount"])
    by_category = net.groupby([facts.lines["order_id"], facts.lines["category"].astype(str)]).sum()
    categories = (by_category.unstack(fill_value=0.0).reindex(index=paid["id"].to_numpy(),
                  columns=labels["category"], fill_value=0.0).to_numpy(np.float32))
    orders = {
        "id": paid["id"].to_numpy(np.int64),
        "ns": _stamps(paid["ordered_at"]), "amount": paid["total_amount"].to_numpy(float), "customer": customer,
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
    campaign_targets = (targets.assign(region=targets["region"].astype("object"),
                                       segment=targets["segment"].astype("object"),
                                       owner_id=targets["owner_id"].fillna(-1).astype(np.int64),
                                       responded=targets["responded"].astype(bool))
                        .groupby(["campaign_id", "region", "segment", "owner_id"])
                        .agg(targets=("responded", "size"), responders=("responded", "sum"),
                             revenue=("attributed_revenue", "sum")).reset_index())
    return CockpitFacts(
        as_of=utc(as_of),
        labels=labels,
        customers=len(customers),
        orders=orders,
        categories=categories,
        feedback={
            "id": feedback["id"].to_numpy(np.int64),
            "ns": _stamps(feedback["submitted_at"]), "month": _month_of(feedback["submitted_at"]),
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


# The rows behind each chart: the chart's key (its card's data-testid suffix) → what it counts.
DRILLS = {"revenue": "orders", "orders": "orders", "region": "orders", "segment": "orders", "category": "orders",
          "customers": "orders", "cohorts": "orders", "pipeline": "open deals", "win-rate": "closed deals",
          "satisfaction": "feedback", "campaigns": "campaigns"}


def _decoded(cf: CockpitFacts, name: str, codes: np.ndarray) -> np.ndarray:
    return np.asarray([*cf.labels[name], ""], dtype=object)[codes]  # code −1 (unknown) reads as ""


def _day_of(ns: np.ndarray) -> np.ndarray:
    return pd.to_datetime(ns, utc=True).strftime("%Y-%m-%d").to_numpy(dtype=object)


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
        deals = _filtered(cf, cf.deals, filters)
        if kind == "open deals":
            keep = _open_deals(cf, deals, filters)
        else:
            keep = ((deals["closed_ns"] >= _ns(start)) & (deals["closed_ns"] < _ns(end))
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
    index = pd.date_range(pd.Timestamp(_month_start(first)), periods=last - first + 1, freq="MS", name="period")
    return pd.Series(totals, index=index, name="revenue")


def module_completeness(cf: CockpitFacts) -> dict[str, float | None]:
    """Per CRM module, the share of the fields its records need that are filled in (a fraction; None
    without records): customers their weighted profile fields, orders a known region and channel, pipeline
    a known stage and amount, feedback a score (CSAT or NPS) and a topic."""
    def share(values: np.ndarray) -> float | None:
        return float(values.mean()) if values.size else None

    orders, deals, feedback = cf.orders, cf.deals, cf.feedback
    return {
        "customers": share(cf.customer_quality["field_score"]),
        "orders": share(((orders["region"] >= 0) & (orders["channel"] >= 0)).astype(float)),
        "pipeline": share(((deals["stage"] >= 0) & ~np.isnan(deals["amount"])).astype(float)),
        "feedback": share(((~np.isnan(feedback["csat"]) | ~np.isnan(feedback["nps"]))
                           & (feedback["topic"] >= 0)).astype(float)),
    }


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
    net = lines["quantity"].astype(float) * lines["unit_price"] * (1 - lines["discount"])
    by_category = net.groupby([lines["order_id"], lines["category"].astype(str)]).sum()
    categories = (by_category.unstack(fill_value=0.0).reindex(index=paid["id"].to_numpy(),
                  columns=cf.labels["category"], fill_value=0.0).to_numpy(np.float32))
    month = _month_of(paid["ordered_at"])
    added = {
        "id": paid["id"].to_numpy(np.int64),
        "ns": _stamps(paid["ordered_at"]), "amount": paid["total_amount"].to_numpy(float),
        "customer": position.astype(np.int64), "region": _codes(paid["region"], cf.labels["region"]),
        "segment": _codes(paid["segment"], cf.labels["segment"]),
        "channel": _codes(paid["channel"], cf.labels["channel"]), "owner_id": _owners(paid["owner_id"]),
        "month": month, "first_month": month, "new": np.zeros(len(paid), bool),
        "first_in_month": np.zeros(len(paid), bool),
    }
    at = np.searchsorted(cf.orders["ns"], added["ns"], side="right")
    merged = {name: np.insert(values, at, added[name]) for name, values in cf.orders.items()}
    for customer in np.unique(added["customer"]):
        rows = np.flatnonzero(merged["customer"] == customer)  # time order: the columns are sorted by time
        months = merged["month"][rows]
        merged["first_month"][rows] = months.min()
        merged["new"][rows] = np.arange(rows.size) == 0
        merged["first_in_month"][rows] = ~pd.Series(months).duplicated().to_numpy()
    return replace(cf, orders=merged, categories=np.insert(cf.categories, at, categories, axis=0),
                   as_of=max(cf.as_of, utc(paid["ordered_at"].max())))


# --- filtering ----------------------------------------------------------------------------


def _code(cf: CockpitFacts, name: str, label: str) -> int:
    choices = cf.labels.get(name, [])
    return choices.index(label) if label in choices else -2  # an unknown label matches nothing


def _mask(cf: CockpitFacts, columns: dict[str, np.ndarray], filters: CockpitFilters,
          names: tuple[str, ...] = ("region", "segment", "owner_id")) -> np.ndarray:
    """Rows of `columns` within the filters named in `names`."""
    mask = np.ones(len(next(iter(columns.values()))), dtype=bool)
    for name in names:
        wanted = getattr(filters, name)
        if wanted is not None:
            mask &= columns[name] == (wanted if name == "owner_id" else _code(cf, name, wanted))
    return mask


def _window(columns: dict[str, np.ndarray], start, end) -> slice:
    lo, hi = np.searchsorted(columns["ns"], [_ns(start), _ns(end)])
    return slice(int(lo), int(hi))


def filtered_orders(cf: CockpitFacts, filters: CockpitFilters, start, end,
                    fields: tuple[str, ...] = ("ns", "amount", "customer")) -> dict[str, np.ndarray]:
    """`fields` of the revenue orders in [start, end) within the filters, plus "row" (the position in
    cf.orders). With a category, an order's amount is the net amount of its lines in that category, and
    orders without such lines drop out."""
    window = _window(cf.orders, start, end)
    names = ("region", "segment", "channel", "owner_id")
    columns = {name: cf.orders[name][window] for name in (*fields, *names) if name in cf.orders}
    mask = _mask(cf, columns, filters, names)
    if filters.category is not None:
        code = _code(cf, "category", filters.category)
        amounts = cf.categories[window, code].astype(float) if code >= 0 else np.zeros(mask.size)
        columns["amount"] = amounts
        mask &= amounts > 0
    if mask.all():
        columns["row"] = np.arange(window.start, window.stop)
        return columns
    # The positions once, then a take per column asked for (a boolean mask would search them per column).
    kept = np.flatnonzero(mask)
    columns["row"] = kept + window.start
    return {name: columns[name].take(kept) if name != "row" else columns["row"] for name in (*fields, "row")}


ORDER_FIELDS = ("ns", "amount", "customer", "region", "segment", "month", "first_month", "first_in_month")


def _within(orders: dict[str, np.ndarray], start, end) -> dict[str, np.ndarray]:
    """The rows of already filtered, time-sorted orders in [start, end), as views (no copy)."""
    window = _window(orders, start, end)
    return {name: values[window] for name, values in orders.items()}


def filtered_feedback(cf: CockpitFacts, filters: CockpitFilters, start, end) -> dict[str, np.ndarray]:
    """Feedback submitted in [start, end) by customers within the region, segment and rep filters."""
    window = _window(cf.feedback, start, end)
    columns = {name: values[window] for name, values in cf.feedback.items()}
    kept = np.flatnonzero(_mask(cf, columns, filters))
    return {name: values.take(kept) for name, values in columns.items()}


def _filtered(cf: CockpitFacts, columns: dict[str, np.ndarray], filters: CockpitFilters) -> dict[str, np.ndarray]:
    kept = np.flatnonzero(_mask(cf, columns, filters))
    return {name: values.take(kept) for name, values in columns.items()}


def _open_deals(cf: CockpitFacts, deals: dict[str, np.ndarray], filters: CockpitFilters) -> np.ndarray:
    """Deals in an open stage (pipeline_value's), or in `filters.stage` alone when one is chosen."""
    if filters.stage is not None:
        return deals["stage"] == (_code(cf, "stage", filters.stage) if filters.stage in OPEN_STAGES else -2)
    return (deals["stage"] >= 0) & (deals["stage"] < len(OPEN_STAGES))


def _distinct(customers: np.ndarray, size: int) -> np.ndarray:
    """A bitmap of the customers present (a bitmap beats np.unique by far on hundreds of thousands of rows)."""
    seen = np.zeros(size + 1, dtype=bool)
    seen[customers] = True
    return seen


# --- KPI cards ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label: str
    unit: str  # money | count | percent | points
    formula: str
    additive: bool = False  # a target for a longer period is the sum of its parts (else a day-weighted mean)
    higher_is_better: bool = True


KPIS: tuple[KpiDefinition, ...] = (
    KpiDefinition("revenue", "Revenue", "money", "Σ total_amount of paid or shipped orders ordered in the period",
                  additive=True),
    KpiDefinition("orders", "Orders", "count", "Number of paid or shipped orders in the period", additive=True),
    KpiDefinition("aov", "Average order value", "money", "Revenue ÷ orders"),
    KpiDefinition("active_customers", "Active customers", "count",
                  "Distinct customers with a paid or shipped order in the period", additive=False),
    KpiDefinition("retention", "Retention rate", "percent",
                  "Customers active in the period before who bought again in this one ÷ customers active before"),
    KpiDefinition("clv", "Customer lifetime value", "money",
                  "Revenue per active customer over the year to the period end, kept 3 years, discounted 10 %/year"),
    KpiDefinition("csat", "CSAT", "percent", "Answers of 4 or 5 ÷ CSAT answers (1-5 scale), in the period"),
    KpiDefinition("nps", "NPS", "points", "100 × (promoters 9-10 − detractors 0-6) ÷ NPS answers, in the period"),
    KpiDefinition("weighted_pipeline", "Weighted pipeline", "money",
                  "Σ amount × win probability of the deals now in an open stage, or in the chosen stage "
                  "(a snapshot, not per period)"),
    KpiDefinition("win_rate", "Win rate", "percent", "Deals won ÷ deals won or lost, closed in the period"),
    KpiDefinition("campaign_roi", "Campaign ROI", "percent",
                  "(Attributed revenue − cost) ÷ cost of the campaigns started in the period; "
                  "cost shared out by the share of targets within the filters"),
    KpiDefinition("data_quality", "Data quality", "percent",
                  "0.5 × fields present and valid + 0.25 × not duplicated + 0.25 × updated within a year"),
)
KPI_BY_KEY = {k.key: k for k in KPIS}


@dataclass(frozen=True)
class KpiValue:
    value: float | None
    sample: int  # what the value is computed from (orders, answers, deals, customers ...)


def _campaign_totals(cf: CockpitFacts, filters: CockpitFilters, campaigns: pd.DataFrame) -> pd.DataFrame:
    """Per campaign: targets, responders and attributed revenue within the filters, and its cost shared out
    by the campaign's share of targets within the filters (the whole cost without filters)."""
    rows = cf.campaign_targets
    # numpy on the (campaign × region × segment × rep) rows: pandas' groupby costs more than the sums here.
    at = pd.Index(campaigns["id"].to_numpy()).get_indexer(rows["campaign_id"].to_numpy())
    chosen = at >= 0
    keep = chosen.copy()
    for name in ("region", "segment", "owner_id"):
        if getattr(filters, name) is not None:
            keep &= rows[name].to_numpy() == getattr(filters, name)
    size = len(campaigns)

    def total(column: str, mask: np.ndarray) -> np.ndarray:
        return np.bincount(at[mask], weights=rows[column].to_numpy(float)[mask], minlength=size)

    everyone, within = total("targets", chosen), total("targets", keep)
    share = np.divide(within, everyone, out=np.zeros(size), where=everyone > 0)
    return pd.DataFrame(
        {"targets": np.rint(within).astype(np.int64),
         "responders": np.rint(total("responders", keep)).astype(np.int64), "revenue": total("revenue", keep),
         "cost": campaigns["cost"].to_numpy(float) * share, "name": campaigns["name"].to_numpy()},
        index=pd.Index(campaigns["id"].to_numpy(), name="campaign_id"),
    )


def _roi(totals: pd.DataFrame) -> float | None:
    """campaign_performance's ROI over several campaigns: (Σ attributed revenue − Σ cost) / Σ cost."""
    cost = float(totals["cost"].sum())
    return (float(totals["revenue"].sum()) - cost) / cost if cost else None


def period_kpis(cf: CockpitFacts, filters: CockpitFilters, start: date, end: date,
                orders: dict[str, np.ndarray] | None = None) -> dict[str, KpiValue]:
    """Every KPI of [start, end) within the filters. Each follows its analytics function exactly (sales_kpis,
    retention_rate, discounted_clv, csat_score, nps_score, pipeline_value, win_rate, campaign_performance;
    tests/unit/analytics/test_cockpit.py holds them side by side) on numpy columns, for speed."""
    length = pd.Timestamp(end) - pd.Timestamp(start)
    year_start = min(pd.Timestamp(start) - length, pd.Timestamp(end) - pd.DateOffset(years=1))
    orders = orders if orders is not None else filtered_orders(cf, filters, year_start, end)
    with_base = _within(orders, pd.Timestamp(start) - length, end)
    current = with_base["ns"] >= _ns(start)
    amount, customers = with_base["amount"][current], with_base["customer"][current]
    active = _distinct(customers, cf.customers)
    base = _distinct(with_base["customer"][~current], cf.customers)
    revenue, order_count = float(amount.sum()), int(amount.size)

    year = _within(orders, pd.Timestamp(end) - pd.DateOffset(years=1), end)
    year_customers = int(_distinct(year["customer"], cf.customers).sum())
    annual = float(year["amount"].sum()) / year_customers if year_customers else None

    feedback = filtered_feedback(cf, filters, start, end)
    csat = feedback["csat"][~np.isnan(feedback["csat"])]
    nps = feedback["nps"][~np.isnan(feedback["nps"])]

    deals = _filtered(cf, cf.deals, filters)
    open_deal = _open_deals(cf, deals, filters)
    closed = (deals["closed_ns"] >= _ns(start)) & (deals["closed_ns"] < _ns(end))
    won = int((closed & (deals["stage"] == STAGES.index("Won"))).sum())
    lost = int((closed & (deals["stage"] == STAGES.index("Lost"))).sum())

    started = cf.campaigns.loc[(cf.campaigns["start_date"] >= pd.Timestamp(start))
                               & (cf.campaigns["start_date"] < pd.Timestamp(end))]
    campaigns = _campaign_totals(cf, filters, started)

    people = _filtered(cf, cf.customer_quality, filters)
    return {
        "revenue": KpiValue(revenue, order_count),
        "orders": KpiValue(order_count, order_count),
        "aov": KpiValue(revenue / order_count if order_count else None, order_count),
        "active_customers": KpiValue(int(active.sum()), int(active.sum())),
        "retention": KpiValue(float((base & active).sum() / base.sum()) if base.any() else None, int(base.sum())),
        "clv": KpiValue(None if annual is None else discounted_clv([annual] * CLV_YEARS, CLV_DISCOUNT_RATE),
                        year_customers),
        "csat": KpiValue(float((csat >= 4).mean()) if csat.size else None, int(csat.size)),
        "nps": KpiValue(100 * float((nps >= 9).mean() - (nps <= 6).mean()) if nps.size else None, int(nps.size)),
        "weighted_pipeline": KpiValue(float((deals["amount"] * deals["probability"])[open_deal].sum()),
                                      int(open_deal.sum())),
        "win_rate": KpiValue(won / (won + lost) if won + lost else None, won + lost),
        "campaign_roi": KpiValue(_roi(campaigns), int(campaigns["targets"].sum())),
        "data_quality": KpiValue(quality_score(people, end), int(people["field_score"].size)),
    }


def quality_score(customers: dict[str, np.ndarray], as_of, *, fresh_days: int = 365) -> float | None:
    """0.5 × mean field score + 0.25 × share not duplicated + 0.25 × share updated within `fresh_days` of
    as_of (data_quality's OVERALL_WEIGHTS), a fraction; None without customers."""
    if customers["field_score"].size == 0:
        return None
    fresh = float((customers["updated_ns"] >= _ns(pd.Timestamp(as_of) - pd.Timedelta(days=fresh_days))).mean())
    return (OVERALL_WEIGHTS["fields"] * float(customers["field_score"].mean())
            + OVERALL_WEIGHTS["uniqueness"] * (1 - float(customers["duplicated"].mean()))
            + OVERALL_WEIGHTS["freshness"] * fresh)


# --- targets ------------------------------------------------------------------------------


def target_for_period(targets: pd.DataFrame, kpi: str, start: date, end: date) -> float | None:
    """The target of [start, end) from the KpiTarget rows (kpi, period_start, period_end inclusive, target_value).

    Additive KPIs (revenue, orders): Σ target × (days of the target's period inside [start, end)) / (days of
    the target's period); None unless target periods cover every day. Other KPIs: the mean of the targets
    weighted by their days inside the period; None without overlap.
    """
    if not len(targets):
        return None
    # numpy on the few rows: pandas' per-call overhead would be most of the cockpit's time for twelve KPIs.
    rows = targets["kpi"].to_numpy() == kpi
    first = np.array(targets["period_start"].to_numpy()[rows], dtype="datetime64[D]")
    last = np.array(targets["period_end"].to_numpy()[rows], dtype="datetime64[D]")
    overlap = (np.minimum(last + 1, np.datetime64(end, "D")) - np.maximum(first, np.datetime64(start, "D")))
    overlap = overlap.astype(np.int64)
    inside = overlap > 0
    if not inside.any():
        return None
    days, overlap = ((last - first).astype(np.int64) + 1)[inside], overlap[inside]
    values = targets["target_value"].to_numpy(float)[rows][inside]
    definition = KPI_BY_KEY.get(kpi)
    if definition is not None and definition.additive:
        return float(sum(values * overlap / days)) if overlap.sum() >= (end - start).days else None
    return float(sum(values * overlap)) / int(overlap.sum())


# --- the whole page -----------------------------------------------------------------------


@dataclass(frozen=True)
class KpiCard:
    definition: KpiDefinition
    actual: KpiValue
    comparison: KpiValue
    target: float | None
    sparkline: list[float | None]

    @property
    def gap(self) -> float | None:
        if self.actual.value is None or self.target is None:
            return None
        return self.actual.value - self.target

    @property
    def change(self) -> float | None:
        """Relative change against the comparison period, a fraction; None without a base."""
        if self.actual.value is None or not self.comparison.value:
            return None
        return (self.actual.value - self.comparison.value) / abs(self.comparison.value)

    @property
    def status(self) -> str:
        """"good" at or above target, "warning" within 5 % below it, "bad" further below, "none" without one."""
        if self.gap is None:
            return "none"
        gap = self.gap if self.definition.higher_is_better else -self.gap
        if gap >= 0:
            return "good"
        return "warning" if abs(gap) <= 0.05 * abs(self.target or 0) else "bad"


def _last_month(end: date) -> int:
    last = end - timedelta(days=1)
    return last.year * 12 + last.month - 1


def monthly_orders(cf: CockpitFacts, filters: CockpitFilters, end: date, months: int = TREND_MONTHS,
                   orders: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Per calendar month (the `months` up to the one holding end − 1 day): revenue, orders, aov, active,
    new (first revenue order ever in that month) and returning customers; the last month may be partial."""
    first = _last_month(end) - months + 1
    orders = _within(orders if orders is not None else filtered_orders(cf, filters, _month_start(first), end,
                                                                        ORDER_FIELDS), _month_start(first), end)
    index = orders["month"] - first
    revenue = np.bincount(index, weights=orders["amount"], minlength=months)
    count = np.bincount(index, minlength=months)
    if filters.channel is None and filters.category is None:
        # Region, segment and rep belong to the customer, so "first order of the month" needs no re-ranking.
        keep = orders["first_in_month"]
    else:
        keep = ~pd.Series(orders["customer"] * 100_000 + orders["month"]).duplicated().to_numpy()
    active = np.bincount(index[keep], minlength=months)
    new = np.bincount(index[keep & (orders["first_month"] == orders["month"])], minlength=months)
    aov = np.divide(revenue, count, out=np.full(months, np.nan), where=count > 0)
    return pd.DataFrame(
        {"revenue": revenue, "orders": count, "aov": aov, "active": active, "new": new, "returning": active - new},
        index=pd.Index([_month_label(m) for m in range(first, first + months)], name="month"),
    )


def revenue_by(cf: CockpitFacts, filters: CockpitFilters, by: str, start: date, end: date,
               orders: dict[str, np.ndarray] | None = None) -> pd.Series:
    """Revenue in [start, end) per region, segment, channel or category (every label, 0 when none)."""
    labels = cf.labels[by]
    if by == "category":
        orders = filtered_orders(cf, replace(filters, category=None), start, end, ())
        totals = cf.categories[orders["row"]].astype(float).sum(axis=0) if orders["row"].size else np.zeros(len(labels))
    else:
        orders = _within(orders, start, end) if orders is not None else filtered_orders(cf, filters, start, end,
                                                                                        ("amount", by))
        known = orders[by] >= 0
        totals = np.bincount(orders[by][known], weights=orders["amount"][known], minlength=len(labels))
    return pd.Series(totals, index=pd.Index(labels, name=by), name="revenue")


def cohort_matrix(cf: CockpitFacts, filters: CockpitFilters, end: date, months: int = COHORT_MONTHS,
                  orders: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """cohort_retention of the customers acquired in the `months` months up to `end`, within the filters:
    row = cohort month "YYYY-MM", column k = share of the cohort buying in month cohort + k (NaN not yet seen)."""
    last = _last_month(end)
    first = last - months + 1
    orders = _within(orders if orders is not None else filtered_orders(cf, filters, _month_start(first), end,
                                                                        ORDER_FIELDS), _month_start(first), end)
    keep = orders["first_month"] >= first
    if filters.channel is None and filters.category is None:
        keep &= orders["first_in_month"]
        cohort, age = orders["first_month"][keep] - first, orders["month"][keep] - orders["first_month"][keep]
    else:
        pairs = pd.DataFrame({"c": orders["customer"][keep], "m": orders["month"][keep]}).drop_duplicates()
        starts = pairs.groupby("c")["m"].transform("min")
        cohort, age = (starts - first).to_numpy(), (pairs["m"] - starts).to_numpy()
    counts = np.bincount(cohort * months + age, minlength=months * months).reshape(months, months).astype(float)
    sizes = counts[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = counts / sizes[:, None]
    seen = (last - (first + np.arange(months)))[:, None] >= np.arange(months)[None, :]
    rates = np.where(seen & (sizes[:, None] > 0), rates, np.nan)
    return pd.DataFrame(rates, index=pd.Index([_month_label(first + k) for k in range(months)], name="cohort"),
                        columns=pd.RangeIndex(months, name="months_since_acquisition"))


def pipeline_by_stage(cf: CockpitFacts, filters: CockpitFilters) -> pd.DataFrame:
    """Deals and Σ amount per open stage, in funnel order (each deal's current stage); every stage whatever
    filters.stage, so the funnel keeps its shape and marks the chosen one."""
    deals = _filtered(cf, cf.deals, filters)
    open_deal = _open_deals(cf, deals, replace(filters, stage=None))
    stage = deals["stage"][open_deal]
    return pd.DataFrame(
        {"deals": np.bincount(stage, minlength=len(OPEN_STAGES)),
         "amount": np.bincount(stage, weights=deals["amount"][open_deal], minlength=len(OPEN_STAGES))},
        index=pd.Index(list(OPEN_STAGES), name="stage"),
    )


def win_rate_by_owner(cf: CockpitFacts, filters: CockpitFilters, start: date, end: date) -> pd.DataFrame:
    """win_rate per rep over the deals closed in [start, end): won, lost, rate (reps with a closed deal)."""
    deals = _filtered(cf, cf.deals, filters)
    closed = (deals["closed_ns"] >= _ns(start)) & (deals["closed_ns"] < _ns(end))
    won = closed & (deals["stage"] == STAGES.index("Won"))
    lost = closed & (deals["stage"] == STAGES.index("Lost"))
    frame = pd.DataFrame({"owner_id": deals["owner_id"], "won": won, "lost": lost}).groupby("owner_id").sum()
    frame = frame.loc[(frame["won"] + frame["lost"]) > 0]
    return frame.assign(rate=frame["won"] / (frame["won"] + frame["lost"]))


def satisfaction_monthly(cf: CockpitFacts, filters: CockpitFilters, end: date, months: int = 12) -> pd.DataFrame:
    """CSAT (fraction of 4-5 answers) and NPS (points) per month for the `months` months up to `end`."""
    first = _last_month(end) - months + 1
    feedback = filtered_feedback(cf, filters, _month_start(first), end)
    index = feedback["month"] - first
    answered_csat, answered_nps = ~np.isnan(feedback["csat"]), ~np.isnan(feedback["nps"])

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(index[mask], minlength=months).astype(float)

    csat_n, nps_n = count(answered_csat), count(answered_nps)
    satisfied = count(answered_csat & (feedback["csat"] >= 4))
    net = count(answered_nps & (feedback["nps"] >= 9)) - count(answered_nps & (feedback["nps"] <= 6))
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {"csat": np.where(csat_n > 0, satisfied / csat_n, np.nan), "nps": np.where(nps_n > 0, 100 * net / nps_n, np.nan),
             "answers": np.maximum(csat_n, nps_n).astype(int)},
            index=pd.Index([_month_label(m) for m in range(first, first + months)], name="month"),
        )


def detractor_topics(cf: CockpitFacts, feedback: dict[str, np.ndarray], limit: int = 5) -> list[tuple[str, int]]:
    """The topics detractors (NPS 0-6) mention most, with their counts (top_topics' order)."""
    topics = feedback["topic"][(feedback["nps"] <= 6) & (feedback["topic"] >= 0)]
    names = pd.Series(np.asarray(cf.labels["topic"], dtype=object)[topics] if topics.size else [], dtype=object)
    return top_topics(names, limit)


def campaign_results(cf: CockpitFacts, filters: CockpitFilters, start: date, end: date, limit: int = 12) -> pd.DataFrame:
    """The campaigns running at any time in [start, end) (the latest `limit`): name, targets, responders,
    response_rate and roi over the targets within the filters (campaign_performance's definitions)."""
    running = cf.campaigns.loc[(cf.campaigns["start_date"] < pd.Timestamp(end))
                               & (cf.campaigns["end_date"] >= pd.Timestamp(start))]
    totals = _campaign_totals(cf, filters, running.sort_values("start_date").tail(limit))
    with np.errstate(invalid="ignore", divide="ignore"):
        totals["response_rate"] = totals["responders"] / totals["targets"].replace(0, np.nan)
        totals["roi"] = (totals["revenue"] - totals["cost"]) / totals["cost"].replace(0, np.nan)
    return totals[["name", "targets", "responders", "response_rate", "roi"]]


@dataclass(frozen=True)
class CockpitView:
    filters: CockpitFilters
    comparison: tuple[date, date]
    cards: list[KpiCard]
    monthly: pd.DataFrame
    revenue_by_region: pd.Series
    revenue_by_segment: pd.Series
    revenue_by_category: pd.Series
    cohorts: pd.DataFrame
    pipeline: pd.DataFrame
    win_rates: pd.DataFrame
    satisfaction: pd.DataFrame
    detractor_topics: list[tuple[str, int]]
    campaigns: pd.DataFrame


def _series(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else round(float(v), 4) for v in values]


def evaluate(cf: CockpitFacts, filters: CockpitFilters, targets: pd.DataFrame) -> CockpitView:
    """Every card and chart of the cockpit for `filters`; `targets` holds the KpiTarget rows."""
    start, end = filters.start, filters.end
    comparison = comparison_period(start, end, filters.compare)
    # One pass over the million orders; every figure below reads time windows of it (binary searches).
    earliest = min(pd.Timestamp(comparison[0]) - (pd.Timestamp(comparison[1]) - pd.Timestamp(comparison[0])),
                   pd.Timestamp(start) - (pd.Timestamp(end) - pd.Timestamp(start)),
                   pd.Timestamp(comparison[1]) - pd.DateOffset(years=1),
                   pd.Timestamp(_month_start(_last_month(end) - TREND_MONTHS + 1)))
    orders = filtered_orders(cf, filters, earliest, end, ORDER_FIELDS)
    actual = period_kpis(cf, filters, start, end, orders)
    before = period_kpis(cf, filters, *comparison, orders)
    monthly = monthly_orders(cf, filters, end, orders=orders)
    satisfaction = satisfaction_monthly(cf, filters, end)
    sparks = {"revenue": monthly["revenue"], "orders": monthly["orders"], "aov": monthly["aov"],
              "active_customers": monthly["active"], "csat": satisfaction["csat"], "nps": satisfaction["nps"]}
    cards = [KpiCard(d, actual[d.key], before[d.key], target_for_period(targets, d.key, start, end),
                     _series(sparks[d.key].tail(12)) if d.key in sparks else [])
             for d in KPIS]
    return CockpitView(
        filters=filters,
        comparison=comparison,
        cards=cards,
        monthly=monthly,
        revenue_by_region=revenue_by(cf, filters, "region", start, end, orders),
        revenue_by_segment=revenue_by(cf, filters, "segment", start, end, orders),
        revenue_by_category=revenue_by(cf, filters, "category", start, end),
        cohorts=cohort_matrix(cf, filters, end, orders=orders),
        pipeline=pipeline_by_stage(cf, filters),
        win_rates=win_rate_by_owner(cf, filters, start, end),
        satisfaction=satisfaction,
        detractor_topics=detractor_topics(cf, filtered_feedback(cf, filters, start, end)),
        campaigns=campaign_results(cf, filters, start, end),
    )


# --- gap analysis -------------------------------------------------------------------------


def gap_suggestions(cf: CockpitFacts, view: CockpitView, limit: int = 4) -> list[str]:
    """Written suggestions for the KPIs under target, naming what contributes most to each gap.

    Revenue and orders: the region, segment or category whose revenue fell most against the comparison
    period. NPS and CSAT: the region with the most detractors and the topic they mention most.
    """
    suggestions, filters = [], view.filters
    for card in view.cards:
        if card.status not in ("bad", "warning") or card.gap is None:
            continue
        key, gap = card.definition.key, abs(card.gap)
        if key in ("revenue", "orders"):
            drops = []
            for by in ("region", "segment", "category"):
                if getattr(filters, by) is None:
                    delta = (revenue_by(cf, filters, by, filters.start, filters.end)
                             - revenue_by(cf, filters, by, *view.comparison)).sort_values()
                    if len(delta) and delta.iloc[0] < 0:
                        drops.append((float(delta.iloc[0]), by, str(delta.index[0])))
            text = f"{card.definition.label} is {format_value(card.definition, gap)} under target"
            if drops:
                change, by, label = min(drops)
                text += f"; revenue in {by} {label} fell by {change * -1:,.0f} against the comparison period"
            suggestions.append(text + ".")
        elif key in ("nps", "csat"):
            feedback = filtered_feedback(cf, filters, filters.start, filters.end)
            detractor = feedback["nps"] <= 6
            amount = f"{gap:,.0f} points" if key == "nps" else f"{100 * gap:,.1f} percentage points"
            text = f"{card.definition.label} is {amount} under target"
            if detractor.any():
                regions = np.bincount(feedback["region"][detractor & (feedback["region"] >= 0)],
                                      minlength=len(cf.labels["region"]))
                where = int(regions.argmax())
                in_region = {k: v[detractor & (feedback["region"] == where)] for k, v in feedback.items()}
                topics = detractor_topics(cf, in_region, 1)
                text += f"; detractors in {cf.labels['region'][where]}" + (f" mention {topics[0][0]}" if topics else "")
            suggestions.append(text + ".")
        else:
            suggestions.append(f"{card.definition.label} is {format_value(card.definition, gap)} under target.")
        if len(suggestions) >= limit:
            break
    return suggestions


def format_value(definition: KpiDefinition, value: float | None) -> str:
    """A KPI value as its card shows it: percentages with one decimal, NPS in points, money and counts whole
    (money under 1,000 with cents)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if definition.unit == "percent":
        return f"{100 * value:,.1f} %"
    if definition.unit == "points":
        return f"{value:,.1f}"
    if definition.unit == "money" and abs(value) < 1000:
        return f"{value:,.2f}"
    return f"{value:,.0f}"
