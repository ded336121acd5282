"""CSV import in Chromium: the dry run names every bad row and writes nothing; confirming writes the good rows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.models import Customer, User
from tests.e2e.conftest import open_page, path_is, sign_in

pytestmark = pytest.mark.e2e

FILE = (
    "external_ref,name,email,phone,company,region,segment,channel,owner_email\n"
    "E2E-IMP-1,Imported One,one@example.org,+1 415 234 5678,,EMEA,SMB,referral,\n"
    "E2E-IMP-2,Bad Email,not-an-email,,,EMEA,SMB,referral,\n"
    "E2E-IMP-3,Imported Three,,,Three Ltd,APAC,Enterprise,event,rep1@example.com\n"
    "E2E-IMP-4,Bad Region,,,,Mars,SMB,referral,\n"
).encode()


def _imported(database_url: str) -> list[tuple[str, str | None, str]]:
    with Session(engine_for(database_url)) as session:
        return [tuple(row) for row in session.exec(
            select(Customer.external_ref, Customer.phone, User.email).join(User, User.id == Customer.owner_id)
            .where(Customer.external_ref.startswith("E2E-IMP-")).order_by(Customer.external_ref)).all()]


def test_a_rep_sees_both_bad_rows_and_nothing_is_written_until_confirmed(new_context, app_url, e2e_database_url):
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    expect(page.get_by_test_id("nav-import")).to_be_visible()
    open_page(page, f"{app_url}/import")
    page.get_by_test_id("import-dropzone").locator("input[type=file]").set_input_files(
        files=[{"name": "customers.csv", "mimeType": "text/csv", "buffer": FILE}])
    expect(page.get_by_test_id("import-chosen-file")).to_have_text("customers.csv")
    page.get_by_role("button", name="Check file").click()

    expect(page.get_by_test_id("import-summary")).to_have_text(
        "4 rows: 2 customers to create, 0 to update, 0 unchanged; 2 bad rows skipped.")
    problems = page.get_by_test_id("import-problem")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_have_text("2emailis not a valid email address")
    expect(problems.nth(1)).to_have_text("4regionis not allowed; use one of: EMEA, North America, LATAM, APAC")
    assert _imported(e2e_database_url) == []

    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_test_id("import-summary")).to_have_text(
        "4 rows: 2 customers created, 0 updated, 0 unchanged; 2 bad rows skipped.")
    expect(page.get_by_text("Import finished: 2 created, 0 updated.")).to_be_visible()
    assert _imported(e2e_database_url) == [("E2E-IMP-1", "+14152345678", "rep1@example.com"),
                                           ("E2E-IMP-3", None, "rep1@example.com")]


def test_executives_are_neither_offered_nor_let_into_the_import(new_context, app_url):
    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    expect(page.get_by_test_id("nav-customers")).to_be_visible()
    expect(page.get_by_test_id("nav-import")).to_have_count(0)
    open_page(page, f"{app_url}/import")
    expect(page).to_have_url(path_is(app_url, "/"))
