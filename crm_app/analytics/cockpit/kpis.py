"""The cockpit's KPI catalogue: each card's definition, its value for a period and filters, and how it is shown."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from crm_app.analytics import measures
from crm_app.analytics.cockpit.columns import STAGES, CockpitFacts, per_snapshot
from crm_app.analytics.cockpit.cube import customer_groups, order_cube
from crm_app.analytics.cockpit.filters import (CockpitFilters, by_customer, distinct_customers, filtered,
                                              open_deals, view_mask, within, filtered_feedback, filtered_orders)
from crm_app.analytics.cockpit.periods import nanoseconds
from crm_app.analytics.filters import FILTERED_BY, cost_in_view, row_mask
from crm_app.analytics.quality import OVERALL_WEIGHTS


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label: str
    unit: str  # money | count | percent | points
    formula: str
    additive: bool = False  # a target for a longer period is the sum of its parts (else a day-weighted mean)
    higher_is_better: bool = True
    # The company's figure is the sum of its regions', segments' or reps' (else a rate or an average: the
    # children's targets combine as a mean weighted by their samples).
    adds_across_scopes: bool = False


KPIS: tuple[KpiDefinition, ...] = (
    KpiDefinition("revenue", "Revenue", "money", "Σ total_amount of paid or shipped orders ordered in the period",
                  additive=True, adds_across_scopes=True),
    KpiDefinition("orders", "Orders", "count", "Number of paid or shipped orders in the period", additive=True,
                  adds_across_scopes=True),
    KpiDefinition("aov", "Average order value", "money", "Revenue ÷ orders"),
    KpiDefinition("active_customers", "Active customers", "count",
                  "Distinct customers with a paid or shipped order in the period", adds_across_scopes=True),
    KpiDefinition("retention", "Retention rate", "percent",
                  "Customers active in the period before who bought again in this one ÷ customers active before"),
    KpiDefinition("historical_value", "Historical value per customer, 3 years", "money",
                  "Revenue per customer active in the year to the period end, kept 3 years, discounted 10 %/year "
                  "(history, not the model CLV of /insights)"),
    KpiDefinition("csat", "CSAT", "percent", "Answers of 4 or 5 ÷ CSAT answers (1-5 scale), in the period"),
    KpiDefinition("nps", "NPS", "points", "100 × (promoters 9-10 − detractors 0-6) ÷ NPS answers, in the period"),
    KpiDefinition("weighted_pipeline", "Weighted pipeline", "money",
                  "Σ amount × win probability of the deals now in an open stage, or in the chosen stage "
                  "(a snapshot, not per period)", adds_across_scopes=True),
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


def campaign_totals(cf: CockpitFacts, filters: CockpitFilters, campaigns: pd.DataFrame) -> pd.DataFrame:
    """Per campaign of `campaigns` within the filters (analytics.filters: with a region, segment or rep filter,
    only the campaigns with a target within it): contacted targets, responders and attributed revenue within the
    filters, the same of the holdout, and its cost shared out by its share of targets within them (cost_in_view)."""
    rows = cf.campaign_targets
    # numpy on the (campaign × region × segment × rep) rows: pandas' groupby costs more than the sums here.
    at = pd.Index(campaigns["id"].to_numpy()).get_indexer(rows["campaign_id"].to_numpy())
    chosen = at >= 0
    wanted = {name: getattr(filters, name) for name in FILTERED_BY["campaign_targets"]}
    keep = chosen & row_mask({name: rows[name].to_numpy() for name in wanted}, wanted, "campaign_targets")
    size = len(campaigns)

    def total(column: str, mask: np.ndarray) -> np.ndarray:
        return np.bincount(at[mask], weights=rows[column].to_numpy(float)[mask], minlength=size)

    everyone, in_view = total("targets", chosen), total("targets", keep)
    totals = pd.DataFrame(
        {"targets": np.rint(in_view).astype(np.int64),
         "responders": np.rint(total("responders", keep)).astype(np.int64), "revenue": total("revenue", keep),
         "holdout_targets": np.rint(total("holdout_targets", keep)).astype(np.int64),
         "holdout_responders": np.rint(total("holdout_responders", keep)).astype(np.int64),
         "holdout_revenue": total("holdout_revenue", keep),
         "cost": cost_in_view(campaigns["cost"].to_numpy(float), in_view, everyone),
         "name": campaigns["name"].to_numpy()},
        index=pd.Index(campaigns["id"].to_numpy(), name="campaign_id"),
    )
    seen = in_view + total("holdout_targets", keep)
    return totals if all(value is None for value in wanted.values()) else totals.loc[seen > 0]


def _roi(totals: pd.DataFrame) -> float | None:
    """campaign_performance's ROI over several campaigns: (Σ attributed revenue − Σ cost) / Σ cost."""
    return measures.roi(float(totals["revenue"].sum()), float(totals["cost"].sum()))


