"""The cockpit in Chromium: a region filter gives exactly the analytics' figures, bars and funnel stages
cross-filter, the URL keeps the view, and a sales rep sees only their own book."""

from __future__ import annotations

import contextlib
import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, TimeoutError as PlaywrightTimeoutError, expect
from sqlmodel import Session, select

from crm_app.analytics import cockpit as evaluation
from crm_app.formatting import kpi_value
from crm_app.analytics.kpis import period_revenue, pipeline_value, sales_kpis
from crm_app.data.db import engine_for
from crm_app.data.facts import load_facts
from crm_app.data.models import Customer, User
from crm_app.domain import OPEN_STAGES
from tests.e2e.conftest import open_page, sign_in, writing

pytestmark = pytest.mark.e2e

REVENUE = evaluation.KPI_BY_KEY["revenue"]


def _facts(database_url: str):
    with Session(engine_for(database_url)) as session:
        return load_facts(session)


def _period():
    return evaluation.period_for("last_90_days", datetime.now(UTC).date())


def _chosen(page: Page, menu: str):
    """The option a filter menu (the browser's own select) shows as chosen."""
    return page.get_by_role("combobox", name=menu).locator("option:checked")


REVENUE_CHART_LAST_MONTH = ("() => { const d = document.querySelector('[data-testid=chart-revenue] .js-plotly-plot')"
                            "?.data?.[0]; return d ? d.y[d.y.length - 1] : null; }")


def _revenue_chart_last_month(page: Page, expected: float) -> float:
    """The revenue chart's last month once the chart is in view: a chart scrolled away draws a new figure as it
    comes into view (waits up to 15 s for `expected`, then returns what the chart shows)."""
    page.get_by_test_id("chart-revenue").scroll_into_view_if_needed()
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(f"(expected) => ({REVENUE_CHART_LAST_MONTH})() === expected", arg=expected,
                               timeout=15_000)
    return page.evaluate(REVENUE_CHART_LAST_MONTH)


def test_a_region_filter_shows_exactly_the_analytics_figures_and_survives_a_reload(new_context, app_url,
                                                                                  e2e_database_url):
    facts = _facts(e2e_database_url)
    region = str(facts.customers["region"].value_counts().idxmax())
    start, end = _period()
    in_region = facts.orders.loc[facts.orders["region"] == region]
    revenue = sales_kpis(in_region, start, end).revenue
    this_month = period_revenue(in_region, (end - timedelta(days=1)).replace(day=1), end)
    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}/cockpit")
    page.get_by_role("combobox", name="Region").select_option(label=region)
    expect(page).to_have_url(re.compile(rf"/cockpit/?\?region={re.escape(region.replace(' ', '+'))}"))
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(kpi_value("money", revenue))
    # an amount with the company's currency (USD by default) and the locale's grouping, no cents from 1,000 on
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(re.compile(r"^\$\d{1,3}(,\d{3})+$"))
    assert _revenue_chart_last_month(page, round(this_month)) == round(this_month)
    axis = page.evaluate("() => document.querySelector('[data-testid=chart-revenue] .js-plotly-plot').layout.yaxis")
    assert (axis["tickprefix"], axis["title"]["text"]) == ("$", "Revenue (USD)")

    page.reload()
    expect(_chosen(page, "Region")).to_have_text(region)
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(kpi_value("money", revenue))


CATEGORY_BARS = ("() => { const d = document.querySelector('[data-testid=chart-category] .js-plotly-plot')?.data?.[0];"
                 " return d ? Object.fromEntries(d.x.map((x, i) => [x, d.y[i]])) : null; }")


def _category_chart_shows(page: Page, bars: dict[str, float]) -> None:
    """Wait until the category chart draws exactly `bars` (category: revenue)."""
    page.wait_for_function(f"(bars) => JSON.stringify(({CATEGORY_BARS})()) === JSON.stringify(bars)", arg=bars)


