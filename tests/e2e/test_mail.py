"""Mail from the pages, end to end in Chromium through the real SMTP server the app sends to: a survey invitation
from the customer page, once a day; the admin page shows the outbox."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.models import Customer, User
from tests.e2e.conftest import open_page, sign_in

pytestmark = pytest.mark.e2e


def test_a_rep_emails_a_customer_their_survey_link_once_a_day(page: Page, app_url, e2e_database_url, smtp_server):
    with Session(engine_for(e2e_database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == "rep1@example.com")).one()
        customer = session.exec(select(Customer).where(Customer.owner_id == rep_id, Customer.consent_email.is_(True),
                                                       Customer.email.is_not(None)).order_by(Customer.id)).first()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/customers/{customer.id}")
    page.get_by_role("button", name="Email survey invitation").click()
    expect(page.get_by_text(f"Survey invitation to {customer.email} queued.")).to_be_visible()
    page.get_by_role("button", name="Email survey invitation").click()
    expect(page.get_by_text(f"Today's survey invitation to {customer.email} was already sent; nothing more was "
                            "sent.")).to_be_visible()

    [email] = smtp_server.mail_to(customer.email)
    assert email["Subject"] == f"How did we do, {customer.name}?"
    [link] = re.findall(rf"{re.escape(app_url)}/feedback\?t=\S+", email.get_body(("plain",)).get_content())
    open_page(page, link)  # the customer's personal survey opens from the email
    expect(page.get_by_text(f"Hello {customer.name.split()[0]}, thank you for taking a moment.")).to_be_visible()


def test_the_admin_page_shows_the_outbox(page: Page, app_url):
    sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    open_page(page, f"{app_url}/admin/users")
    expect(page.get_by_test_id("mail-status")).to_contain_text(re.compile(r"Email outbox: .* sent, 0 failed"))
