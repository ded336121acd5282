"""axe-core (axe-playwright-python, which ships it) on every page for every role, at a laptop's width and then a
phone's, in one signed-in tab per role: no serious or critical violation anywhere, and on a phone no page scrolls
sideways and no control is smaller than 44 x 44 px."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from crm_app import routes
from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Deal, Order, Role, User
from crm_app.states.auth import FORBIDDEN
from tests.e2e.conftest import open_page, sign_in
from tests.e2e.layout import LAPTOP, PHONE, sideways_overflow, small_tap_targets

pytestmark = pytest.mark.e2e

BLOCKING = ("serious", "critical")
STAFF = {
    Role.admin: ("admin@example.com", "demo-admin-2026"),
    Role.executive: ("exec@example.com", "demo-exec-2026"),
    Role.sales_rep: ("rep2@example.com", "demo-rep2-2026"),
    Role.marketer: ("marketer@example.com", "demo-marketer-2026"),
}

_axe = Axe()


def _record_pages(database_url: str, email: str) -> list[str]:
    """A customer, an order and a deal the user may open (a rep's own)."""
    with Session(engine_for(database_url)) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        mine = user.role == Role.sales_rep
        customers = select(Customer.id).where(Customer.owner_id == user.id) if mine else select(Customer.id)
        customer_id = session.exec(customers.order_by(Customer.id)).first()
        order_id = session.exec(select(Order.id).where(Order.customer_id == customer_id).order_by(Order.id)).first()
        deals = select(Deal.id).where(Deal.owner_id == user.id) if mine else select(Deal.id)
        deal_id = session.exec(deals.order_by(Deal.id)).first()
    return [routes.customer_page(customer_id), routes.order_page(order_id), routes.deal_page(deal_id)]


def _staff_pages(role: Role) -> list[str]:
    return [item.route for item in routes.navigation_for(role)] + [routes.ACCOUNT]


def _problems_of(page: Page, width: int) -> list[str]:
    """What is wrong with the page on screen: axe's serious and critical findings; on a phone also sideways
    scroll and small controls."""
    found = []
    result = _axe.run(page, options={"resultTypes": ["violations"]})
    for violation in result.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            found.append(f"{violation['impact']} {violation['id']} ({violation['help']}) x{len(violation['nodes'])}: "
                         f"{targets}")
    if width == PHONE["width"]:
        _, scroll_width, inner = sideways_overflow(page)
        if scroll_width > inner:
            found.append(f"scrolls sideways: {scroll_width} px in {inner} px")
        found += [f"small tap target: {target}" for target in small_tap_targets(page)]
    return found


def _walk(page: Page, app_url: str, paths: list[str]) -> list[str]:
    """Every path at the laptop's width, then at the phone's; the problems as '<width> <path>: <problem>'."""
    problems = []
    for viewport in (LAPTOP, PHONE):
        page.set_viewport_size(viewport)
        for path in paths:
            open_page(page, f"{app_url}{path}")
            # The page is drawn with its data: its title set, the shell past its role check, the cockpit loaded.
            expect(page).to_have_title(re.compile(r"\S"))
            expect(page.get_by_test_id("shell-waiting")).to_have_count(0)
            expect(page.get_by_test_id("cockpit-loading")).to_have_count(0)
            problems += [f"{viewport['width']} {path}: {p}" for p in _problems_of(page, viewport["width"])]
    return problems


@pytest.mark.parametrize("role", list(STAFF), ids=[role.value for role in STAFF])
def test_every_staff_page_passes_axe_at_both_widths(new_context, app_url, e2e_database_url, role):
    email, password = STAFF[role]
    page = new_context().new_page()
    sign_in(page, app_url, email, password)
    problems = _walk(page, app_url, _staff_pages(role) + _record_pages(e2e_database_url, email))
    assert problems == [], "\n".join(problems)


def test_the_public_pages_pass_axe_at_both_widths(new_context, app_url):
    page = new_context().new_page()
    problems = _walk(page, app_url, [routes.LOGIN, routes.FEEDBACK])
    assert problems == [], "\n".join(problems)


def test_a_toast_passes_axe(new_context, app_url):
    # An executive sent home from the admin page is told so in an error toast, read while it is on screen.
    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}{routes.ADMIN_USERS}")
    toast = page.locator("[data-sonner-toast]")
    expect(toast).to_have_text(FORBIDDEN)
    # Read once it has faded in: axe blends text that is still partly transparent into its background.
    expect(toast).to_have_css("opacity", "1")
    assert _problems_of(page, LAPTOP["width"]) == []
