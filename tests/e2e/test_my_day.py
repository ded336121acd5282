"""My day in Chromium: a rep marks a task done and moves another to tomorrow without leaving the page; an executive
sees the company's figures and follows one into the filtered list behind it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, func, select

from crm_app.counts import count_of
from crm_app.data.db import engine_for
from crm_app.data.models import Activity, ActivityKind, Customer, Deal, DealStage, Feedback, User
from crm_app.domain import NPS_BANDS, OPEN_STAGES
from crm_app.due_times import at_wall_clock, local_today
from tests.e2e.conftest import path_is, sign_in, writing

pytestmark = pytest.mark.e2e

REP, PASSWORD = "rep5@example.com", "demo-rep5-2026"
EXECUTIVE, EXECUTIVE_PASSWORD = "exec@example.com", "demo-exec-2026"


def _figure(page: Page, key: str):
    return page.locator(f"#figure-{key}").get_by_test_id("figure-value")


def _rep_tasks(database_url: str) -> tuple[int, int]:
    """An overdue task (due three days ago) and one due at 00:01 today (UTC: the rep has no time zone set)."""
    today = datetime.now(UTC).date()
    with writing(database_url) as session:
        rep = session.exec(select(User).where(User.email == REP)).one()
        customer_id = session.exec(select(Customer.id).where(Customer.owner_id == rep.id).order_by(Customer.id)).first()
        late = Activity(kind=ActivityKind.call, subject="Call Quinn's oldest lead", owner_id=rep.id,
                        customer_id=customer_id, due_at=datetime.now(UTC) - timedelta(days=3))
        soon = Activity(kind=ActivityKind.email, subject="Send the March quote", owner_id=rep.id,
                        customer_id=customer_id, due_at=datetime.combine(today, time(0, 1), tzinfo=UTC))
        session.add_all([late, soon])
        session.commit()
        return late.id, soon.id


def test_a_rep_marks_a_task_done_and_moves_one_to_tomorrow_from_my_day(page: Page, app_url, e2e_database_url):
    late_id, soon_id = _rep_tasks(e2e_database_url)
    sign_in(page, app_url, REP, PASSWORD)
    expect(page).to_have_url(path_is(app_url, "/"))

    late = page.get_by_test_id("my-task-overdue").filter(has_text="Call Quinn's oldest lead")
    expect(late).to_have_count(1)
    overdue_before = int(_figure(page, "overdue-tasks").inner_text().replace(",", ""))
    page.get_by_role("button", name="Done: Call Quinn's oldest lead").click()
    expect(late).to_have_count(0)
    expect(_figure(page, "overdue-tasks")).to_have_text(f"{overdue_before - 1:,}")

    soon = page.get_by_test_id("my-task-today").filter(has_text="Send the March quote")
    expect(soon).to_have_count(1)
    today_before = int(_figure(page, "today-tasks").inner_text().replace(",", ""))
    page.get_by_role("button", name="Reschedule: Send the March quote").click()
    page.get_by_role("menuitem", name="Tomorrow 09:00").click()
    expect(soon).to_have_count(0)
    expect(_figure(page, "today-tasks")).to_have_text(f"{today_before - 1:,}")

    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    with Session(engine_for(e2e_database_url)) as session:
        done, moved = session.get(Activity, late_id), session.get(Activity, soon_id)
    assert (done.done, done.done_at is not None) == (True, True)
    assert moved.due_at.replace(tzinfo=UTC) == at_wall_clock(tomorrow, time(9), None)

    # The count links to the list behind it: /tasks showing the overdue ones only.
    page.locator("#figure-overdue-tasks").click()
    expect(page).to_have_url(path_is(app_url, "/tasks?show=overdue"))
    expect(page.get_by_test_id("bucket-overdue")).to_have_text(f"Overdue ({overdue_before - 1:,})")
    expect(page.get_by_test_id("bucket-today")).to_have_count(0)


def _late_deal(database_url: str) -> None:
    """An open deal of the rep's whose expected close date has passed."""
    with writing(database_url) as session:
        rep_id = session.exec(select(User.id).where(User.email == REP)).one()
        customer_id = session.exec(select(Customer.id).where(Customer.owner_id == rep_id).order_by(Customer.id)).first()
        session.add(Deal(title="E2E Late proposal", customer_id=customer_id, owner_id=rep_id, stage=DealStage.proposal,
                         amount=3_000, probability=0.5, expected_close_date=date(2001, 1, 1)))
        session.commit()


def _company_figures(database_url: str) -> tuple[int, int]:
    """Open deals past their expected close date (on the executive's clock), and NPS detractors of the last 14
    days (UTC days, as the inbox's date filter), company-wide."""
    low, high = NPS_BANDS["detractor"]
    since = datetime.combine(datetime.now(UTC).date() - timedelta(days=13), time(), tzinfo=UTC)
    with Session(engine_for(database_url)) as session:
        today = local_today(session.exec(select(User.time_zone).where(User.email == EXECUTIVE)).one())
        overdue = session.exec(select(func.count()).select_from(Deal).where(
            Deal.stage.in_(OPEN_STAGES), Deal.expected_close_date < today)).one()
        detractors = session.exec(select(func.count()).select_from(Feedback).where(
            Feedback.nps >= low, Feedback.nps <= high, Feedback.submitted_at >= since)).one()
    return overdue, detractors


def test_an_executive_sees_company_figures_and_follows_one_into_the_filtered_list(page: Page, app_url,
                                                                                   e2e_database_url):
    _late_deal(e2e_database_url)  # whatever today's seed holds, the list below is not trivially empty
    overdue, detractors = _company_figures(e2e_database_url)
    sign_in(page, app_url, EXECUTIVE, EXECUTIVE_PASSWORD)
    expect(page.get_by_text("Welcome, Evan Executive. Company-wide.", exact=True)).to_be_visible()
    expect(_figure(page, "overdue-deals")).to_have_text(f"{overdue:,}")
    expect(_figure(page, "detractors")).to_have_text(f"{detractors:,}")
    # Executives read tasks and work none: no Done buttons on their My day.
    expect(page.get_by_role("button", name=re.compile("^Done: "))).to_have_count(0)
    expect(page.get_by_role("link", name="In the cockpit").first).to_have_attribute("href", "/cockpit?period=this_month")

    page.locator("#figure-overdue-deals").click()
    expect(page).to_have_url(path_is(app_url, "/pipeline?overdue=yes"))
    counts = [page.get_by_test_id(f"count-{stage}") for stage in ("Lead", "Qualified", "Proposal", "Negotiation")]
    for badge in counts:
        expect(badge).to_have_text(re.compile(r"^\d[\d,]*$"))
    assert sum(int(badge.inner_text().replace(",", "")) for badge in counts) == overdue
    expect(page.get_by_test_id("count-Won")).to_have_text("0")

    page.go_back()
    expect(_figure(page, "detractors")).to_have_text(f"{detractors:,}")
    page.locator("#figure-detractors").click()
    since = (datetime.now(UTC).date() - timedelta(days=13)).isoformat()
    expect(page).to_have_url(path_is(app_url, f"/inbox?nps_band=detractor&from={since}"))
    expect(page.get_by_test_id("inbox-total")).to_have_text(count_of(detractors, "answer"))