def test_a_chart_scrolled_away_is_built_for_the_filters_when_it_comes_into_view(new_context, app_url,
                                                                                 e2e_database_url):
    """A filter change builds and sends only the charts near the viewport; one further down keeps its figure,
    marked busy, until the reader scrolls to it, and then shows the filter's figures."""
    facts = _facts(e2e_database_url)
    region = str(facts.customers["region"].value_counts().idxmax())
    start, end = _period()
    cockpit_facts = evaluation.prepare_cockpit(facts, facts.orders["ordered_at"].max())

    def category_bars(region: str | None) -> dict[str, float]:
        filters = evaluation.CockpitFilters(start=start, end=end, region=region)
        revenue = evaluation.revenue_by(cockpit_facts, filters, "category", start, end)
        return {str(category): round(float(value)) for category, value in revenue.items()}

    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}/cockpit")
    chart = page.get_by_test_id("chart-category")
    expect(chart).not_to_be_in_viewport()
    _category_chart_shows(page, category_bars(None))
    page.get_by_role("combobox", name="Region").select_option(label=region)
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(
        kpi_value("money", sales_kpis(facts.orders.loc[facts.orders["region"] == region], start, end).revenue))
    expect(chart).to_have_attribute("aria-busy", "true")
    assert page.evaluate(CATEGORY_BARS) == category_bars(None)

    chart.scroll_into_view_if_needed()
    expect(chart).to_have_attribute("aria-busy", "false")
    _category_chart_shows(page, category_bars(region))
    assert category_bars(region) != category_bars(None)


def test_clicking_a_region_bar_filters_the_whole_page(new_context, app_url, e2e_database_url):
    facts = _facts(e2e_database_url)
    regions = sorted(map(str, facts.customers["region"].dropna().unique()))
    start, end = _period()
    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}/cockpit")
    bar = page.locator("[data-testid=chart-region] .bars path").first
    expect(bar).to_be_visible()
    bar.click(force=True)
    expect(page).to_have_url(re.compile(rf"/cockpit/?\?region={re.escape(regions[0].replace(' ', '+'))}"))
    revenue = sales_kpis(facts.orders.loc[facts.orders["region"] == regions[0]], start, end).revenue
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(kpi_value("money", revenue))


def test_clicking_a_funnel_stage_shows_its_deals_and_narrows_the_pipeline_figures(new_context, app_url,
                                                                                   e2e_database_url):
    facts = _facts(e2e_database_url)
    stage = str(facts.deals["stage"].astype(str).value_counts().reindex(list(OPEN_STAGES)).idxmax())
    deals_in_stage = int((facts.deals["stage"].astype(str) == stage).sum())
    weighted = pipeline_value(facts.deals, open_stages=(stage,))[1]
    start, end = _period()
    revenue = sales_kpis(facts.orders, start, end).revenue
    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}/cockpit")
    funnel_stage = page.locator("[data-testid=chart-pipeline] .point path").nth(OPEN_STAGES.index(stage))
    expect(funnel_stage).to_be_visible()
    funnel_stage.click(force=True)

    expect(page).to_have_url(re.compile(rf"/cockpit/?\?stage={stage}"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"open deals in {stage}")
    expect(dialog).to_contain_text(f"{deals_in_stage:,} open deals")
    expect(dialog.locator("tbody tr")).to_have_count(min(deals_in_stage, 50))
    assert set(dialog.locator("tbody tr td:nth-child(2)").all_inner_texts()) == {stage}
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_test_id("kpi-weighted_pipeline")).to_have_text(
        kpi_value("money", weighted))
    # A stage belongs to deals: the order figures keep the whole period.
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(kpi_value("money", revenue))
    expect(_chosen(page, "Deal stage")).to_have_text(stage)


def test_a_sales_rep_sees_only_their_own_book(new_context, app_url, e2e_database_url):
    with Session(engine_for(e2e_database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == "rep1@example.com")).one()
    facts = _facts(e2e_database_url)
    start, end = _period()
    own = facts.orders.loc[facts.orders["owner_id"] == rep_id]
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/cockpit?rep=999")
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(
        kpi_value("money", sales_kpis(own, start, end).revenue))
    expect(page.get_by_role("combobox", name="Sales rep")).to_have_count(0)


