"""Sales KPIs of March 2024 on a hand-built book of orders and deals."""

import pandas as pd
import pytest

from crm_app.analytics.kpis import growth, pipeline_value, sales_kpis, win_rate

T = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731

ORDERS = pd.DataFrame(
    [
        (1, 1, "paid", T("2023-03-10"), 100.0),  # same period last year
        (2, 1, "shipped", T("2024-02-15"), 200.0),  # previous period
        (3, 1, "paid", T("2024-03-05"), 300.0),
        (4, 1, "shipped", T("2024-03-20"), 100.0),
        (5, 2, "paid", T("2024-03-10"), 200.0),
        (6, 3, "cancelled", T("2024-03-11"), 999.0),  # never revenue
        (7, 3, "refunded", T("2024-03-12"), 500.0),
        (8, 4, "pending", T("2024-03-13"), 50.0),
        (9, 2, "paid", T("2024-04-01 00:00"), 700.0),  # end is exclusive
        (10, 5, "paid", T("2024-02-29 23:59"), 150.0),  # previous period
    ],
    columns=["id", "customer_id", "status", "ordered_at", "total_amount"],
)
LINES = pd.DataFrame({"order_id": [3, 4, 5, 6], "quantity": [2, 1, 3, 10]})
DEALS = pd.DataFrame(
    [
        ("Won", 1000.0, 1.0, T("2024-02-01"), T("2024-03-02")),  # 30 days
        ("Won", 500.0, 1.0, T("2024-03-01"), T("2024-03-11 12:00")),  # 10.5 days
        ("Lost", 800.0, 0.0, T("2024-01-01"), T("2024-03-15")),
        ("Won", 900.0, 1.0, T("2024-03-01"), T("2024-04-02")),  # closed after the period
        ("Lead", 1000.0, 0.10, T("2024-03-01"), pd.NaT),
        ("Negotiation", 2000.0, 0.75, T("2024-02-01"), pd.NaT),
        ("Proposal", 400.0, 0.50, T("2024-02-01"), pd.NaT),
    ],
    columns=["stage", "amount", "probability", "created_at", "closed_at"],
)


def test_march_kpis_by_hand():
    kpis = sales_kpis(ORDERS, "2024-03-01", "2024-04-01", lines=LINES, deals=DEALS)
    # paid/shipped in March: orders 3, 4, 5 -> 300 + 100 + 200 = 600 over 3 orders, AOV 200
    assert (kpis.revenue, kpis.orders, kpis.average_order_value) == (600.0, 3, 200.0)
    # units of those orders' lines: 2 + 1 + 3 (order 6 was cancelled)
    assert kpis.units == 6
    # customers 1 and 2 bought; only 2 bought for the first time; only 1 bought twice -> 1/2
    assert (kpis.active_customers, kpis.new_customers, kpis.repeat_purchase_rate) == (2, 1, 0.5)
    # previous 31 days [Jan 30, Mar 1): 200 + 150 = 350 -> (600 - 350) / 350
    assert kpis.revenue_previous_period == 350.0
    assert kpis.growth_vs_previous_period == pytest.approx(250 / 350)
    # March 2023: 100 -> (600 - 100) / 100 = 5
    assert (kpis.revenue_same_period_last_year, kpis.growth_vs_last_year) == (100.0, 5.0)
    # closed in March: 2 won, 1 lost -> 2/3; cycles 30 and 10.5 days -> 20.25
    assert (kpis.won_deals, kpis.lost_deals) == (2, 1)
    assert kpis.win_rate == pytest.approx(2 / 3)
    assert kpis.average_sales_cycle_days == 20.25
    # open: 1000 + 2000 + 400 = 3400; weighted 100 + 1500 + 200 = 1800
    assert (kpis.open_pipeline, kpis.weighted_pipeline) == (3400.0, 1800.0)


def test_growth_has_no_value_without_a_base():
    assert growth(100.0, 0.0) is None
    assert growth(50.0, 200.0) == -0.75
    kpis = sales_kpis(ORDERS.iloc[[2]], "2024-03-01", "2024-04-01")
    assert kpis.growth_vs_previous_period is None and kpis.growth_vs_last_year is None
    assert kpis.units is None and kpis.win_rate is None and kpis.open_pipeline is None


def test_empty_period():
    kpis = sales_kpis(ORDERS, "2025-01-01", "2025-02-01", deals=DEALS)
    assert (kpis.revenue, kpis.orders, kpis.active_customers) == (0.0, 0, 0)
    assert kpis.average_order_value is None and kpis.repeat_purchase_rate is None
    assert kpis.win_rate is None and kpis.average_sales_cycle_days is None
    assert win_rate(DEALS, "2025-01-01", "2025-02-01") == (0, 0, None)


def test_pipeline_uses_each_deals_own_probability():
    deals = pd.DataFrame({"stage": ["Lead", "Won", "Lost"], "amount": [100.0, 5.0, 7.0], "probability": [0.3, 1, 0]})
    assert pipeline_value(deals) == (100.0, 30.0)
