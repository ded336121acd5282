"""Search everything in Chromium: Ctrl-K focuses the header's box, a rep finds their deal (and not another rep's)
and opens it with the keyboard; an executive finds both, and Escape closes the results."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from crm_app import routes
from crm_app.data.models import Customer, Deal, User
from crm_app.domain import DealStage
from tests.e2e.conftest import open_page, path_is, sign_in, writing

pytestmark = pytest.mark.e2e

REP = ("rep3@example.com", "demo-rep3-2026")
EXECUTIVE = ("exec@example.com", "demo-exec-2026")
OTHER_REP = "rep2@example.com"


def _deal_of(database_url: str, email: str, title: str) -> int:
    with writing(database_url) as session:
        owner_id = session.exec(select(User.id).where(User.email == email)).one()
        customer_id = session.exec(select(Customer.id).where(Customer.owner_id == owner_id).order_by(Customer.id)).first()
        deal = Deal(title=title, customer_id=customer_id, owner_id=owner_id, stage=DealStage.proposal, amount=1200,
                    probability=0.5)
        session.add(deal)
        session.commit()
        return deal.id


@pytest.fixture(scope="module")
def quasar_deals(e2e_database_url: str) -> dict[str, int]:
    return {"mine": _deal_of(e2e_database_url, REP[0], "Zyxquasar renewal"),
            "theirs": _deal_of(e2e_database_url, OTHER_REP, "Zyxquasar rollout")}


def _search(page: Page, text: str) -> None:
    page.keyboard.press("Control+k")
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.type(text)


def test_a_rep_finds_their_deal_and_opens_it_with_the_keyboard(page: Page, app_url: str, quasar_deals) -> None:
    sign_in(page, app_url, *REP)
    open_page(page, f"{app_url}{routes.CUSTOMERS}")
    _search(page, "zyxquasar")
    results = page.get_by_test_id("search-result")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Zyxquasar renewal")
    expect(page.get_by_test_id("search-results")).to_contain_text("Deals")
    page.keyboard.press("ArrowDown")
    expect(results.first).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(path_is(app_url, routes.deal_page(quasar_deals["mine"])))
    expect(page.get_by_test_id("deal-heading")).to_have_text("Zyxquasar renewal")


def test_an_executive_finds_every_rep_deal_and_escape_closes(page: Page, app_url: str, quasar_deals) -> None:
    sign_in(page, app_url, *EXECUTIVE)
    open_page(page, f"{app_url}{routes.PIPELINE}")
    _search(page, "Zyxquasar")
    results = page.get_by_test_id("search-result")
    expect(results).to_have_count(2)
    expect(results).to_contain_text(["Zyxquasar rollout", "Zyxquasar renewal"])
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("search-results")).to_be_hidden()
    # Enter in the box opens the first result.
    page.keyboard.press("Control+k")
    expect(results.first).to_be_visible()
    page.keyboard.press("Enter")
    expect(page).to_have_url(path_is(app_url, routes.deal_page(quasar_deals["theirs"])))
