"""Orders and tasks in Chromium: a rep builds an order whose total follows their typing, and works a task."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.models import Activity, AuditLog, Customer, Order, OrderLine, Product, User
from tests.e2e.conftest import open_page, path_is, sign_in

pytestmark = pytest.mark.e2e


def _rep_customer(database_url: str, email: str) -> Customer:
    with Session(engine_for(database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == email)).one()
        return session.exec(select(Customer).where(Customer.owner_id == rep_id).order_by(Customer.id)).first()


def _label(product: Product) -> str:
    return f"{product.category} · {product.name} (${product.list_price:,.2f})"


def test_a_rep_builds_an_order_whose_total_follows_their_typing(new_context, app_url, e2e_database_url):
    customer = _rep_customer(e2e_database_url, "rep1@example.com")
    with Session(engine_for(e2e_database_url)) as session:
        first, second = session.exec(select(Product).order_by(Product.id).limit(2)).all()
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/orders/new?customer={customer.id}")
    expect(page.get_by_test_id("order-customer")).to_have_text(customer.name)

    page.get_by_role("combobox", name="Product, line 1").click()
    page.get_by_role("option", name=_label(first), exact=True).click()
    expect(page.get_by_label("Unit price, line 1")).to_have_value(f"{first.list_price:.2f}")
    page.get_by_label("Quantity, line 1").fill("3")
    page.get_by_label("Unit price, line 1").fill("19.99")
    page.get_by_label("Discount %, line 1").fill("10")
    # 3 × 19.99 × (1 − 0.10) = 53.973 -> 53.97
    expect(page.get_by_test_id("order-form-total")).to_have_text("$53.97")

    page.get_by_role("button", name="Add line").click()
    page.get_by_role("combobox", name="Product, line 2").click()
    page.get_by_role("option", name=_label(second), exact=True).click()
    page.get_by_label("Unit price, line 2").fill("250")
    expect(page.get_by_test_id("line-amount").nth(1)).to_have_text("$250.00")
    expect(page.get_by_test_id("order-form-total")).to_have_text("$303.97")

    page.get_by_label("Quantity, line 2").fill("0")
    expect(page.get_by_text("Enter a whole number of units from 1 to 10,000.")).to_be_visible()
    expect(page.get_by_test_id("order-form-total")).to_have_text("$53.97")
    page.get_by_label("Quantity, line 2").fill("1")
    expect(page.get_by_test_id("order-form-total")).to_have_text("$303.97")

    page.get_by_role("button", name="Save order").click()
    expect(page).to_have_url(path_is(app_url, f"/orders?customer={customer.id}"))
    expect(page.get_by_test_id("order-row").first.get_by_test_id("order-total")).to_have_text("$303.97")

    with Session(engine_for(e2e_database_url)) as session:
        order = session.exec(select(Order).where(Order.customer_id == customer.id)
                             .order_by(Order.id.desc())).first()
        lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
        audited = session.exec(select(AuditLog).where(AuditLog.entity == "order", AuditLog.entity_id == order.id)).one()
    assert order.total_amount == 303.97
    assert [(l.product_id, l.quantity, l.unit_price, l.discount) for l in lines] == [
        (first.id, 3, 19.99, 0.1), (second.id, 1, 250.0, 0.0)]
    assert audited.action == "create"

    # The same order is on the unfiltered list too, newest first.
    page.get_by_test_id("nav-orders").click()
    expect(page.get_by_test_id("order-row").first).to_contain_text(customer.name)


def test_a_rep_creates_a_task_on_a_customer_and_marks_it_done(new_context, app_url, e2e_database_url):
    customer = _rep_customer(e2e_database_url, "rep2@example.com")
    page = new_context().new_page()
    sign_in(page, app_url, "rep2@example.com", "demo-rep2-2026")
    open_page(page, f"{app_url}/customers/{customer.id}")
    page.get_by_role("link", name="New task").click()
    expect(page).to_have_url(path_is(app_url, f"/tasks?customer={customer.id}"))
    expect(page.get_by_test_id("task-customer")).to_have_text(customer.name)

    page.get_by_label("What is to be done").fill("Send the signed quote")
    page.get_by_role("button", name="Save task").click()
    # Due by default at the next working hour: later today, or on the next working day.
    today = page.get_by_test_id(re.compile(r"^task-(today|upcoming)$")).filter(has_text="Send the signed quote")
    expect(today).to_contain_text(customer.name)

    page.get_by_role("button", name="Mark done: Send the signed quote").click()
    expect(today).to_have_count(0)
    done = page.get_by_test_id("task-recently_done").filter(has_text="Send the signed quote")
    expect(done).to_have_count(1)

    with Session(engine_for(e2e_database_url)) as session:
        task = session.exec(select(Activity).where(Activity.subject == "Send the signed quote")).one()
        actions = session.exec(select(AuditLog.action).where(AuditLog.entity == "task", AuditLog.entity_id == task.id)
                               .order_by(AuditLog.id)).all()
    assert (task.customer_id, task.done) == (customer.id, True)
    assert actions == ["create", "update"]

    # An empty subject is refused inline and nothing is written.
    page.get_by_role("button", name="Save task").click()
    expect(page.get_by_test_id("error-subject")).to_have_text(re.compile("1 to 200 characters"))
