"""Sales KPIs of a period [start, end): revenue, orders, customers, growth, win rate and pipeline.

Revenue rule (one source of truth for every screen and report): an order counts when its status is
paid or shipped (`REVENUE_STATUSES`), on the day it was ordered (`ordered_at`), for its `total_amount`.
Pending, cancelled and refunded orders never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from crm_app.analytics._common import DAY, between, revenue_orders, utc, utc_column
from crm_app.analytics import measures
from crm_app.analytics.measures import growth
from crm_app.domain import OPEN_STAGES, DealStage

Moment = datetime | date | str | pd.Timestamp

__all__ = [
    "SalesKpis",
    "average_sales_cycle_days",
    "growth",
    "period_revenue",
    "pipeline_value",
    "sales_kpis",
    "win_rate",
]


@dataclass(frozen=True)
class SalesKpis:
    """The sales figures of [start, end). Money in the orders' currency; rates are fractions; None = no base."""

    start: pd.Timestamp
    end: pd.Timestamp
    revenue: float
    orders: int
    average_order_value: float | None
    units: int | None
    active_customers: int
    new_customers: int
    repeat_purchase_rate: float | None
    revenue_previous_period: float
    revenue_same_period_last_year: float
    growth_vs_previous_period: float | None
    growth_vs_last_year: float | None
    won_deals: int | None
    lost_deals: int | None
    win_rate: float | None
    average_sales_cycle_days: float | None
    open_pipeline: float | None
    weighted_pipeline: float | None


def period_revenue(
    orders: pd.DataFrame,
    start: Moment,
    end: Moment,
    *,
    date_col: str = "ordered_at",
    amount_col: str = "total_amount",
    status_col: str = "status",
) -> float:
    """Σ amount of the paid or shipped orders with start <= ordered_at < end (currency units)."""
    paid = revenue_orders(orders, status_col=status_col, date_col=date_col)
    return float(paid.loc[between(paid[date_col], utc(start), utc(end)), amount_col].sum())


def win_rate(
    deals: pd.DataFrame,
    start: Moment,
    end: Moment,
    *,
    stage_col: str = "stage",
    closed_col: str = "closed_at",
) -> tuple[int, int, float | None]:
    """(won, lost, won / (won + lost)) over the deals closed in [start, end); the rate is None with no closed deal."""
    closed = deals.loc[deals[stage_col].isin((DealStage.won, DealStage.lost)) & deals[closed_col].notna()]
    closed = closed.loc[between(utc_column(closed[closed_col]), utc(start), utc(end))]
    won, lost = int((closed[stage_col] == DealStage.won).sum()), int((closed[stage_col] == DealStage.lost).sum())
    return won, lost, measures.win_rate(won, lost)


def average_sales_cycle_days(
    deals: pd.DataFrame,
    start: Moment,
    end: Moment,
    *,
    stage_col: str = "stage",
    created_col: str = "created_at",
    closed_col: str = "closed_at",
) -> float | None:
    """Mean of (closed_at − created_at) in days (fractional) over the deals won in [start, end); None if none."""
    won = deals.loc[(deals[stage_col] == DealStage.won) & deals[closed_col].notna()]
    closed_at = utc_column(won[closed_col])
    in_period = between(closed_at, utc(start), utc(end))
    if not in_period.any():
        return None
    cycle = (closed_at[in_period] - utc_column(won.loc[in_period, created_col])) / DAY
    return float(cycle.mean())


def pipeline_value(
    deals: pd.DataFrame,
    *,
    stage_col: str = "stage",
    amount_col: str = "amount",
    probability_col: str = "probability",
    open_stages: tuple[str, ...] = OPEN_STAGES,
) -> tuple[float, float]:
    """(open pipeline, weighted pipeline) = (Σ amount, Σ amount × probability) over deals in an open stage.

    A snapshot of the deals as given (their current stage), in currency units; probability is a fraction.
    """
    open_deals = deals.loc[deals[stage_col].isin(open_stages)]
    amount = open_deals[amount_col].astype(float)
    return float(amount.sum()), measures.weighted_pipeline(amount.to_numpy(), open_deals[probability_col].to_numpy())


def sales_kpis(
    orders: pd.DataFrame,
    start: Moment,
    end: Moment,
    *,
    lines: pd.DataFrame | None = None,
    deals: pd.DataFrame | None = None,
    customer_col: str = "customer_id",
    date_col: str = "ordered_at",
    amount_col: str = "total_amount",
    status_col: str = "status",
    order_id_col: str = "id",
    line_order_col: str = "order_id",
    quantity_col: str = "quantity",
) -> SalesKpis:
    """The KPIs of [start, end) over revenue orders (paid or shipped), their lines and the deals.

    - revenue = Σ total_amount; orders = count; average_order_value = revenue / orders (None without orders)
    - units = Σ quantity of the lines of those orders (None when `lines` is not given)
    - active_customers = distinct customers with a revenue order in the period
    - new_customers = active customers whose first revenue order ever falls in the period
    - repeat_purchase_rate = share of active customers with two or more revenue orders in the period
    - growth_vs_previous_period: against [start − (end − start), start);
      growth_vs_last_year: against [start − 1 year, end − 1 year); both (cur − base) / base, None when base = 0
    - win_rate = won / (won + lost) over deals closed in the period; average_sales_cycle_days over won ones
    - open_pipeline = Σ amount and weighted_pipeline = Σ amount × probability over deals in an open stage,
      a snapshot of the deals as given (the table holds current stages, not their history)
    """
    start, end = utc(start), utc(end)
    paid = revenue_orders(orders, status_col=status_col, date_col=date_col)
    in_period = paid.loc[between(paid[date_col], start, end)]

    revenue = measures.revenue(in_period[amount_col].to_numpy())
    order_count = int(len(in_period))
    orders_per_customer = in_period.groupby(customer_col).size()
    active = int(orders_per_customer.size)
    first_order = paid.groupby(customer_col)[date_col].min()
    new = int(between(first_order, start, end).sum())

    units = None
    if lines is not None:
        units = int(lines.loc[lines[line_order_col].isin(in_period[order_id_col]), quantity_col].sum())

    def revenue_between(a: pd.Timestamp, b: pd.Timestamp) -> float:
        return float(paid.loc[between(paid[date_col], a, b), amount_col].sum())

    previous = revenue_between(start - (end - start), start)
    last_year = revenue_between(start - pd.DateOffset(years=1), end - pd.DateOffset(years=1))

    won = lost = rate = cycle = open_pipeline = weighted = None
    if deals is not None:
        won, lost, rate = win_rate(deals, start, end)
        cycle = average_sales_cycle_days(deals, start, end)
        open_pipeline, weighted = pipeline_value(deals)

    return SalesKpis(
        start=start,
        end=end,
        revenue=revenue,
        orders=order_count,
        average_order_value=measures.average_order_value(revenue, order_count),
        units=units,
        active_customers=active,
        new_customers=new,
        repeat_purchase_rate=float((orders_per_customer >= 2).mean()) if active else None,
        revenue_previous_period=previous,
        revenue_same_period_last_year=last_year,
        growth_vs_previous_period=growth(revenue, previous),
        growth_vs_last_year=growth(revenue, last_year),
        won_deals=won,
        lost_deals=lost,
        win_rate=rate,
        average_sales_cycle_days=cycle,
        open_pipeline=open_pipeline,
        weighted_pipeline=weighted,
    )