def test_the_performance_panel_counts_the_events_it_timed(new_context, app_url):
    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}/cockpit")
    for preset in ("Last 30 days", "This month"):
        page.get_by_role("combobox", name="Period").select_option(label=preset)
        expect(_chosen(page, "Period")).to_have_text(preset)

    # The panels at the page's foot are built as they come into view (a filter change leaves them for then).
    page.get_by_test_id("latency-table").scroll_into_view_if_needed()
    expect(page.get_by_test_id("slo-event")).to_contain_text(re.compile(r"· [1-9][\d,]* calls"))
    expect(page.get_by_test_id("latency-table")).to_contain_text("CockpitState.load")
    expect(page.get_by_test_id("usage-table")).to_contain_text("Executive")
    expect(page.get_by_test_id("cockpit-freshness")).to_contain_text("Data as of")


def test_a_chart_opens_its_rows_fifty_a_page(new_context, app_url, e2e_database_url):
    facts = _facts(e2e_database_url)
    start, end = _period()
    orders = sales_kpis(facts.orders, start, end).orders
    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}/cockpit")
    page.get_by_role("button", name="Show the rows behind the region chart").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"{orders:,} orders")
    expect(dialog.locator("tbody tr")).to_have_count(min(orders, 50))
    # customers and reps by name, their ids in their own columns; the amount's header names the currency
    expect(dialog.locator("thead th")).to_have_text(["order", "day", "customer", "customer id", "region", "segment",
                                                     "channel", "rep", "rep id", "amount (USD)"])
    expect(dialog.locator("tbody tr").first.locator("td").last).to_have_text(re.compile(r"^\$[\d,]+\.\d\d$"))
    with page.expect_download() as download:
        dialog.get_by_role("button", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert len(rows) == orders + 1
    header = rows[0]
    first = next(row for row in map(dict, (zip(header, row) for row in rows[1:])) if row["customer id"] and row["rep id"])
    assert header == ["order", "day", "customer", "customer id", "region", "segment", "channel", "rep", "rep id",
                      "amount (USD)"]
    with Session(engine_for(e2e_database_url)) as session:
        customer = session.get(Customer, int(first["customer id"]))
        rep = session.get(User, int(first["rep id"]))
    assert (first["customer"], first["rep"]) == (customer.name, rep.full_name)
    assert first["channel"] in {"Online", "Store", "Phone", "Partner"}


def test_an_executive_sets_a_region_target_that_only_that_region_compares_with(new_context, app_url,
                                                                               e2e_database_url):
    from crm_app.data.models import KpiTarget

    facts = _facts(e2e_database_url)
    regions = facts.customers["region"].value_counts()
    region, other = str(regions.index[0]), str(regions.index[1])
    start, end = _period()
    in_region = facts.orders.loc[facts.orders["region"] == region]
    revenue = sales_kpis(in_region, start, end).revenue
    before = sales_kpis(in_region, *evaluation.comparison_period(start, end, "previous_period")).revenue
    target = round(revenue) + 1000  # 1,000 under target
    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}/cockpit?region={region}")
    expect(page.get_by_test_id("target-revenue")).to_have_text("No target for this view")
    # The change badge shows the direction of the change, whatever the target says.
    expect(page.get_by_test_id("change-revenue")).to_have_attribute(
        "data-accent-color", "green" if revenue > before else "red")

    page.get_by_role("combobox", name="KPI of the target").click()
    page.get_by_role("option", name="Revenue", exact=True).click()
    page.get_by_role("textbox", name="Target value").fill(str(target))
    expect(page.get_by_test_id("set-target")).to_have_text(f"Set target for region {region}, this period")
    page.get_by_test_id("set-target").click()
    gap = revenue - target
    expect(page.get_by_test_id("target-revenue")).to_have_text(
        f"Target {kpi_value('money', target)} (region {region}) · gap "
        f"{kpi_value('money', gap)}")
    page.get_by_role("button", name="Explain Revenue").click()
    status = "within 5 % under target" if -gap <= 0.05 * target else "more than 5 % under target"
    expect(page.get_by_test_id("explain-status")).to_contain_text(status)
    page.keyboard.press("Escape")

    with Session(engine_for(e2e_database_url)) as session:
        stored = session.exec(select(KpiTarget).where(KpiTarget.scope == "region", KpiTarget.scope_value == region,
                                                      KpiTarget.kpi == "revenue")).all()
    assert [(t.period_start, t.period_end, t.target_value) for t in stored] == [
        (start, end - timedelta(days=1), float(target))]

    open_page(page, f"{app_url}/cockpit?region={other}")
    expect(page.get_by_test_id("target-revenue")).to_have_text("No target for this view")
    open_page(page, f"{app_url}/cockpit?region={region}&segment={facts.customers['segment'].iloc[0]}")
    expect(page.get_by_text("Targets are set for the company or for one region, segment or rep.")).to_be_visible()
    expect(page.get_by_test_id("target-revenue")).to_have_text("No target for this view")


