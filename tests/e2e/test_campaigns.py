"""Campaigns in Chromium: a marketer creates an email campaign, builds its audience from a segment, starts it (the
outbox holds one message per contacted target and none for the holdout), a response order shows in the figures;
a sales rep whose customer is a target reads the campaign but gets no way to change or start it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, func, select

from crm_app.data.db import engine_for
from crm_app.data.models import CampaignTarget, Customer, MailMessage, Order, Role, User
from crm_app.data.security import hash_password
from crm_app.domain import OrderStatus, SalesChannel, TargetGroup
from tests.e2e.conftest import open_page, path_is, sign_in

pytestmark = pytest.mark.e2e

MARKETER = ("e2e-marketer@example.com", "e2e-marketer-pass-2026")


def test_a_marketer_runs_a_campaign_against_a_holdout(new_context, app_url, e2e_database_url):
    engine = engine_for(e2e_database_url)
    with Session(engine) as session:
        if session.exec(select(User).where(User.email == MARKETER[0])).first() is None:
            session.add(User(email=MARKETER[0], full_name="Mia Marketer", role=Role.marketer,
                             password_hash=hash_password(MARKETER[1])))
            session.commit()
    page = new_context().new_page()
    sign_in(page, app_url, *MARKETER)
    page.get_by_test_id("nav-campaigns").click()
    expect(page).to_have_url(path_is(app_url, "/campaigns"))
    today = datetime.now(UTC).date()
    page.locator("#field-name").fill("E2E holdout test")
    page.locator("#field-cost").fill("500")
    page.locator("#field-start_date").fill(today.isoformat())
    page.locator("#field-end_date").fill((today + timedelta(days=14)).isoformat())
    page.locator("#field-holdout_share").fill("20")
    page.locator("#field-email_subject").fill("An offer for {name}")
    page.locator("#field-email_body").fill("Hello {name}, tell us what you think: {survey_link}")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(re.escape(app_url) + r"/campaigns/\d+/?$"))
    campaign_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    expect(page.get_by_test_id("campaign-heading")).to_have_text("E2E holdout test")

    page.get_by_role("textbox", name="Customer segment").fill("Enterprise")
    page.get_by_role("textbox", name="Region").fill("APAC")
    page.get_by_test_id("audience-submit").click()
    expect(page.get_by_test_id("audience-note")).to_contain_text("held out")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(CampaignTarget)
                            .where(CampaignTarget.campaign_id == campaign_id)).one() == 0
    page.get_by_test_id("audience-save").click()
    page.get_by_test_id("audience-submit").click()
    expect(page.get_by_test_id("audience-note")).to_contain_text("Saved:")
    page.get_by_test_id("start-campaign").click()
    with Session(engine) as session:
        targets = session.exec(select(CampaignTarget, Customer).join(Customer, Customer.id == CampaignTarget.customer_id)
                               .where(CampaignTarget.campaign_id == campaign_id)).all()
    contacted = [c for t, c in targets if t.target_group == TargetGroup.contacted]
    held = [c for t, c in targets if t.target_group == TargetGroup.holdout]
    assert contacted and held
    expect(page.get_by_test_id("campaign-progress")).to_have_text(
        f"{len(contacted):,} of {len(contacted):,} contacted, {len(held):,} held out (never contacted)")
    with Session(engine) as session:
        mailed = set(session.exec(select(MailMessage.to_address)
                                  .where(MailMessage.purpose_key == f"campaign:{campaign_id}")).all())
        assert mailed == {c.email.lower() for c in contacted}
        assert not mailed & {c.email.lower() for c in held if c.email}
        # The first contacted customer answers with an order.
        session.add(Order(customer_id=contacted[0].id, channel=SalesChannel.online, status=OrderStatus.paid,
                          ordered_at=datetime.now(UTC) + timedelta(seconds=1), total_amount=1234.5))
        session.commit()
    page.reload()
    expect(page.get_by_test_id("figure-revenue")).to_have_text("1,234.50")
    expect(page.get_by_test_id("figure-response")).to_have_text(f"{100 / len(contacted):.1f} %")
    expect(page.get_by_test_id("figure-holdout_targets")).to_have_text(f"{len(held):,}")

    # The owner of a targeted customer reads the campaign, and nothing on it changes it.
    with Session(engine) as session:
        owner = session.get(User, contacted[0].owner_id)
    rep_page = new_context().new_page()
    password = owner.email.split("@")[0].replace("rep", "demo-rep") + "-2026"
    sign_in(rep_page, app_url, owner.email, password)
    open_page(rep_page, f"{app_url}/campaigns/{campaign_id}")
    expect(rep_page.get_by_test_id("campaign-heading")).to_have_text("E2E holdout test")
    expect(rep_page.get_by_test_id("start-campaign")).to_have_count(0)
    expect(rep_page.get_by_role("button", name="Save settings")).to_have_count(0)
    expect(rep_page.get_by_test_id("audience-submit")).to_have_count(0)