def period_kpis(cf: CockpitFacts, filters: CockpitFilters, start: date, end: date,
                orders: dict[str, np.ndarray] | None = None) -> dict[str, KpiValue]:
    """Every KPI of [start, end) within the filters: the formulas are analytics.measures' kernels, the filters
    analytics.filters' rules, on numpy columns for speed (tests/integration/test_kpi_parity.py compares every
    KPI with crm-app report and with pandas). `orders`, for a view not `by_customer`, are its filtered orders
    of at least the period, the one before it and the year to its end (ORDER_FIELDS)."""
    sales = _customer_sales(cf, filters, start, end) if by_customer(filters) else \
        _sales_of_orders(cf, filters, start, end, orders)
    revenue, order_count = sales.revenue, sales.orders

    feedback = filtered_feedback(cf, filters, start, end)

    deals = filtered(cf, cf.deals, filters, "deals", ("stage", "amount", "probability", "closed_ns"))
    open_deal = open_deals(cf, deals, filters)
    closed = (deals["closed_ns"] >= nanoseconds(start)) & (deals["closed_ns"] < nanoseconds(end))
    won = int((closed & (deals["stage"] == STAGES.index("Won"))).sum())
    lost = int((closed & (deals["stage"] == STAGES.index("Lost"))).sum())

    started = cf.campaigns.loc[(cf.campaigns["start_date"] >= pd.Timestamp(start))
                               & (cf.campaigns["start_date"] < pd.Timestamp(end))]
    campaigns = campaign_totals(cf, filters, started)

    people = filtered(cf, cf.customer_quality, filters, "customers", ("field_score", "duplicated", "updated_ns"))
    return {
        "revenue": KpiValue(revenue, order_count),
        "orders": KpiValue(order_count, order_count),
        "aov": KpiValue(measures.average_order_value(revenue, order_count), order_count),
        "active_customers": KpiValue(sales.active, sales.active),
        "retention": KpiValue(measures.retention(sales.base, sales.retained), sales.base),
        "historical_value": KpiValue(measures.historical_value(sales.year_revenue, sales.year_customers),
                                     sales.year_customers),
        "csat": KpiValue(measures.csat(feedback["csat"]), int((~np.isnan(feedback["csat"])).sum())),
        "nps": KpiValue(measures.nps(feedback["nps"]), int((~np.isnan(feedback["nps"])).sum())),
        "weighted_pipeline": KpiValue(measures.weighted_pipeline(deals["amount"][open_deal],
                                                                 deals["probability"][open_deal]),
                                      int(open_deal.sum())),
        "win_rate": KpiValue(measures.win_rate(won, lost), won + lost),
        "campaign_roi": KpiValue(_roi(campaigns), int(campaigns["targets"].sum())),
        "data_quality": KpiValue(quality_score(people, end), int(people["field_score"].size)),
    }


@dataclass(frozen=True)
class PeriodSales:
    """What the order KPIs of a period are made of, within the filters."""

    revenue: float  # Σ amount of the revenue orders in the period (measures.revenue)
    orders: int  # their count
    active: int  # distinct customers with one in the period
    base: int  # ... in the period before it (of the same length)
    retained: int  # ... in both
    year_revenue: float  # Σ amount in the year to the period's end
    year_customers: int  # distinct customers with an order in that year


def _sales_of_orders(cf: CockpitFacts, filters: CockpitFilters, start: date, end: date,
                     orders: dict[str, np.ndarray] | None) -> PeriodSales:
    """PeriodSales from the filtered orders themselves, customers counted on bitmaps (right for any filter)."""
    length = pd.Timestamp(end) - pd.Timestamp(start)
    year_start = min(pd.Timestamp(start) - length, pd.Timestamp(end) - pd.DateOffset(years=1))
    orders = orders if orders is not None else filtered_orders(cf, filters, year_start, end)
    with_base = within(orders, pd.Timestamp(start) - length, end)
    current = with_base["ns"] >= nanoseconds(start)
    active = distinct_customers(with_base["customer"][current], cf.customers)
    base = distinct_customers(with_base["customer"][~current], cf.customers)
    year = within(orders, pd.Timestamp(end) - pd.DateOffset(years=1), end)
    amounts = with_base["amount"][current]
    return PeriodSales(measures.revenue(amounts), int(amounts.size), int(active.sum()), int(base.sum()),
                       int((base & active).sum()), float(year["amount"].sum()),
                       int(distinct_customers(year["customer"], cf.customers).sum()))


