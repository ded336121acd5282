"""Bulk actions on /customers in Chromium: an admin ticks rows, gives them to another rep and reads how many
changed (the change is on each customer's timeline as one bulk action); a rep gives a task to each of the rows
they ticked, due at the default next working hour on their clock, and is not offered campaigns; a marketer adds
ticked rows to a draft campaign and reads how many joined and why the others were left out."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, update
from sqlmodel import Session, func, select

from crm_app.data.db import engine_for
from crm_app.data.models import Activity, AuditLog, Campaign, CampaignTarget, Customer, User, utcnow
from crm_app.data.repositories import campaigns
from crm_app.data.repositories.users import actor_of
from crm_app.due_times import at_wall_clock
from crm_app.formatting import day, moment
from tests.e2e.conftest import open_page, sign_in, writing

pytestmark = pytest.mark.e2e


def test_an_admin_selects_rows_and_reassigns_them_seeing_the_count(new_context, app_url, e2e_database_url):
    engine = engine_for(e2e_database_url)
    with Session(engine) as session:
        rep1 = session.exec(select(User).where(User.email == "rep1@example.com")).one()
        rep2 = session.exec(select(User).where(User.email == "rep2@example.com")).one()
        region = session.exec(select(Customer.region).where(Customer.owner_id == rep2.id)
                              .group_by(Customer.region).order_by(func.count().desc())).first()
        shown = session.exec(select(Customer.id, Customer.name).where(Customer.owner_id == rep2.id,
                                                                      Customer.region == region)
                             .order_by(Customer.name, Customer.id).limit(3)).all()
    chosen = shown[:2]
    page = new_context().new_page()
    sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    open_page(page, f"{app_url}/customers?region={region}&owner={rep2.id}")
    expect(page.get_by_test_id("customer-row").first).to_contain_text(shown[0].name)
    try:
        for _, name in chosen:
            page.get_by_role("checkbox", name=f"Select {name}", exact=True).click()
        expect(page.get_by_test_id("selection-label")).to_have_text("2 customers selected")
        page.get_by_role("button", name="Change owner").click()
        page.get_by_label("New owner").select_option(label=rep1.full_name)
        page.get_by_role("button", name="Reassign").click()
        expect(page.get_by_text("2 customers reassigned", exact=True)).to_be_visible()
        expect(page.get_by_test_id("selection-label")).to_have_count(0)
        # They left the filtered list (owner: rep2); the third row is now first.
        expect(page.get_by_test_id("customer-row").first).to_contain_text(shown[2].name)
        with Session(engine) as session:
            owners = session.exec(select(Customer.owner_id).where(Customer.id.in_([i for i, _ in chosen]))).all()
            batches = session.exec(select(AuditLog.batch_id).where(
                AuditLog.action == "reassign", AuditLog.entity_id.in_([i for i, _ in chosen]))).all()
        assert owners == [rep1.id, rep1.id]
        assert len(batches) == 2 and batches[0] == batches[1] and batches[0]

        open_page(page, f"{app_url}/customers/{chosen[0][0]}")
        expect(page.get_by_text("Owner changed (bulk action on 2 customers)")).to_be_visible()
        expect(page.get_by_text(f"Owner: {rep2.full_name} -> {rep1.full_name}")).to_be_visible()
    finally:  # the other tests' data as seeded
        with writing(engine) as session:
            session.exec(update(Customer).where(Customer.id.in_([i for i, _ in chosen])).values(owner_id=rep2.id))
            session.commit()


def test_a_rep_gives_a_task_to_each_selected_customer_due_at_the_default_hour(new_context, app_url,
                                                                                e2e_database_url):
    engine = engine_for(e2e_database_url)
    subject = "Send the autumn price list (bulk e2e)"
    with Session(engine) as session:
        rep1 = session.exec(select(User).where(User.email == "rep1@example.com")).one()
        region = session.exec(select(Customer.region).where(Customer.owner_id == rep1.id)
                              .group_by(Customer.region).order_by(func.count().desc())).first()
        chosen = session.exec(select(Customer.id, Customer.name).where(Customer.owner_id == rep1.id,
                                                                       Customer.region == region)
                              .order_by(Customer.name, Customer.id).limit(2)).all()
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/customers?region={region}")
    expect(page.get_by_role("button", name="Change owner")).to_have_count(0)  # admins only
    try:
        expect(page.get_by_role("button", name="Add to a campaign")).to_have_count(0)  # marketers and admins
        for _, name in chosen:
            page.get_by_role("checkbox", name=f"Select {name}", exact=True).click()
        expect(page.get_by_test_id("selection-label")).to_have_text("2 customers selected")
        expect(page.get_by_role("button", name="Change owner")).to_have_count(0)
        expect(page.get_by_role("button", name="Add to a campaign")).to_have_count(0)
        page.get_by_role("button", name="Create a task for each").click()
        due_on, due_time = page.locator("#field-due_on").input_value(), page.locator("#field-due_time").input_value()
        page.get_by_role("button", name="Create tasks").click()
        expect(page.get_by_test_id("error-subject")).to_have_text("Write what is to be done, in 1 to 200 characters.")
        page.get_by_label("What is to be done").fill(subject)
        page.get_by_role("button", name="Create tasks").click()
        with Session(engine) as session:
            zone = session.exec(select(User.time_zone).where(User.id == rep1.id)).one()
        due = at_wall_clock(date.fromisoformat(due_on), time.fromisoformat(due_time), zone)
        # The due moment as every page writes it, on the rep's clock ("Dec 7, 2026, 9:00 AM").
        expect(page.get_by_text(f"2 customers given a task: due {moment(due, zone)}.", exact=True)).to_be_visible()
        with Session(engine) as session:
            made = session.exec(select(Activity.customer_id, Activity.owner_id, Activity.due_at)
                                .where(Activity.subject == subject).order_by(Activity.customer_id)).all()
        assert [tuple(row) for row in made] == [(i, rep1.id, due) for i in sorted(i for i, _ in chosen)]
    finally:
        with writing(engine) as session:
            session.exec(delete(Activity).where(Activity.subject == subject))
            session.commit()


def test_a_marketer_adds_ticked_customers_to_a_draft_campaign_and_reads_who_was_left_out(new_context, app_url,
                                                                                      e2e_database_url):
    engine = engine_for(e2e_database_url)
    with writing(engine) as session:
        marketer = actor_of(session.exec(select(User).where(User.email == "marketer@example.com")).one())
        region = session.exec(select(Customer.region).group_by(Customer.region)
                              .order_by(func.count().desc())).first()
        first_page = session.exec(select(Customer).where(Customer.region == region)
                                  .order_by(Customer.name, Customer.id).limit(50)).all()
        consenting = next((c.id, c.name) for c in first_page if c.consent_email and c.email)
        refusing = next((c.id, c.name) for c in first_page if not c.consent_email)
        today = utcnow().date()
        campaign = campaigns.create_campaign(session=session, actor=marketer, draft=campaigns.CampaignDraft(
            name="Bulk e2e spring offer", channel="email", start_date=today, end_date=today + timedelta(days=7),
            holdout_share=0, email_subject="Hello {name}", email_body="Our spring offer: {survey_link}"))
        session.commit()
        campaign_id = campaign.id
    page = new_context().new_page()
    sign_in(page, app_url, "marketer@example.com", "demo-marketer-2026")
    open_page(page, f"{app_url}/customers?region={region}")
    try:
        for _, name in (consenting, refusing):
            page.get_by_role("checkbox", name=f"Select {name}", exact=True).click()
        expect(page.get_by_test_id("selection-label")).to_have_text("2 customers selected")
        expect(page.get_by_role("button", name="Create a task for each")).to_have_count(0)  # marketers read customers
        page.get_by_role("button", name="Add to a campaign").click()
        page.get_by_role("button", name="Add to campaign").click()
        expect(page.get_by_test_id("error-campaign_id")).to_have_text("Choose the campaign.")
        page.get_by_label("Campaign (drafts)").select_option(
            label=f"Bulk e2e spring offer (Email, starts {day(today)})")
        page.get_by_role("button", name="Add to campaign").click()
        expect(page.get_by_text("1 customer added to “Bulk e2e spring offer”; 1 left out: 1 without email consent "
                                "or address.", exact=True)).to_be_visible()
        with Session(engine) as session:
            targets = session.exec(select(CampaignTarget.customer_id, CampaignTarget.target_group)
                                   .where(CampaignTarget.campaign_id == campaign_id)).all()
            batches = session.exec(select(AuditLog.entity, AuditLog.entity_id, AuditLog.batch_id).where(
                ((AuditLog.entity == "campaign") & (AuditLog.entity_id == campaign_id) & (AuditLog.action == "audience"))
                | (AuditLog.action == "campaign_add"))).all()
        assert [tuple(row) for row in targets] == [(consenting[0], "contacted")]
        assert sorted((entity, entity_id) for entity, entity_id, _ in batches) == [
            ("campaign", campaign_id), ("customer", consenting[0])]
        assert len({batch for _, _, batch in batches}) == 1 and batches[0][2]

        # Again: the customer is in the campaign once.
        page.get_by_role("checkbox", name=f"Select {consenting[1]}", exact=True).click()
        page.get_by_role("button", name="Add to a campaign").click()
        page.get_by_label("Campaign (drafts)").select_option(
            label=f"Bulk e2e spring offer (Email, starts {day(today)})")
        page.get_by_role("button", name="Add to campaign").click()
        expect(page.get_by_text("0 customers added to “Bulk e2e spring offer”; 1 left out: 1 already in the "
                                "campaign.", exact=True)).to_be_visible()
    finally:
        with writing(engine) as session:
            session.exec(delete(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id))
            session.exec(delete(Campaign).where(Campaign.id == campaign_id))
            session.commit()
