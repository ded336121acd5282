"""Tasks in Chromium on the rep's own clock: the browser's time zone is taken on the first load of /tasks, and a
task rescheduled to tomorrow shows, and is stored, at 09:00 tomorrow in that zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.models import Activity, ActivityKind, Customer, User
from crm_app.due_times import at_wall_clock
from tests.e2e.conftest import open_page, sign_in, writing

pytestmark = pytest.mark.e2e

REP, PASSWORD, ZONE = "rep3@example.com", "demo-rep3-2026", "Asia/Tokyo"
SUBJECT = "Call back about the renewal"


def _overdue_task(database_url: str, subject: str = SUBJECT) -> int:
    with writing(database_url) as session:
        rep = session.exec(select(User).where(User.email == REP)).one()
        customer_id = session.exec(select(Customer.id).where(Customer.owner_id == rep.id).order_by(Customer.id)).first()
        task = Activity(kind=ActivityKind.call, subject=subject, owner_id=rep.id, customer_id=customer_id,
                        due_at=datetime.now(UTC) - timedelta(days=3))
        session.add(task)
        session.commit()
        return task.id


def test_a_rep_reschedules_a_task_to_tomorrow_on_their_own_clock(new_context, app_url, e2e_database_url):
    task_id = _overdue_task(e2e_database_url)
    page = new_context(timezone_id=ZONE).new_page()
    sign_in(page, app_url, REP, PASSWORD)
    open_page(page, f"{app_url}/tasks")
    # The browser's zone became the rep's on this first load: the new task form asks for times on that clock.
    expect(page.get_by_text(f"Time ({ZONE})")).to_be_visible()

    overdue = page.get_by_test_id("task-overdue").filter(has_text=SUBJECT)
    expect(overdue).to_have_count(1)
    page.get_by_role("button", name=f"Reschedule: {SUBJECT}").click()
    page.get_by_role("menuitem", name="Tomorrow 09:00").click()

    tomorrow = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
    upcoming = page.get_by_test_id("task-upcoming").filter(has_text=SUBJECT)
    expect(upcoming).to_contain_text(f"Due {tomorrow:%b} {tomorrow.day}, {tomorrow.year}, 9:00 AM")
    expect(overdue).to_have_count(0)
    with Session(engine_for(e2e_database_url)) as session:
        stored = session.get(Activity, task_id).due_at
        zone = session.exec(select(User.time_zone).where(User.email == REP)).one()
    # Stored in UTC: 09:00 in Tokyo (UTC+9, no DST) is 00:00 UTC the same day.
    assert (zone, stored.replace(tzinfo=UTC)) == (ZONE, at_wall_clock(tomorrow, time(9), ZONE))
    assert stored.replace(tzinfo=UTC) == datetime.combine(tomorrow, time(0), tzinfo=UTC)


def test_a_rep_edits_a_task_and_a_blank_subject_is_refused_inline(new_context, app_url, e2e_database_url):
    task_id = _overdue_task(e2e_database_url, subject="Send the price list")
    page = new_context(timezone_id=ZONE).new_page()
    sign_in(page, app_url, REP, PASSWORD)
    open_page(page, f"{app_url}/tasks")
    expect(page.get_by_text(f"Time ({ZONE})")).to_be_visible()
    page.get_by_role("button", name="Edit task: Send the price list").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("What is to be done").fill(" ")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.get_by_test_id("error-subject")).to_have_text(re.compile("1 to 200 characters"))

    dialog.get_by_label("What is to be done").fill("Send the 2027 price list")
    dialog.get_by_label("Due date").fill("2027-01-04")
    dialog.get_by_label(f"Time ({ZONE})").fill("14:30")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("task-upcoming").filter(has_text="Send the 2027 price list")).to_contain_text(
        "Due Jan 4, 2027, 2:30 PM")  # the company's locale (en_US), on the rep's clock
    with Session(engine_for(e2e_database_url)) as session:
        stored = session.get(Activity, task_id)
        subject, due = stored.subject, stored.due_at.replace(tzinfo=UTC)
    assert (subject, due) == ("Send the 2027 price list", datetime(2027, 1, 4, 5, 30, tzinfo=UTC))  # 14:30 JST
