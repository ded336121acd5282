"""A phone (390 x 844): the navigation is a drawer, list rows are cards, nothing scrolls sideways, and every
control is at least 44 x 44 px. A rep logs a task and works the lists; a customer answers the survey."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Feedback, User
from tests.e2e.conftest import open_page, path_is, sign_in, wait_until_live
from tests.e2e.layout import PHONE, assert_fits_the_width, small_tap_targets

pytestmark = pytest.mark.e2e

REP, PASSWORD = "rep4@example.com", "demo-rep4-2026"


def _rep_customer(database_url: str) -> Customer:
    with Session(engine_for(database_url)) as session:
        rep = session.exec(select(User).where(User.email == REP)).one()
        return session.exec(select(Customer).where(Customer.owner_id == rep.id).order_by(Customer.name)).first()


def _fits_a_phone(page: Page) -> None:
    assert_fits_the_width(page)
    assert small_tap_targets(page) == [], page.url


def _go_by_menu(page: Page, app_url: str, label: str, path: str) -> None:
    page.get_by_role("button", name="Open menu").click()
    drawer = page.get_by_test_id("menu-drawer")
    expect(drawer).to_be_visible()
    drawer.get_by_role("link", name=label, exact=True).click()
    expect(page).to_have_url(path_is(app_url, path))
    # The drawer closes on navigation.
    expect(drawer).to_have_count(0)
    wait_until_live(page)


def test_the_menu_is_a_drawer_that_traps_and_returns_focus(new_context, app_url):
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, app_url, REP, PASSWORD)
    # No sidebar on a phone: the navigation waits behind the menu button.
    expect(page.get_by_test_id("nav-customers")).to_be_hidden()
    menu = page.get_by_role("button", name="Open menu")
    expect(menu).to_be_visible()
    _fits_a_phone(page)

    menu.click()
    drawer = page.get_by_role("dialog")
    expect(drawer).to_be_visible()
    expect(drawer.get_by_role("link", name="Customers", exact=True)).to_be_visible()
    # Tabbing goes round inside the drawer (twice its number of controls), never into the page behind it.
    stops = drawer.locator("a, button").count()
    for _ in range(2 * stops):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('[role=dialog]') !== null")
    _fits_a_phone(page)
    page.keyboard.press("Escape")
    expect(drawer).to_have_count(0)
    # Focus returns to the button that opened it.
    expect(menu).to_be_focused()

    # At a laptop's width the sidebar is back and the menu button gone.
    page.set_viewport_size({"width": 1440, "height": 900})
    expect(page.get_by_test_id("nav-customers")).to_be_visible()
    expect(menu).to_be_hidden()


def test_a_rep_on_a_phone_logs_a_task_and_works_the_lists(new_context, app_url, e2e_database_url):
    customer = _rep_customer(e2e_database_url)
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, app_url, REP, PASSWORD)
    _fits_a_phone(page)

    # Customers: a card a customer, with its name, company and phone, and Log activity; no email on the card.
    _go_by_menu(page, app_url, "Customers", "/customers")
    card = page.get_by_test_id("customer-row").first
    expect(card).to_be_visible()
    expect(page.get_by_role("columnheader", name="Email")).to_be_hidden()
    expect(card.get_by_role("link", name=re.compile("^Log activity for "))).to_be_visible()
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    _fits_a_phone(page)

    # Tasks: a task about one of the rep's customers, found by name.
    _go_by_menu(page, app_url, "Tasks", "/tasks")
    page.locator("#task-customer-search").fill(customer.name)
    page.get_by_role("button", name=re.compile(re.escape(customer.name))).first.click()
    expect(page.get_by_test_id("task-customer")).to_have_text(customer.name)
    page.get_by_label("What is to be done").fill("Phone: confirm the delivery date")
    page.get_by_role("button", name="Save task").click()
    task = page.get_by_test_id(re.compile(r"^task-(today|upcoming)$")).filter(has_text="Phone: confirm the delivery")
    expect(task).to_contain_text(customer.name)
    _fits_a_phone(page)
    page.get_by_role("button", name="Mark done: Phone: confirm the delivery date").click()
    expect(page.get_by_test_id("task-recently_done").filter(has_text="Phone: confirm the delivery")).to_have_count(1)

    # Orders: the total of every order card is on screen, not off to the right.
    _go_by_menu(page, app_url, "Orders", "/orders")
    total = page.get_by_test_id("order-row").first.get_by_test_id("order-total")
    expect(total).to_be_visible()
    box = total.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]
    _fits_a_phone(page)

    # The customer's own page, its record tables as cards too.
    open_page(page, f"{app_url}/customers/{customer.id}")
    expect(page.get_by_role("heading", name=customer.name)).to_be_visible()
    _fits_a_phone(page)

    # The cockpit: one column, its filters in a sheet behind a Filters button.
    _go_by_menu(page, app_url, "Cockpit", "/cockpit")
    expect(page.get_by_test_id("cockpit-loading")).to_have_count(0)
    charts = page.locator(".rt-Card[data-testid^=chart-]")
    expect(charts).to_have_count(11)
    lefts = {round(box["x"]) for box in (charts.nth(i).bounding_box() for i in range(charts.count()))}
    assert charts.count() == 11 and len(lefts) == 1, lefts
    # Each chart has its text alternative under it.
    expect(page.get_by_test_id("figure-summary")).to_have_count(11)
    expect(page.get_by_test_id("figure-summary").first).to_have_text(
        re.compile(r"^Revenue by month\. Revenue: \d+ points?, highest "))
    expect(page.get_by_role("combobox", name="Region")).to_have_count(0)
    page.get_by_role("button", name="Filters").click()
    sheet = page.get_by_test_id("filters-sheet")
    expect(sheet.get_by_role("combobox", name="Region")).to_be_visible()
    _fits_a_phone(page)
    sheet.get_by_role("button", name="Show the figures").click()
    expect(sheet).to_have_count(0)
    _fits_a_phone(page)

    for label, path in (("Pipeline", "/pipeline"), ("Inbox", "/inbox"), ("Home", "/")):
        _go_by_menu(page, app_url, label, path)
        assert_fits_the_width(page)


def test_a_customer_answers_the_survey_on_a_phone(new_context, app_url, e2e_database_url):
    page = new_context(viewport=PHONE).new_page()
    open_page(page, f"{app_url}/feedback")
    _fits_a_phone(page)
    page.get_by_role("radio", name="Satisfied", exact=True).click()
    page.get_by_role("radio", name="9 out of 10").click()
    page.locator("#feedback-comment").fill("Answered on my phone")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_test_id("thank-you")).to_be_visible()
    assert_fits_the_width(page)
    with Session(engine_for(e2e_database_url)) as session:
        answer = session.exec(select(Feedback).where(Feedback.comment == "Answered on my phone")).one()
    assert (answer.csat, answer.nps) == (4, 9)
