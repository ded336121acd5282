"""Campaigns in Chromium: the demo marketer saves the /customers filters (a segment in a region) as a view, creates
an email campaign and builds its audience from that view (counted before saving, those without consent left out),
starts it: the real SMTP server the app sends to receives one message per contacted target and none for the
holdout; a recipient unsubscribes through the link in their message without signing in, and their consent is
cleared; a response order shows in the figures; a sales rep whose customer is a target reads the campaign but gets
no way to change or start it."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.models import CampaignTarget, Customer, Order, User
from crm_app.domain import OrderStatus, SalesChannel, TargetGroup
from tests.e2e.conftest import open_page, path_is, sign_in, writing

pytestmark = pytest.mark.e2e

MARKETER = ("marketer@example.com", "demo-marketer-2026")
VIEW = "APAC Enterprise (campaign e2e)"


def _campaign_mail(smtp_server, campaign_id: int, count: int, timeout: float = 90.0) -> list:
    """The messages of the campaign the SMTP server received, once there are `count` (a few more seconds for any
    that should not come)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with smtp_server.lock:
            mine = [email for email in smtp_server.received if email["X-Campaign"] == str(campaign_id)]
        if len(mine) >= count:
            time.sleep(3)
            with smtp_server.lock:
                return [email for email in smtp_server.received if email["X-Campaign"] == str(campaign_id)]
        time.sleep(0.2)
    raise AssertionError(f"expected {count} messages of campaign {campaign_id}, received {len(mine)}")


def test_a_marketer_runs_a_campaign_against_a_holdout(new_context, app_url, e2e_database_url, smtp_server):
    engine = engine_for(e2e_database_url)
    with Session(engine) as session:
        chosen = session.exec(select(Customer).where(Customer.segment == "Enterprise",
                                                     Customer.region == "APAC")).all()
        reachable = [c for c in chosen if c.consent_email and c.email]
    held_count = round(0.2 * len(reachable))
    page = new_context().new_page()
    sign_in(page, app_url, *MARKETER)

    # The filters on /customers, saved as a view.
    open_page(page, f"{app_url}/customers?segment=Enterprise&region=APAC")
    expect(page.get_by_test_id("customers-total")).to_have_text(f"{len(chosen):,} customers")
    page.get_by_test_id("views-menu").click()
    page.get_by_role("menuitem", name="Save these filters…").click()
    page.get_by_label("View name").fill(VIEW)
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_text(f"View “{VIEW}” saved.")).to_be_visible()

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

    # The audience from the saved view: counted first, nothing saved; those without email consent left out.
    page.locator("#audience-source").select_option("view")
    page.get_by_test_id("audience-submit").click()
    expect(page.get_by_test_id("audience-error")).to_have_text("Choose a saved view of /customers.")
    page.locator("#audience-view").select_option(label=VIEW)
    page.get_by_test_id("audience-submit").click()
    note = (f"{len(chosen):,} customers chosen; {len(chosen) - len(reachable):,} left out without consent for the "
            f"channel; {len(reachable) - held_count:,} to contact and {held_count:,} held out.")
    expect(page.get_by_test_id("audience-note")).to_have_text(note)
    with Session(engine) as session:
        assert session.exec(select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)).all() == []
    page.get_by_test_id("audience-save").click()
    page.get_by_test_id("audience-submit").click()
    expect(page.get_by_test_id("audience-note")).to_have_text("Saved: " + note)
    page.get_by_test_id("start-campaign").click()
    with Session(engine) as session:
        targets = session.exec(select(CampaignTarget, Customer).join(Customer, Customer.id == CampaignTarget.customer_id)
                               .where(CampaignTarget.campaign_id == campaign_id)).all()
    contacted = [c for t, c in targets if t.target_group == TargetGroup.contacted]
    held = [c for t, c in targets if t.target_group == TargetGroup.holdout]
    assert contacted and held and len(held) == held_count
    expect(page.get_by_test_id("campaign-progress")).to_have_text(
        f"{len(contacted):,} of {len(contacted):,} contacted, {len(held):,} held out (never contacted)")

    # Through the real SMTP server: one message per contacted target, none for the holdout.
    received = _campaign_mail(smtp_server, campaign_id, len(contacted))
    assert sorted(email["To"].lower() for email in received) == sorted(c.email.lower() for c in contacted)
    assert not {email["To"].lower() for email in received} & {c.email.lower() for c in held if c.email}
    leaver = contacted[-1]
    [message] = [email for email in received if email["To"].lower() == leaver.email.lower()]
    assert message["Subject"] == f"An offer for {leaver.name}"
    [unsubscribe] = re.findall(rf"{re.escape(app_url)}/unsubscribe\?t=\S+", message.get_body(("plain",)).get_content())

    # The recipient unsubscribes from the link in the message, signed in nowhere.
    stranger = new_context().new_page()
    stranger.goto(unsubscribe)
    stranger.get_by_role("button", name="Unsubscribe").click()
    expect(stranger.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    with Session(engine) as session:
        assert session.get(Customer, leaver.id).consent_email is False

    with writing(engine) as session:
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
