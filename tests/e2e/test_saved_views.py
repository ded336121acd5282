"""Saved views in Chromium: a rep saves the filters of /customers under a name, signs out, signs in again and
reopens the view from the page's view menu; an admin shares a view of /orders that a rep opens but cannot change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, func, select

from crm_app.data.db import engine_for
from crm_app.counts import count_of
from crm_app.data.models import Customer, Order, OrderStatus, User
from tests.e2e.conftest import open_page, path_is, sign_in

pytestmark = pytest.mark.e2e


def test_a_rep_saves_a_view_and_reopens_it_after_signing_out(new_context, app_url, e2e_database_url):
    with Session(engine_for(e2e_database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == "rep1@example.com")).one()
        region = session.exec(select(Customer.region).where(Customer.owner_id == rep_id)
                              .group_by(Customer.region).order_by(func.count().desc())).first()
        expected = session.exec(select(func.count()).select_from(Customer)
                                .where(Customer.owner_id == rep_id, Customer.region == region)).one()
    view_url = path_is(app_url, f"/customers?region={region.replace(' ', '+')}")
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/customers")
    page.get_by_role("combobox", name="Region").click()
    page.get_by_role("option", name=region, exact=True).click()
    expect(page).to_have_url(view_url)

    page.get_by_test_id("views-menu").click()
    page.get_by_role("menuitem", name="Save these filters…").click()
    page.get_by_label("View name").fill("   ")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_test_id("view-error")).to_have_text("Name the view in 1 to 60 characters.")
    page.get_by_label("View name").fill(f"My {region} book")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_text(f"View “My {region} book” saved.")).to_be_visible()
    expect(page.get_by_test_id("views-menu")).to_have_text(f"My {region} book")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(path_is(app_url, "/login"))
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/customers")
    expect(page.get_by_test_id("views-menu")).to_have_text("Views")
    page.get_by_test_id("views-menu").click()
    page.get_by_role("menuitem", name=f"My {region} book").click()
    expect(page).to_have_url(view_url)
    expect(page.get_by_test_id("customers-total")).to_have_text(f"{expected:,} customers")
    expect(page.get_by_test_id("views-menu")).to_have_text(f"My {region} book")


def _refunded_orders_of(email: str, database_url: str) -> int:
    with Session(engine_for(database_url)) as session:
        return session.exec(select(func.count()).select_from(Order).join(Customer, Customer.id == Order.customer_id)
                            .join(User, User.id == Customer.owner_id)
                            .where(User.email == email, Order.status == OrderStatus.refunded)).one()


def test_an_admin_shares_a_view_that_reps_open_but_cannot_change(new_context, app_url, e2e_database_url):
    name = "Refunded orders (team)"
    admin = new_context().new_page()
    sign_in(admin, app_url, "admin@example.com", "demo-admin-2026")
    open_page(admin, f"{app_url}/orders")
    admin.get_by_role("combobox", name="Status", exact=True).click()
    admin.get_by_role("option", name="Refunded", exact=True).click()
    expect(admin).to_have_url(path_is(app_url, "/orders?status=refunded"))
    admin.get_by_test_id("views-menu").click()
    admin.get_by_role("menuitem", name="Save these filters…").click()
    admin.get_by_label("View name").fill(name)
    admin.get_by_role("checkbox", name="Share with everybody").click()
    admin.get_by_role("button", name="Save view").click()
    expect(admin.get_by_text(f"View “{name}” saved.")).to_be_visible()

    rep = new_context().new_page()
    sign_in(rep, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(rep, f"{app_url}/orders")
    rep.get_by_test_id("views-menu").click()
    rep.get_by_role("menuitem", name=name).click()
    expect(rep).to_have_url(path_is(app_url, "/orders?status=refunded"))
    expect(rep.get_by_test_id("views-menu")).to_have_text(name)
    # The view's list is in (the rep's own refunded orders) before the menu is opened again.
    expect(rep.get_by_test_id("orders-total")).to_contain_text(count_of(_refunded_orders_of("rep1@example.com",
                                                                                          e2e_database_url), "order"))
    rep.get_by_test_id("views-menu").click()
    rep.get_by_role("menuitem", name="Rename or delete views…").click()
    expect(rep.get_by_text(f"{name} · shared by")).to_contain_text("(read-only)")
    expect(rep.get_by_role("button", name=f"Delete view {name}")).to_have_count(0)