def _customer_sales(cf: CockpitFacts, filters: CockpitFilters, start: date, end: date) -> PeriodSales:
    """PeriodSales of a view `by_customer`: the sums from the order cube's days, the customers counted in place
    over the time-sorted orders (no copy of their columns): a customer is active in [a, b) once, at their order
    there whose previous one (`previous_ns`) is before a; active in both periods when that previous one is in
    the period before."""
    length = pd.Timestamp(end) - pd.Timestamp(start)
    moments = (pd.Timestamp(start) - length, pd.Timestamp(start), pd.Timestamp(end),
               pd.Timestamp(end) - pd.DateOffset(years=1))
    base_ns, start_ns, _, year_ns = (nanoseconds(moment) for moment in moments)
    b, s, e, y = (int(row) for row in np.searchsorted(cf.orders["ns"], [nanoseconds(m) for m in moments]))
    first = min(b, y)
    sliced = any(getattr(filters, name) is not None for name in FILTERED_BY["customers"])
    mask = view_mask(cf, {name: cf.orders[name][first:e] for name in FILTERED_BY["customers"]}, filters,
                     "customers") if sliced else None
    previous, cube, groups = cf.orders["previous_ns"], order_cube(cf), customer_groups(cf, filters)

    def customers(lo: int, hi: int, since: int, until: int | None = None) -> int:
        """The customers of rows [lo, hi) whose order there has its previous one in [since, until)."""
        earlier = previous[lo:hi]
        chosen = (earlier >= since) & (earlier < until) if until is not None else earlier < since
        return int(np.count_nonzero(chosen if mask is None else chosen & mask[lo - first:hi - first]))

    year_start = moments[3].date()
    return PeriodSales(measures.revenue(cube.days_of("revenue", start, end)[groups]),
                       int(cube.days_of("orders", start, end)[groups].sum()), customers(s, e, start_ns),
                       customers(b, s, base_ns), customers(s, e, base_ns, start_ns),
                       float(cube.days_of("revenue", year_start, end)[groups].sum()), customers(y, e, year_ns))


def quality_score(customers: dict[str, np.ndarray], as_of, *, fresh_days: int = 365) -> float | None:
    """0.5 × mean field score + 0.25 × share not duplicated + 0.25 × share updated within `fresh_days` of
    as_of (data_quality's OVERALL_WEIGHTS), a fraction; None without customers."""
    if customers["field_score"].size == 0:
        return None
    fresh = float((customers["updated_ns"] >= nanoseconds(pd.Timestamp(as_of) - pd.Timedelta(days=fresh_days))).mean())
    return (OVERALL_WEIGHTS["fields"] * float(customers["field_score"].mean())
            + OVERALL_WEIGHTS["uniqueness"] * (1 - float(customers["duplicated"].mean()))
            + OVERALL_WEIGHTS["freshness"] * fresh)


@per_snapshot  # passes over every order: once per snapshot, not per filter change
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


@dataclass(frozen=True)
class KpiCard:
    definition: KpiDefinition
    actual: KpiValue
    comparison: KpiValue
    target: float | None
    sparkline: list[float | None]
    target_source: str = "company"  # where the target comes from (targets.ViewTarget.source)

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
    def direction(self) -> str:
        """"good" when the KPI moved the good way against the comparison period (up, or down for a KPI where
        lower is better), "bad" the other way, "none" unchanged or without a base."""
        if not self.change:
            return "none"
        return "good" if (self.change > 0) == self.definition.higher_is_better else "bad"

    @property
    def status(self) -> str:
        """"good" at or above target, "warning" within 5 % below it, "bad" further below, "none" without one."""
        if self.gap is None:
            return "none"
        gap = self.gap if self.definition.higher_is_better else -self.gap
        if gap >= 0:
            return "good"
        return "warning" if abs(gap) <= 0.05 * abs(self.target or 0) else "bad"


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
