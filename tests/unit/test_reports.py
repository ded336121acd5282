"""Report periods, the one filter helper, and the text rendering, on hand-built frames."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from crm_app.data.facts import Facts
from crm_app.analytics.errors import TooLittleData
from crm_app.data.insights_refresh import fit_insight
from crm_app.data.reports import ReportFilters, ReportPeriod, build_report, filtered_facts
from crm_app.report_text import report_as_text

T = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731


def _facts() -> Facts:
    orders = pd.DataFrame({
        "id": [1, 2, 3], "customer_id": [10, 10, 20], "status": ["paid", "paid", "shipped"],
        "channel": ["online", "store", "online"], "total_amount": [300.0, 50.0, 80.0],
        "ordered_at": [T("2026-04-02"), T("2026-04-03"), T("2026-04-04")],
        "region": ["EMEA", "EMEA", "APAC"], "segment": ["SMB"] * 3, "owner_id": [7.0, 7.0, None],
    })
    lines = pd.DataFrame({
        "order_id": [1, 1, 2, 3], "product_id": [1, 2, 2, 1], "category": ["Computers", "Software", "Software", "Computers"],
        "quantity": [2, 1, 1, 1], "unit_price": [100.0, 100.0, 50.0, 80.0], "discount": [0.0, 0.0, 0.0, 0.5],
        "unit_cost": [0.0] * 4,
    })
    customers = pd.DataFrame({"id": [10, 20], "region": ["EMEA", "APAC"], "segment": ["SMB", "SMB"], "owner_id": [7.0, None]})
    empty = pd.DataFrame({"customer_id": pd.Series([], dtype=int), "owner_id": pd.Series([], dtype=float)})
    deals = empty.assign(stage=pd.Series([], dtype=object), amount=0.0, probability=0.0,
                         created_at=pd.Series([], dtype="datetime64[us, UTC]"),
                         closed_at=pd.Series([], dtype="datetime64[us, UTC]"))
    feedback = empty.assign(csat=pd.Series([], dtype=float), nps=pd.Series([], dtype=float),
                            submitted_at=pd.Series([], dtype="datetime64[us, UTC]"))
    return Facts(orders=orders, lines=lines, customers=customers, deals=deals, feedback=feedback, activities=empty,
                 campaigns=pd.DataFrame(), campaign_targets=empty)


def test_a_period_defaults_to_the_30_days_before_as_of():
    assert ReportPeriod.ending(date(2026, 5, 1)) == ReportPeriod(date(2026, 5, 1), date(2026, 4, 1), date(2026, 4, 30))
    assert ReportPeriod.ending(date(2026, 5, 1), end=date(2026, 3, 31)).start == date(2026, 3, 2)
    with pytest.raises(ValueError, match="starts"):
        ReportPeriod.ending(date(2026, 5, 1), start=date(2026, 4, 10), end=date(2026, 4, 9))


def test_a_category_counts_only_its_lines_net_amounts():
    narrowed = filtered_facts(_facts(), ReportFilters(category="Computers"))
    # order 1: 2 × 100 = 200 of its 300; order 2 has no computer; order 3: 80 × (1 − 0.5) = 40
    assert narrowed.orders[["id", "total_amount"]].values.tolist() == [[1, 200.0], [3, 40.0]]
    assert narrowed.lines["order_id"].tolist() == [1, 3]


def test_region_channel_and_rep_narrow_every_frame_that_has_them():
    assert filtered_facts(_facts(), ReportFilters(region="EMEA", channel="online")).orders["id"].tolist() == [1]
    mine = filtered_facts(_facts(), ReportFilters(rep="r@example.com", rep_id=7))
    assert mine.orders["id"].tolist() == [1, 2] and mine.customers["id"].tolist() == [10]


def test_kpis_report_with_a_filter_by_hand():
    report = build_report("kpis", _facts(), ReportPeriod.ending(date(2026, 5, 1)), ReportFilters(category="Software"))
    assert report["filters"] == {"category": "Software"}
    # Software lines: order 1 (100) and order 2 (50), both of customer 10
    assert (report["kpis"]["revenue"], report["kpis"]["orders"], report["kpis"]["active_customers"]) == (150.0, 2, 1)
    assert report["kpis"]["units"] == 2 and report["kpis"]["average_order_value"] == 75.0


def test_text_rendering_aligns_tables_and_keeps_ids_plain():
    text = report_as_text({"overall": 0.91234, "revenue": 1234567.891, "queue": [
        {"customer_id": 1234, "problems": "no phone"}, {"customer_id": 7, "problems": None}]})
    assert text.splitlines() == [
        "overall: 0.9123",
        "revenue: 1,234,567.89",
        "queue:",
        "  customer_id  problems",
        "  -----------  --------",
        "         1234  no phone",
        "            7         –",
    ]


def test_too_little_data_becomes_the_insights_message_and_is_logged(caplog):
    # Two customers with paid orders: segments need three.
    with pytest.raises(TooLittleData, match="Segments need at least 3 customers with a paid order; there are 2."):
        build_report("segments", _facts(), ReportPeriod.ending(date(2026, 5, 1)))
    with caplog.at_level("INFO", logger="crm_app.data.insights_refresh"):
        fit = fit_insight("segments", _facts(), ReportPeriod.ending(date(2026, 5, 1)))
    assert fit.report == {"report": "segments",
                          "error": "Segments need at least 3 customers with a paid order; there are 2."}
    assert "Insight segments not fitted: Segments need at least 3" in caplog.text


def test_a_real_bug_is_not_mistaken_for_too_little_data(monkeypatch):
    import crm_app.data.insights_refresh as insights_refresh

    def broken(*args, **kwargs):
        raise ValueError("could not convert string to float: 'n/a'")

    monkeypatch.setattr(insights_refresh, "build_report", broken)
    with pytest.raises(ValueError, match="could not convert"):
        fit_insight("segments", _facts(), ReportPeriod.ending(date(2026, 5, 1)))
