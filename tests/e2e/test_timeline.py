"""The timeline in Chromium: a rep goes from the customer list to the composer in one click, logs a call with a
follow-up task and sees both on the timeline; an executive reads it without a composer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.models import Activity, Customer, LoggedActivity, User
from crm_app.formatting import day
from tests.e2e.conftest import open_page, sign_in, writing

pytestmark = pytest.mark.e2e


def _first_customer_of(database_url: str, email: str) -> Customer:
    with Session(engine_for(database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == email)).one()
        return session.exec(select(Customer).where(Customer.owner_id == rep_id).order_by(Customer.name)).first()


def test_a_rep_logs_a_call_with_a_follow_up_task_and_sees_both(new_context, app_url, e2e_database_url):
    customer = _first_customer_of(e2e_database_url, "rep1@example.com")
    due = (date.today() + timedelta(days=3)).isoformat()
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/customers?sort=name")
    page.get_by_role("link", name=f"Log activity for {customer.name}").click()
    expect(page.get_by_test_id("customer-name")).to_have_text(customer.name)
    assert page.url.endswith(f"/customers/{customer.id}#log-activity")

    page.get_by_role("radio", name="Call").click()
    page.get_by_test_id("log-activity").click()  # nothing written yet: the message says what is missing
    expect(page.get_by_test_id("error-body")).to_have_text("Write what happened.")

    page.get_by_label("What happened").first.fill("Talked renewal terms.\nQuote: https://example.com/quote?id=7")
    page.get_by_label("Outcome").first.select_option("Connected")
    page.get_by_label("Duration (minutes)").first.fill("12")
    page.get_by_label("Subject").fill("Send the renewal quote")
    page.get_by_label("Due date").fill(due)
    page.get_by_label("Time (UTC)").fill("10:30")
    page.get_by_test_id("log-activity").click()

    titles = page.get_by_test_id("timeline-title")
    shown_due = day(date.fromisoformat(due))  # the rep has no time zone set: UTC
    expect(titles.nth(0)).to_have_text(f"Task created: Send the renewal quote (due {shown_due}, 10:30\u202fAM)")
    expect(titles.nth(1)).to_have_text("Call · Connected · 12 min")
    call = page.get_by_test_id("timeline-entry").nth(1)
    expect(call.get_by_test_id("timeline-body")).to_have_text(
        "Talked renewal terms.\nQuote: https://example.com/quote?id=7")
    expect(call.get_by_role("link", name="https://example.com/quote?id=7")).to_have_attribute(
        "href", "https://example.com/quote?id=7")
    expect(page.get_by_test_id("error-body")).to_have_count(0)
    with Session(engine_for(e2e_database_url)) as session:
        task = session.exec(select(Activity).where(Activity.subject == "Send the renewal quote")).one()
        logged = session.exec(select(LoggedActivity).where(LoggedActivity.customer_id == customer.id)).all()
    assert (task.customer_id, task.due_at.isoformat()) == (customer.id, f"{due}T10:30:00+00:00")
    assert [(entry.kind, entry.outcome, entry.duration_minutes) for entry in logged] == [("call", "Connected", 12)]

    # The call is the rep's own: they correct it, then delete it.
    call.get_by_role("button", name="Edit").click()
    call.get_by_label("What happened").fill("Talked renewal terms; they want 3 years.")
    call.get_by_role("button", name="Save").click()
    expect(titles.nth(1)).to_have_text("Call · Connected · 12 min")
    expect(page.get_by_test_id("timeline-body").nth(0)).to_have_text("Talked renewal terms; they want 3 years.")
    page.get_by_test_id("timeline-entry").nth(1).get_by_role("button", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(titles.nth(1)).not_to_have_text("Call · Connected · 12 min")


def test_an_executive_reads_the_timeline_without_a_composer(new_context, app_url, e2e_database_url):
    customer = _first_customer_of(e2e_database_url, "rep2@example.com")
    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}/customers/{customer.id}")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.get_by_test_id("log-activity")).to_have_count(0)
    expect(page.get_by_test_id("timeline-entry").first).to_be_visible()


def test_a_rep_shows_notes_and_calls_together_then_everything_again(new_context, app_url, e2e_database_url):
    customer = _first_customer_of(e2e_database_url, "rep6@example.com")
    with writing(e2e_database_url) as session:
        rep_id = session.exec(select(User.id).where(User.email == "rep6@example.com")).one()
        when = datetime.now(UTC) - timedelta(minutes=5)
        for kind in ("note", "call", "email"):
            session.add(LoggedActivity(kind=kind, body=f"Filtered {kind}", customer_id=customer.id, author_id=rep_id,
                                       occurred_at=when))
        session.commit()
    page = new_context().new_page()
    sign_in(page, app_url, "rep6@example.com", "demo-rep6-2026")
    open_page(page, f"{app_url}/customers/{customer.id}")
    bodies = page.get_by_test_id("timeline-body")
    expect(bodies.filter(has_text="Filtered email")).to_have_count(1)

    kinds = page.get_by_role("group", name="Show entries of kind")
    kinds.get_by_role("button", name="Notes").click()
    kinds.get_by_role("button", name="Calls").click()
    expect(kinds.get_by_role("button", name="Calls")).to_have_attribute("aria-pressed", "true")
    expect(bodies.filter(has_text="Filtered email")).to_have_count(0)
    titles = page.get_by_test_id("timeline-title")
    expect(titles).to_have_text(["Note", "Call"])  # both kinds; at the same moment, by kind (descending)

    kinds.get_by_role("button", name="Everything").click()
    expect(bodies.filter(has_text="Filtered email")).to_have_count(1)
    expect(kinds.get_by_role("button", name="Notes")).to_have_attribute("aria-pressed", "false")
