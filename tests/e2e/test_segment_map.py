"""The segment map in Chromium: a marketer opens /insights' segments tab, sees the map with its summary line, drags a
box over it, reads how many customers the selection holds, and makes them a new draft campaign's audience."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.insights_refresh import insight_model_name
from crm_app.data.models import Campaign, CampaignTarget, Customer, ModelRun
from crm_app.domain import CampaignStatus
from tests.e2e.conftest import ensure_segments_fit, open_page, sign_in

pytestmark = pytest.mark.e2e

MARKETER = ("marketer@example.com", "demo-marketer-2026")


def test_a_marketer_makes_a_box_selection_on_the_map_a_campaign_audience(new_context, app_url, e2e_database_url):
    engine = engine_for(e2e_database_url)
    ensure_segments_fit(e2e_database_url)
    page = new_context().new_page()
    sign_in(page, app_url, *MARKETER)
    open_page(page, f"{app_url}/insights")
    chart = page.get_by_test_id("chart-segment-map")
    expect(chart.get_by_test_id("figure-summary")).to_contain_text("Customers by log RFM (PCA):", timeout=60_000)
    expect(chart.locator(".xtitle")).to_contain_text(re.compile(r"PC1 \(\d+\.\d % of variance\)"))
    expect(page.get_by_test_id("map-audience-submit")).to_be_disabled()

    # A box over the whole plotting area selects every customer drawn.
    drag = chart.locator(".nsewdrag").first
    drag.scroll_into_view_if_needed()
    area = drag.bounding_box()
    page.mouse.move(area["x"] + 2, area["y"] + 2)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2, steps=5)
    page.mouse.move(area["x"] + area["width"] - 2, area["y"] + area["height"] - 2, steps=5)
    page.mouse.up()
    expect(page.get_by_test_id("map-selected")).to_contain_text(re.compile(r"^[\d,]+ customers selected on the map"))
    selected = int(page.get_by_test_id("map-selected").inner_text().split()[0].replace(",", ""))
    assert selected > 0

    page.locator("#field-map_name").fill("E2E map pick")
    page.locator("#field-map_channel").select_option("phone")
    page.get_by_test_id("map-audience-submit").click()
    expect(page.get_by_test_id("map-audience-note")).to_contain_text(f"Saved: {selected:,} customers chosen")
    with Session(engine) as session:
        campaign = session.exec(select(Campaign).where(Campaign.name == "E2E map pick")).one()
        targets = session.exec(select(CampaignTarget.customer_id)
                               .where(CampaignTarget.campaign_id == campaign.id)).all()
        drawn = set()
        for run in session.exec(select(ModelRun).where(ModelRun.model == insight_model_name("segments"))).all():
            drawn |= set((run.summary or {}).get("map", {}).get("customer_id", []))
        consenting = session.exec(select(Customer.id).where(Customer.id.in_(targets),
                                                           Customer.consent_phone.is_(True))).all()
    assert campaign.status == CampaignStatus.draft and str(campaign.channel) == "phone"
    assert 0 < len(targets) <= selected and set(targets) <= drawn and len(consenting) == len(targets)
    expect(page.get_by_test_id("map-audience-note")).to_contain_text(
        f"{selected - len(targets):,} left out without consent for the channel")


def test_a_sales_rep_still_cannot_open_insights(new_context, app_url):
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/insights")
    expect(page.get_by_test_id("chart-segment-map")).to_have_count(0)
