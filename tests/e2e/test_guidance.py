"""Pages that guide (issue 16): a not-found page inside the shell, empty lists with the next step, the product's
name from CRM_COMPANY_NAME in the title bar."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import COMPANY_NAME, open_page, path_is, sign_in

pytestmark = pytest.mark.e2e


def test_an_unknown_path_shows_a_not_found_page_inside_the_shell_with_a_way_home(new_context, app_url):
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/admin")

    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_test_id("not-found-message")).to_have_text(
        "There is no page at /admin. It may have moved, or the link is mistyped.")
    expect(page.get_by_test_id("nav-customers")).to_be_visible()  # the shell's navigation, for the signed-in rep
    expect(page).to_have_title(f"Page not found · {COMPANY_NAME}")
    page.get_by_test_id("not-found-home").click()
    expect(page).to_have_url(path_is(app_url, "/"))
    expect(page.get_by_role("heading", name="My day")).to_be_visible()


def test_a_search_without_matches_offers_to_reset_the_filters(new_context, app_url):
    page = new_context().new_page()
    sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    open_page(page, f"{app_url}/customers?q=zzzz-no-such-customer")

    empty = page.get_by_test_id("empty-state")
    expect(empty).to_contain_text("No customers match")
    expect(empty.get_by_role("button", name="New customer")).to_be_visible()
    expect(page.get_by_test_id("customer-row")).to_have_count(0)
    empty.get_by_role("button", name="Reset filters").click()

    expect(page).to_have_url(path_is(app_url, "/customers"))
    expect(page.get_by_test_id("customer-row").first).to_be_visible()
    expect(page.get_by_test_id("empty-state")).to_have_count(0)


def test_the_product_name_from_the_settings_is_in_the_title_bar_and_the_shell(new_context, app_url):
    page = new_context().new_page()
    open_page(page, f"{app_url}/login")
    expect(page).to_have_title(f"Sign in · {COMPANY_NAME}")
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    open_page(page, f"{app_url}/orders")
    expect(page).to_have_title(f"Orders · {COMPANY_NAME}")
    expect(page.get_by_test_id("product-name")).to_have_text(COMPANY_NAME)