def test_a_sales_rep_has_no_targets_form(new_context, app_url):
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/cockpit")
    expect(page.get_by_test_id("kpi-revenue")).not_to_have_text("")
    expect(page.get_by_test_id("set-target")).to_have_count(0)


def test_a_sales_reps_cockpit_compares_with_their_own_target(new_context, app_url, e2e_database_url):
    from crm_app.data.models import KpiTarget

    start, end = _period()
    with writing(e2e_database_url) as session:
        rep = session.exec(select(User).where(User.email == "rep1@example.com")).one()
        rep_id, rep_name = rep.id, rep.full_name
        session.add(KpiTarget(kpi="orders", scope="rep", scope_value=str(rep_id), period_start=start,
                              period_end=end - timedelta(days=1), target_value=1_000_000))
        session.commit()
    facts = _facts(e2e_database_url)
    orders = sales_kpis(facts.orders.loc[facts.orders["owner_id"] == rep_id], start, end).orders
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/cockpit")
    expect(page.get_by_test_id("target-orders")).to_have_text(
        f"Target 1,000,000 (rep {rep_name}) · gap {kpi_value('count', orders - 1_000_000)}")
    # Never the company's target: a KPI with no target of the rep's own has none.
    expect(page.get_by_test_id("target-revenue")).to_have_text("No target for this view")


def test_a_filter_change_writes_the_url_a_reload_keeps_it_and_back_returns_to_the_previous_figures(
        new_context, app_url, e2e_database_url):
    """A filter change recomputes in place and pushes its URL (no redirect, no second load): the URL still names
    the view, a reload shows it again, and the browser's back and forward buttons walk through the earlier views
    with their own figures."""
    facts = _facts(e2e_database_url)
    first, second = map(str, facts.customers["region"].value_counts().index[:2])
    start, end = _period()

    def revenue_of(region: str | None) -> str:
        orders = facts.orders if region is None else facts.orders.loc[facts.orders["region"] == region]
        return kpi_value("money", sales_kpis(orders, start, end).revenue)

    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}/cockpit")
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(revenue_of(None))
    for region in (first, second):
        page.get_by_role("combobox", name="Region").select_option(label=region)
        expect(page).to_have_url(re.compile(rf"/cockpit/?\?region={re.escape(region.replace(' ', '+'))}$"))
        expect(page.get_by_test_id("kpi-revenue")).to_have_text(revenue_of(region))

    page.reload()
    expect(_chosen(page, "Region")).to_have_text(second)
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(revenue_of(second))

    page.go_back()
    expect(page).to_have_url(re.compile(rf"/cockpit/?\?region={re.escape(first.replace(' ', '+'))}$"))
    expect(_chosen(page, "Region")).to_have_text(first)
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(revenue_of(first))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/cockpit/?$"))
    expect(_chosen(page, "Region")).to_have_text("Any")
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(revenue_of(None))
    page.go_forward()
    expect(page).to_have_url(re.compile(rf"/cockpit/?\?region={re.escape(first.replace(' ', '+'))}$"))
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(revenue_of(first))
