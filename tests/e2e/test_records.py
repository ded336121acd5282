"""Deal and order pages in Chromium: a rep opens a deal from the board and edits it; a rep cancels an order with a
reason and finds it in the order's status history."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Deal, Order, Product, User
from crm_app.data.repositories import orders
from crm_app.data.repositories.users import actor_of
from crm_app.domain import DealStage, OrderStatus, SalesChannel
from tests.e2e.conftest import open_page, path_is, sign_in, writing

pytestmark = pytest.mark.e2e

REP = ("rep4@example.com", "demo-rep4-2026")


def _rep_and_customer(session: Session) -> tuple[User, int]:
    rep = session.exec(select(User).where(User.email == REP[0])).one()
    customer_id = session.exec(select(Customer.id).where(Customer.owner_id == rep.id).order_by(Customer.id)).first()
    return rep, customer_id


def test_a_rep_opens_an_overdue_deal_from_the_board_and_edits_it(new_context, app_url, e2e_database_url):
    with writing(e2e_database_url) as session:
        rep, customer_id = _rep_and_customer(session)
        # Long past its expected close, so the board shows it first in its column, marked overdue.
        deal = Deal(title="E2E Deal page", customer_id=customer_id, owner_id=rep.id, stage=DealStage.proposal,
                    amount=1000, probability=0.5, expected_close_date=date(2000, 1, 2))
        session.add(deal)
        session.commit()
        deal_id = deal.id
    page = new_context().new_page()
    sign_in(page, app_url, *REP)
    page.get_by_test_id("nav-pipeline").click()
    card = page.get_by_test_id("column-Proposal").get_by_test_id("deal-card").filter(has_text="E2E Deal page")
    expect(card.get_by_test_id("deal-overdue")).to_have_text("Overdue")
    card.get_by_role("link", name="E2E Deal page").click()

    expect(page).to_have_url(path_is(app_url, f"/deals/{deal_id}"))
    expect(page.get_by_test_id("deal-heading")).to_have_text("E2E Deal page")
    expect(page.get_by_test_id("deal-overdue")).to_be_visible()
    expect(page.get_by_test_id("stage-spell")).to_have_count(1)
    page.locator("#field-title").fill("E2E Deal page, renamed")
    page.locator("#field-amount").fill("2,500.50")
    page.locator("#field-expected_close_date").fill("2099-01-31")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("deal-heading")).to_have_text("E2E Deal page, renamed")
    expect(page.get_by_test_id("deal-amount")).to_have_text("$2,500.50")
    expect(page.get_by_test_id("deal-close")).to_have_text("Jan 31, 2099")
    expect(page.get_by_test_id("deal-overdue")).to_have_count(0)

    page.locator("#field-stage").select_option("Negotiation")
    page.get_by_role("button", name="Change stage").click()
    expect(page.get_by_test_id("deal-stage")).to_have_text("Negotiation")
    expect(page.get_by_test_id("stage-spell")).to_have_count(2)
    # The deal's timeline (embedded from the customer page's) follows the move.
    expect(page.get_by_test_id("timeline-title").filter(has_text="Proposal -> Negotiation")).to_have_count(1)
    with Session(engine_for(e2e_database_url)) as session:
        saved = session.get(Deal, deal_id)
        assert (saved.title, saved.amount, saved.expected_close_date, saved.stage) == (
            "E2E Deal page, renamed", 2500.5, date(2099, 1, 31), DealStage.negotiation)

    open_page(page, f"{app_url}/deals/99999999")
    expect(page.get_by_test_id("not-found")).to_have_text("No such deal.")


def test_a_rep_cancels_an_order_with_a_reason_and_it_shows_in_the_history(new_context, app_url, e2e_database_url):
    with writing(e2e_database_url) as session:
        rep, customer_id = _rep_and_customer(session)
        product_id = session.exec(select(Product.id).order_by(Product.id)).first()
        line = orders.OrderLineDraft(product_id=product_id, quantity=2, unit_price="10.05", discount_percent="50")
        order = orders.create_order(session=session, actor=actor_of(rep), customer_id=customer_id, lines=[line],
                                    channel=SalesChannel.phone, ordered_at=datetime.now(UTC))
        session.commit()
        order_id = order.id
    page = new_context().new_page()
    sign_in(page, app_url, *REP)
    page.get_by_test_id("nav-orders").click()
    page.get_by_role("link", name=f"#{order_id}", exact=True).click()

    expect(page).to_have_url(path_is(app_url, f"/orders/{order_id}"))
    # 2 x 10.05 x 0.5 = 10.05
    expect(page.get_by_test_id("order-page-total")).to_have_text("$10.05")
    expect(page.get_by_test_id("status-change")).to_have_count(1)
    # A pending order's lines are edited: 3 x 10.05 x 0.5 = 15.075, rounded half up to 15.08; a wrong quantity
    # is refused first, and an added line left without a product is not saved.
    page.get_by_label("Quantity").first.fill("0")
    page.get_by_role("button", name="Save lines").click()
    expect(page.get_by_test_id("lines-error")).to_have_text("Fix the lines marked below.")
    page.get_by_role("button", name="Add line").click()
    page.get_by_label("Quantity").first.fill("3")
    page.get_by_role("button", name="Save lines").click()
    expect(page.get_by_test_id("order-page-total")).to_have_text("$15.08")
    expect(page.get_by_test_id("order-line-row")).to_have_count(1)
    expect(page.get_by_test_id("status-change")).to_have_count(1)
    page.get_by_role("button", name="Cancel order").click()
    expect(page.get_by_test_id("close-error")).to_have_text("Say why the order is cancelled.")
    page.get_by_label("Reason (cancel order)").fill("Ordered twice by mistake")
    page.get_by_role("button", name="Cancel order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Cancelled")
    last = page.get_by_test_id("status-change").last
    expect(last).to_contain_text("Pending → Cancelled")
    expect(last).to_contain_text("Ordered twice by mistake")
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
    with Session(engine_for(e2e_database_url)) as session:
        saved = session.get(Order, order_id)
        assert (saved.status, saved.total_amount) == (OrderStatus.cancelled, 15.08)


def test_another_reps_deal_is_not_found_for_a_rep_and_read_only_for_an_executive(new_context, app_url,
                                                                                e2e_database_url):
    with Session(engine_for(e2e_database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == REP[0])).one()
        deal_id, title = session.exec(select(Deal.id, Deal.title).where(Deal.owner_id != rep_id)
                                      .order_by(Deal.id)).first()
    rep = new_context().new_page()
    sign_in(rep, app_url, *REP)
    open_page(rep, f"{app_url}/deals/{deal_id}")
    expect(rep.get_by_test_id("not-found")).to_have_text("No such deal.")
    expect(rep.get_by_test_id("deal-heading")).to_have_count(0)

    executive = new_context().new_page()
    sign_in(executive, app_url, "exec@example.com", "demo-exec-2026")
    open_page(executive, f"{app_url}/deals/{deal_id}")
    expect(executive.get_by_test_id("deal-heading")).to_have_text(title)
    expect(executive.get_by_test_id("stage-spell").first).to_be_visible()
    expect(executive.get_by_role("button", name="Save")).to_have_count(0)


def test_an_order_number_in_a_cockpit_drill_down_opens_the_order(new_context, app_url):
    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    page.get_by_test_id("nav-cockpit").click()
    page.get_by_label("Show the rows behind the revenue chart").click()
    link = page.get_by_test_id("drill-table").get_by_role("link").first
    number = link.inner_text()
    link.click()
    expect(page).to_have_url(path_is(app_url, f"/orders/{number}"))
    expect(page.get_by_test_id("order-heading")).to_have_text(f"Order #{number}")
