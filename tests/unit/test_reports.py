"""Report periods, the one filter helper, and the text rendering, on hand-built frames."""

from __future__ import annotations

from dataclasses import replace
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
                 campaigns=pd.DataFrame({"id": pd.Series([], dtype=int), "cost": pd.Series([], dtype=float),
                                         "start_date": pd.Series([], dtype="datetime64[ns]")}),
                 campaign_targets=empty.assign(campaign_id=pd.Series([], dtype=int), responded=pd.Series([], dtype=bool),
                                               attributed_revenue=pd.Series([], dtype=float)))


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


def _with_campaigns() -> Facts:
    """Spring (cost 1,000): three EMEA targets (revenue 600 and 300 from the two who responded, 0) and one APAC
    target (500). APAC only (cost 200): two APAC targets (100 and 0)."""
    campaigns = pd.DataFrame({"id": [1, 2], "name": ["Spring", "APAC only"], "channel": ["email", "event"],
                              "start_date": [T("2026-03-01"), T("2026-03-15")], "cost": [1000.0, 200.0]})
    targets = pd.DataFrame({
        "campaign_id": [1, 1, 1, 1, 2, 2], "customer_id": [10, 10, 10, 20, 20, 20],
        "region": ["EMEA", "EMEA", "EMEA", "APAC", "APAC", "APAC"], "segment": ["SMB"] * 6,
        "owner_id": [7.0, 7.0, 7.0, None, None, None],
        "responded": [True, True, False, True, True, False],
        "attributed_revenue": [600.0, 300.0, 0.0, 500.0, 100.0, 0.0],
    })
    return replace(_facts(), campaigns=campaigns, campaign_targets=targets)


def test_a_filtered_campaign_report_shares_the_cost_by_the_targets_in_the_view():
    report = build_report("campaigns", _with_campaigns(), ReportPeriod.ending(date(2026, 5, 1)),
                          ReportFilters(region="EMEA")).result
    # APAC only has no target in EMEA: left out (it was listed with ROI −100 %). Spring has 3 of its 4 targets
    # in EMEA, so 3/4 of its cost, 750: ROI (900 − 750) / 750 = 0.2 (was (900 − 1,000) / 1,000 = −0.1),
    # cost per target 750 / 3 = 250, cost per response 750 / 2 = 375.
    [spring] = report.campaigns
    assert (spring.name, spring.targets, spring.responders) == ("Spring", 3, 2)
    assert spring.cost == 750.0 and spring.attributed_revenue == 900.0
    assert spring.roi == pytest.approx(0.2) and spring.cost_per_target == 250.0
    assert spring.cost_per_response == 375.0 and spring.response_rate == pytest.approx(2 / 3)


def test_an_unfiltered_campaign_report_keeps_every_campaign_and_its_whole_cost():
    report = build_report("campaigns", _with_campaigns(), ReportPeriod.ending(date(2026, 5, 1))).result
    assert [(c.name, c.cost, c.targets) for c in report.campaigns] == [("Spring", 1000.0, 4), ("APAC only", 200.0, 2)]
    assert report.campaigns[0].roi == pytest.approx((1400 - 1000) / 1000)


def test_kpis_report_with_a_filter_by_hand():
    report = build_report("kpis", _facts(), ReportPeriod.ending(date(2026, 5, 1)), ReportFilters(category="Software"))
    assert report.filters == {"category": "Software"}
    kpis = report.result.kpis
    # Software lines: order 1 (100) and order 2 (50), both of customer 10
    assert (kpis["revenue"], kpis["orders"], kpis["active_customers"]) == (150.0, 2, 1)
    assert kpis["units"] == 2 and kpis["average_order_value"] == 75.0
    # The JSON form (--json, and the stored fit) keeps the names it always had.
    printed = report.as_json()
    assert list(printed)[:5] == ["report", "filters", "as_of", "from", "to"]
    assert (printed["from"], printed["to"], printed["kpis"]["revenue"]) == ("2026-04-01", "2026-04-30", 150.0)


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
                          "error": "Segments need at least 3 customers with a paid order; there are 2.",
                          "error_words": ["Segments need at least 3 customers with a paid order; there are {count}.",
                                          {"count": 2}]}
    assert "Insight segments not fitted: Segments need at least 3" in caplog.text


def test_a_real_bug_is_not_mistaken_for_too_little_data(monkeypatch):
    import crm_app.data.insights_refresh as insights_refresh

    def broken(*args, **kwargs):
        raise ValueError("could not convert string to float: 'n/a'")

    monkeypatch.setattr(insights_refresh, "build_report", broken)
    with pytest.raises(ValueError, match="could not convert"):
        fit_insight("segments", _facts(), ReportPeriod.ending(date(2026, 5, 1)))
