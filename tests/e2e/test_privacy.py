"""The Privacy section in Chromium: admins download a customer's data and erase the person after typing their
name; nobody else sees the section."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Order, User
from crm_app.domain import OrderStatus, SalesChannel
from tests.e2e.conftest import open_page, sign_in, writing

pytestmark = pytest.mark.e2e

NAME, EMAIL, PHONE = "Priya Erasable-Probe", "priya.probe@privacy-e2e.example", "+442079460777"


@pytest.fixture
def priya(e2e_database_url) -> int:
    """A customer of rep1's of this test's own, so erasing her changes nothing other tests look at."""
    with writing(e2e_database_url) as session:
        rep_id = session.exec(select(User.id).where(User.email == "rep1@example.com")).one()
        customer = Customer(name=NAME, email=EMAIL, phone=PHONE, company="Probe Works", region="EMEA",
                            segment="SMB", acquisition_channel="event", owner_id=rep_id)
        session.add(customer)
        session.flush()
        session.add(Order(customer_id=customer.id, channel=SalesChannel.online, status=OrderStatus.paid,
                          ordered_at=datetime(2026, 10, 2, tzinfo=UTC), total_amount=321.5))
        session.commit()
        return customer.id


def test_only_admins_see_the_privacy_section(new_context, app_url, priya):
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/customers/{priya}")
    expect(page.get_by_test_id("customer-name")).to_have_text(NAME)
    expect(page.get_by_test_id("privacy-section")).to_have_count(0)


def test_admin_exports_then_erases_after_typing_the_name(new_context, app_url, e2e_database_url, priya):
    page = new_context(accept_downloads=True).new_page()
    sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    open_page(page, f"{app_url}/customers/{priya}")
    expect(page.get_by_test_id("privacy-section")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="Export data (JSON)").click()
    exported = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert download.value.suggested_filename == f"customer-{priya}-data.json"
    assert (exported["customer"]["email"], [o["total_amount"] for o in exported["orders"]]) == (EMAIL, [321.5])

    page.get_by_role("button", name="Erase personal data").click()
    page.get_by_label("to confirm").fill("Priya")
    page.get_by_role("button", name="Erase", exact=True).click()
    expect(page.get_by_test_id("error-confirm_name")).to_have_text("Type the customer's name exactly as shown to confirm.")
    with Session(engine_for(e2e_database_url)) as session:
        assert session.get(Customer, priya).email == EMAIL  # a wrong name erases nothing

    page.get_by_label("to confirm").fill(NAME)
    page.get_by_role("button", name="Erase", exact=True).click()
    expect(page.get_by_text("Customer erased:")).to_be_visible()
    expect(page.get_by_test_id("customer-name")).to_have_text(f"Erased customer {priya}")
    with Session(engine_for(e2e_database_url)) as session:
        customer = session.get(Customer, priya)
        assert (customer.name, customer.email, customer.phone, customer.company) == (
            f"Erased customer {priya}", None, None, None)
        assert session.exec(select(Order.total_amount).where(Order.customer_id == priya)).all() == [321.5]
