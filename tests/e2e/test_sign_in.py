"""Signing in, what each role is shown and refused, and how a session ends: user journeys in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from crm_app.states.auth import FORBIDDEN
from tests.e2e.conftest import open_page, path_is, sign_in, submit_login, user_by_email, user_count, wait_until_live

pytestmark = pytest.mark.e2e

WRONG_LOGIN = "Wrong email or password, or the account is deactivated."


@pytest.mark.parametrize(
    ("email", "password", "name", "role", "navigation", "scope"),
    [
        pytest.param("admin@example.com", "demo-admin-2026", "Ada Admin", "Admin",
                     ["Home", "Customers", "Pipeline", "Orders", "Tasks", "Inbox", "Insights", "Cockpit", "Campaigns", "Import",
                      "Users", "Webhooks"],
                     "Company-wide", id="admin"),
        pytest.param("exec@example.com", "demo-exec-2026", "Evan Executive", "Executive",
                     ["Home", "Customers", "Pipeline", "Orders", "Tasks", "Inbox", "Insights", "Cockpit", "Campaigns"],
                     "Company-wide", id="executive"),
        pytest.param("rep1@example.com", "demo-rep1-2026", "Riley Rep", "Sales rep",
                     ["Home", "Customers", "Pipeline", "Orders", "Tasks", "Inbox", "Cockpit", "Campaigns", "Import"],
                     "Your book of business", id="sales_rep"),
        pytest.param("marketer@example.com", "demo-marketer-2026", "Mia Marketer", "Marketer",
                     ["Home", "Customers", "Pipeline", "Orders", "Tasks", "Inbox", "Insights", "Cockpit", "Campaigns"],
                     "Company-wide", id="marketer"),
    ],
)
def test_each_role_signs_in_to_its_own_navigation(page: Page, app_url, email, password, name, role, navigation, scope):
    sign_in(page, app_url, email, password)

    expect(page).to_have_url(path_is(app_url, "/"))
    expect(page.get_by_test_id("signed-in-user")).to_have_text(name)
    expect(page.get_by_test_id("signed-in-role")).to_have_text(role)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_text(navigation)
    expect(page.get_by_text(f"Welcome, {name}. {scope}.", exact=True)).to_be_visible()


def test_a_wrong_password_is_refused_on_the_login_page(page: Page, app_url):
    open_page(page, f"{app_url}/login")
    submit_login(page, "admin@example.com", "demo-admin-2025")

    expect(page.get_by_test_id("login-error")).to_have_text(WRONG_LOGIN)
    expect(page).to_have_url(path_is(app_url, "/login?error=refused"))
    expect(page.get_by_test_id("signed-in-user")).to_have_count(0)
    assert [c["value"] for c in page.context.cookies() if c["name"] == "crm_session"] in ([], [""])


def test_after_five_wrong_passwords_the_form_says_when_to_try_again_whether_or_not_the_email_exists(page: Page,
                                                                                                  app_url):
    open_page(page, f"{app_url}/login")
    for attempt in range(6):
        submit_login(page, "nobody.at.all@example.com", f"guess-number-{attempt}")
        expect(page.get_by_test_id("login-error")).to_have_text(
            WRONG_LOGIN if attempt < 5 else "Too many sign-in attempts. Try again in 15 minutes.")
        wait_until_live(page)

    expect(page).to_have_url(re.compile(r"/login/?\?error=throttled&wait=(8[4-9]\d|900)/?$"))


def test_the_session_cookie_is_http_only_and_same_site_strict_and_never_crosses_the_websocket(page: Page, app_url):
    frames: list[str] = []

    def watch(ws) -> None:
        ws.on("framereceived", lambda payload: frames.append(str(payload)))
        ws.on("framesent", lambda payload: frames.append(str(payload)))

    page.on("websocket", watch)
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    page.get_by_test_id("nav-customers").click()
    expect(page.get_by_test_id("customer-row").first).to_be_visible()

    [cookie] = [c for c in page.context.cookies() if c["name"] == "crm_session"]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"], cookie["secure"]) == (True, "Strict", "/", False)
    assert len(cookie["value"]) >= 40
    assert "crm_session" not in page.evaluate("document.cookie")
    assert len(frames) > 4
    assert [frame for frame in frames if cookie["value"] in frame] == []


def test_a_next_that_leaves_the_site_lands_home(page: Page, app_url):
    open_page(page, f"{app_url}/login?next=//evil.example/phish")
    submit_login(page, "rep1@example.com", "demo-rep1-2026")

    expect(page).to_have_url(path_is(app_url, "/"))
    expect(page.get_by_test_id("signed-in-user")).to_have_text("Riley Rep")


def test_an_anonymous_visitor_is_sent_to_sign_in_and_then_back_to_the_page(page: Page, app_url, e2e_database_url):
    open_page(page, f"{app_url}/admin/users")
    expect(page).to_have_url(path_is(app_url, "/login?next=/admin/users"))
    expect(page.locator("input[name=next]")).to_have_value(re.compile(r"^/admin/users/?$"))  # the page read its URL

    submit_login(page, "admin@example.com", "demo-admin-2026")

    expect(page).to_have_url(path_is(app_url, "/admin/users"))
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    expect(page.get_by_test_id("user-row")).to_have_count(user_count(e2e_database_url))


def test_an_executive_opening_the_admin_page_is_sent_home(page: Page, app_url):
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")

    open_page(page, f"{app_url}/admin/users")

    expect(page).to_have_url(path_is(app_url, "/"))
    expect(page.get_by_text(FORBIDDEN, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="My day", exact=True)).to_be_visible()
    expect(page.get_by_test_id("user-row")).to_have_count(0)
    expect(page.get_by_text("@example.com")).to_have_count(0)


def test_an_admin_adds_a_user_and_deactivating_them_ends_their_open_session(page: Page, new_context, app_url,
                                                                              e2e_database_url):
    sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    page.get_by_test_id("nav-users").click()
    expect(page.get_by_test_id("user-row")).to_have_count(user_count(e2e_database_url))

    page.locator("#field-full_name").fill("Temp Rep")
    page.locator("#field-email").fill("temp.rep@example.com")
    page.locator("#field-password").fill("too-short")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_test_id("error-password")).to_have_text("Use at least 10 characters.")
    assert user_by_email(e2e_database_url, "temp.rep@example.com") is None

    page.locator("#field-password").fill("temp-rep-pass-2026")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text("Temp Rep can now sign in.", exact=True)).to_be_visible()
    row = page.get_by_test_id("user-row").filter(has_text="temp.rep@example.com")
    expect(row.get_by_role("cell")).to_have_text(["Temp Rep", "temp.rep@example.com", "Sales rep", "active", "off",
                                                  "Reset password", "Deactivate"])
    expect(page.locator("#field-email")).to_have_value("")

    rep_page = new_context().new_page()
    sign_in(rep_page, app_url, "temp.rep@example.com", "temp-rep-pass-2026")
    expect(rep_page.get_by_test_id("signed-in-user")).to_have_text("Temp Rep")

    row.get_by_role("button", name="Deactivate temp.rep@example.com", exact=True).click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Temp Rep is signed out everywhere and cannot sign in until reactivated.")
    dialog.get_by_role("button", name="Deactivate", exact=True).click()
    expect(page.get_by_text("User deactivated and signed out everywhere.", exact=True)).to_be_visible()
    expect(row.get_by_role("cell")).to_have_text(["Temp Rep", "temp.rep@example.com", "Sales rep", "deactivated",
                                                  "off", "Reset password", "Reactivate"])

    rep_page.get_by_test_id("nav-home").click()
    expect(rep_page).to_have_url(path_is(app_url, "/login"))
    expect(rep_page.get_by_test_id("signed-in-user")).to_have_count(0)
    wait_until_live(rep_page)
    submit_login(rep_page, "temp.rep@example.com", "temp-rep-pass-2026")
    expect(rep_page.get_by_test_id("login-error")).to_have_text(WRONG_LOGIN)


def test_signing_out_ends_the_session_and_back_shows_no_staff_data(page: Page, app_url):
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    expect(page.get_by_test_id("figure")).to_have_count(7)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(path_is(app_url, "/login"))
    assert [c["value"] for c in page.context.cookies() if c["name"] == "crm_session"] in ([], [""])

    # From here on, in every page this tab loads, remember whether the staff shell or any figure is ever drawn.
    page.add_init_script("""
        new MutationObserver(() => {
            if (document.querySelector('[data-testid="figure"], [data-testid="signed-in-user"]:not(:empty)')) {
                sessionStorage.setItem('e2eStaffDataShown', 'yes');
            }
        }).observe(document, {childList: true, subtree: true, characterData: true});
    """)
    page.go_back()

    expect(page).to_have_url(path_is(app_url, "/login"))
    expect(page.get_by_role("heading", name="Sign in to Northwind CRM")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('e2eStaffDataShown')") is None


def test_the_next_person_on_a_shared_tab_receives_none_of_the_previous_users_data(page: Page, app_url,
                                                                                  e2e_database_url):
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    page.get_by_test_id("nav-users").click()
    expect(page.get_by_test_id("user-row")).to_have_count(user_count(e2e_database_url))
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(path_is(app_url, "/login"))

    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    frames.clear()
    open_page(page, f"{app_url}/admin/users")
    expect(page).to_have_url(path_is(app_url, "/"))

    assert [frame for frame in frames if "@example.com" in frame] == []


def test_signing_in_from_a_link_returns_to_its_full_path_and_query(page: Page, app_url):
    open_page(page, f"{app_url}/pipeline?region=EMEA")
    # the path and its query, as the browser had them (the server may add the path's trailing slash)
    expect(page).to_have_url(re.compile(rf"^{re.escape(app_url)}/login/?\?next=/pipeline/?%3Fregion%3DEMEA$"))
    expect(page.locator("input[name=next]")).to_have_value(re.compile(r"^/pipeline/?\?region=EMEA$"))

    submit_login(page, "exec@example.com", "demo-exec-2026")

    expect(page).to_have_url(path_is(app_url, "/pipeline?region=EMEA"))
    expect(page.get_by_role("combobox", name="Region")).to_have_text("EMEA")  # the filter of the link applies
