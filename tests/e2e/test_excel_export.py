"""Excel downloads in Chromium: the customer list's workbook holds the same cells as its CSV, and a cockpit
drill-down's workbook has every row with typed numbers and dates."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlmodel import Session, select

from crm_app.analytics.kpis import sales_kpis
from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Order, User
from tests.e2e.conftest import open_page, sign_in
from tests.e2e.test_cockpit import _facts, _period

pytestmark = pytest.mark.e2e


def _workbook(path: str | Path):
    # Playwright saves downloads without an extension, which openpyxl's file-name check refuses.
    return load_workbook(io.BytesIO(Path(path).read_bytes()))


def test_the_customer_list_as_excel_has_the_same_cells_as_the_csv(new_context, app_url, e2e_database_url):
    with Session(engine_for(e2e_database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == "rep1@example.com")).one()
        names = session.exec(select(Customer.name).where(Customer.owner_id == rep_id)
                             .order_by(Customer.name, Customer.id)).all()
    page = new_context(accept_downloads=True).new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/customers")
    with page.expect_download() as as_csv:
        page.get_by_role("button", name="Export CSV").click()
    with page.expect_download() as as_xlsx:
        page.get_by_role("button", name="Export Excel").click()
    assert as_xlsx.value.suggested_filename == "customers.xlsx"
    with open(as_csv.value.path(), newline="") as file:
        csv_rows = list(csv.reader(file))
    sheet = _workbook(as_xlsx.value.path()).active
    xlsx_rows = [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]
    assert xlsx_rows == csv_rows
    assert [row[1] for row in xlsx_rows[1:]] == list(names)


def test_a_drill_down_as_excel_has_every_row_with_numbers_and_dates(new_context, app_url, e2e_database_url):
    start, end = _period()
    orders = sales_kpis(_facts(e2e_database_url).orders, start, end).orders
    page = new_context(accept_downloads=True).new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}/cockpit")
    page.get_by_role("button", name="Show the rows behind the region chart").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"{orders:,} orders")
    with page.expect_download() as download:
        dialog.get_by_role("button", name="Download Excel").click()
    assert download.value.suggested_filename == "cockpit-region.xlsx"
    header, *rows = _workbook(download.value.path()).active.iter_rows(values_only=True)
    # Customers and reps by name with their ids in their own columns; the amount headed with the currency.
    assert header == ("order", "day", "customer", "customer id", "region", "segment", "channel", "rep", "rep id",
                      "amount (USD)")
    assert len(rows) == orders
    first = dict(zip(header, rows[0], strict=True))
    with Session(engine_for(e2e_database_url)) as session:
        order = session.get(Order, first["order"])
        customer = session.get(Customer, order.customer_id)
    assert isinstance(first["order"], int) and isinstance(first["day"], datetime)
    assert first["day"].date() == order.ordered_at.date()
    assert (first["customer"], first["customer id"]) == (customer.name, customer.id)
    amount = first["amount (USD)"]
    assert isinstance(amount, float | int) and amount == pytest.approx(order.total_amount, abs=0.005)
