"""The customer list in Chromium: filters live in the URL, export matches the view, reps see only their book."""

from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, func, select

from crm_app.data.db import engine_for
from crm_app.data.models import Customer, User
from tests.e2e.conftest import open_page, path_is, sign_in

pytestmark = pytest.mark.e2e


def _rep_id(database_url: str, email: str) -> int:
    with Session(engine_for(database_url)) as session:
        return session.exec(select(User.id).where(User.email == email)).one()


def test_a_filtered_view_survives_a_reload_and_exports_exactly_its_rows(new_context, app_url, e2e_database_url):
    rep_id = _rep_id(e2e_database_url, "rep1@example.com")
    with Session(engine_for(e2e_database_url)) as session:
        region = session.exec(select(Customer.region).where(Customer.owner_id == rep_id)
                              .group_by(Customer.region).order_by(func.count().desc())).first()
        expected = session.exec(select(Customer.name).where(Customer.owner_id == rep_id, Customer.region == region)
                                .order_by(Customer.name, Customer.id)).all()
    page = new_context(accept_downloads=True).new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    page.get_by_test_id("nav-customers").click()
    page.get_by_role("combobox", name="Region").click()
    page.get_by_role("option", name=region, exact=True).click()
    expect(page).to_have_url(path_is(app_url, f"/customers?region={region.replace(' ', '+')}"))
    expect(page.get_by_test_id("customers-total")).to_have_text(f"{len(expected):,} customers")

    page.reload()
    expect(page.get_by_test_id("customers-total")).to_have_text(f"{len(expected):,} customers")
    expect(page.get_by_test_id("customer-row").first).to_contain_text(expected[0])

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    with open(download.value.path(), newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["name"] for row in rows] == list(expected)
    assert {row["owner_email"] for row in rows} == {"rep1@example.com"}


def test_a_rep_cannot_find_another_reps_customer(new_context, app_url, e2e_database_url):
    rep_id = _rep_id(e2e_database_url, "rep1@example.com")
    with Session(engine_for(e2e_database_url)) as session:
        theirs = session.exec(select(Customer).where(Customer.owner_id == rep_id).order_by(Customer.id)).first()
    page = new_context().new_page()
    sign_in(page, app_url, "rep2@example.com", "demo-rep2-2026")
    open_page(page, f"{app_url}/customers?q={theirs.email}")
    expect(page.get_by_test_id("customers-total")).to_have_text("0 customers")
