"""Adding a customer in Chromium: inline errors, then the customer is found by search; another rep never sees it."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.models import Customer

from crm_app.states.customer import CustomerState
from crm_app.states.customer_form import CustomerFormState
from tests.e2e.conftest import SOCKET_PROBE, open_page, path_is, sign_in
from tests.e2e.websocket_client import ReflexClient, run

pytestmark = pytest.mark.e2e

NAME, EMAIL = "Zelda Quartermaine", "zelda.q@quartermaine-optics.example.com"


def _zelda(database_url: str) -> Customer | None:
    with Session(engine_for(database_url)) as session:
        return session.exec(select(Customer).where(Customer.name == NAME)).first()


@pytest.fixture(scope="module")
def zelda_id(browser, app_url, e2e_database_url) -> int:
    """rep1 adds Zelda through the form: a bad email is refused inline, the fixed one saves."""
    context = browser.new_context(viewport={"width": 390, "height": 844})  # phone width
    context.add_init_script(SOCKET_PROBE)
    page = context.new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/customers")
    page.get_by_role("button", name="New customer").first.click()  # the toolbar's; an empty list offers one too
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name", exact=True).fill(NAME)
    dialog.get_by_label("Company", exact=True).fill("Quartermaine Optics")
    dialog.get_by_label("Email", exact=True).fill("zelda.q@@quartermaine-optics")
    dialog.get_by_label("Phone, with country code").fill("+44 20 7946 0958")
    dialog.get_by_role("button", name="Save customer").click()

    expect(dialog.get_by_test_id("error-email")).to_contain_text("Enter a valid email address")
    expect(dialog.get_by_label("Email", exact=True)).to_have_attribute("aria-invalid", "true")
    assert _zelda(e2e_database_url) is None

    dialog.get_by_label("Email", exact=True).fill(EMAIL)
    dialog.get_by_role("button", name="Save customer").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(app_url)}/customers/\d+/?$"))
    expect(page.get_by_test_id("customer-name")).to_have_text(NAME)
    expect(page.get_by_text(f"{NAME} saved.")).to_be_visible()
    saved = _zelda(e2e_database_url)
    assert (saved.email, saved.phone) == (EMAIL, "+442079460958")

    open_page(page, f"{app_url}/customers")
    page.get_by_label("Search customers").fill("zelda")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(path_is(app_url, "/customers?q=zelda"))
    expect(page.get_by_test_id("customers-total")).to_have_text("1 customer")
    expect(page.get_by_test_id("customer-row")).to_contain_text(NAME)
    context.close()
    return saved.id


def test_a_rep_adds_a_customer_after_fixing_the_email_and_finds_it(zelda_id, e2e_database_url):
    with Session(engine_for(e2e_database_url)) as session:
        assert session.get(Customer, zelda_id).company == "Quartermaine Optics"


def test_another_rep_sees_it_neither_in_the_list_nor_on_its_page(new_context, app_url, zelda_id):
    page = new_context().new_page()
    sign_in(page, app_url, "rep2@example.com", "demo-rep2-2026")
    open_page(page, f"{app_url}/customers?q=zelda")
    expect(page.get_by_test_id("customers-total")).to_have_text("0 customers")
    open_page(page, f"{app_url}/customers/{zelda_id}")
    expect(page.get_by_test_id("customer-missing")).to_be_visible()
    expect(page.get_by_text(NAME)).to_have_count(0)


def test_another_rep_calling_the_handlers_with_its_id_gets_nothing_and_changes_nothing(
    app_url, e2e_database_url, zelda_id
):
    path = f"/customers/{zelda_id}"

    async def scenario() -> ReflexClient:
        async with ReflexClient(app_url) as client:
            await client.sign_in("rep2@example.com", "demo-rep2-2026")
            client.messages.clear()
            await client.emit(CustomerState, "load", path)
            await client.emit(CustomerFormState, "open_edit", path, customer_id=zelda_id)
            await client.emit(CustomerState, "merge_into_this", path, duplicate_id=zelda_id)
            await client.emit(CustomerState, "delete_customer", path)
            await client.wait_for(lambda: len(client.toasts()) == 4)
            return client

    client = run(scenario)

    assert all(json.dumps("No such customer.") in toast for toast in client.toasts())
    wire = json.dumps(client.messages)
    assert NAME not in wire and EMAIL not in wire and "Quartermaine" not in wire
    assert all(found is False for found in client.values(CustomerState, "found"))
    zelda = _zelda(e2e_database_url)
    assert (zelda.id, zelda.email) == (zelda_id, EMAIL)


def test_an_edit_is_saved_and_adding_the_same_customer_again_offers_a_merge(new_context, app_url, e2e_database_url,
                                                                            zelda_id):
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/customers/{zelda_id}")
    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Email", exact=True)).to_have_value(EMAIL)
    dialog.get_by_label("Company", exact=True).fill("Quartermaine Optics GmbH")
    dialog.get_by_role("button", name="Save customer").click()
    expect(page.get_by_text("Quartermaine Optics GmbH", exact=True)).to_be_visible()
    expect(page.get_by_test_id("timeline-change").first).to_have_text(
        "Company: Quartermaine Optics -> Quartermaine Optics GmbH")

    open_page(page, f"{app_url}/customers")
    page.get_by_role("button", name="New customer").first.click()  # the toolbar's; an empty list offers one too
    dialog.get_by_label("Name", exact=True).fill("Zelda Quartermain")
    dialog.get_by_label("Email", exact=True).fill(EMAIL.upper())
    dialog.get_by_role("button", name="Save customer").click()
    candidate = dialog.get_by_test_id("duplicate-candidate")
    expect(candidate).to_contain_text("same email")
    candidate.get_by_role("button", name=f"Merge with {NAME}").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Merge").click()
    expect(page).to_have_url(path_is(app_url, f"/customers/{zelda_id}"))
    expect(page.get_by_test_id("timeline-title").first).to_have_text("A duplicate was merged into this customer")
    with Session(engine_for(e2e_database_url)) as session:
        assert session.exec(select(Customer.id).where(Customer.name.like("Zelda%"))).all() == [zelda_id]
