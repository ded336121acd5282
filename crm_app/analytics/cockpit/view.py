"""The whole cockpit page for one view: every card and chart (`evaluate`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from crm_app.analytics.cockpit.columns import CockpitFacts
from crm_app.analytics.cockpit.filters import (ORDER_FIELDS, CockpitFilters, by_customer, filtered_feedback,
                                              filtered_orders)
from crm_app.analytics.cockpit.kpis import KPI_BY_KEY, KPIS, KpiCard, period_kpis
from crm_app.analytics.cockpit.periods import last_month, month_start, comparison_period
from crm_app.analytics.cockpit.series import (TREND_MONTHS, campaign_results, cohort_matrix, detractor_topics,
                                             monthly_orders, pipeline_by_stage, revenue_by, satisfaction_monthly,
                                             win_rate_by_owner)
from crm_app.analytics.cockpit.targets import REP, ViewTarget, view_scope, view_target


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


def _view_targets(cf: CockpitFacts, filters: CockpitFilters, targets: pd.DataFrame, own_rep: int | None,
                  reps: tuple[int, ...], rep_names: dict[int, str] | None) -> Callable[[str], ViewTarget]:
    """The target of each KPI (by key) for the view of `filters` (see targets.view_target)."""
    start, end = filters.start, filters.end
    scope = view_scope(filters, own_rep)
    children = {"region": list(cf.labels["region"]), "segment": list(cf.labels["segment"]),
                REP: [str(rep) for rep in reps]}
    samples: dict[tuple[str, str], dict] = {}

    def child_sample(kpi: str) -> Callable[[str, str], float]:
        def weight(child: str, member: str) -> float:
            if (child, member) not in samples:  # only for a rate the company has no target of its own for
                narrowed = replace(filters, owner_id=int(member)) if child == REP else replace(filters, **{child: member})
                samples[child, member] = period_kpis(cf, narrowed, start, end)
            return float(samples[child, member][kpi].sample)
        return weight

    return lambda kpi: view_target(targets, kpi, start, end, scope, children, child_sample(kpi), rep_names)


def kpi_card(cf: CockpitFacts, filters: CockpitFilters, targets: pd.DataFrame, kpi: str, *,
             own_rep: int | None = None, reps: tuple[int, ...] = (),
             rep_names: dict[int, str] | None = None) -> KpiCard:
    """The cockpit's card of one KPI for `filters` (its value, comparison and target as `evaluate` gives
    them, without the sparkline or any chart): e.g. the month to date against target on My day."""
    actual = period_kpis(cf, filters, filters.start, filters.end)[kpi]
    before = period_kpis(cf, filters, *comparison_period(filters.start, filters.end, filters.compare))[kpi]
    target = _view_targets(cf, filters, targets, own_rep, reps, rep_names)(kpi)
    return KpiCard(KPI_BY_KEY[kpi], actual, before, target.value, [], target.source)


def evaluate(cf: CockpitFacts, filters: CockpitFilters, targets: pd.DataFrame, *, own_rep: int | None = None,
             reps: tuple[int, ...] = (), rep_names: dict[int, str] | None = None) -> CockpitView:
    """Every card and chart of the cockpit for `filters`; `targets` holds the KpiTarget rows. `own_rep` is the
    sales rep whose own book the facts are (their targets apply), `reps` the reps whose targets together cover
    the company."""
    start, end = filters.start, filters.end
    comparison = comparison_period(start, end, filters.compare)
    if by_customer(filters):  # the cards and charts read the order cube and the orders in place
        orders = None
    else:
        # One pass over two years of orders; every figure below reads time windows of it (binary searches).
        earliest = min(pd.Timestamp(comparison[0]) - (pd.Timestamp(comparison[1]) - pd.Timestamp(comparison[0])),
                       pd.Timestamp(start) - (pd.Timestamp(end) - pd.Timestamp(start)),
                       pd.Timestamp(comparison[1]) - pd.DateOffset(years=1),
                       pd.Timestamp(month_start(last_month(end) - TREND_MONTHS + 1)))
        orders = filtered_orders(cf, filters, earliest, end, ORDER_FIELDS)
    actual = period_kpis(cf, filters, start, end, orders)
    before = period_kpis(cf, filters, *comparison, orders)
    monthly = monthly_orders(cf, filters, end, orders=orders)
    satisfaction = satisfaction_monthly(cf, filters, end)
    sparks = {"revenue": monthly["revenue"], "orders": monthly["orders"], "aov": monthly["aov"],
              "active_customers": monthly["active"], "csat": satisfaction["csat"], "nps": satisfaction["nps"]}
    target_of = _view_targets(cf, filters, targets, own_rep, reps, rep_names)
    cards = []
    for d in KPIS:
        target = target_of(d.key)
        cards.append(KpiCard(d, actual[d.key], before[d.key], target.value,
                             _series(sparks[d.key].tail(12)) if d.key in sparks else [], target.source))
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
