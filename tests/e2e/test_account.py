"""The user's own account page and the admin's password reset: user journeys in Chromium. TOTP codes are
computed by the test with pyotp from the key the page shows (no QR scanning)."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from crm_app.data.models import Role, UserCreate
from crm_app.data.repositories import users
from tests.e2e.conftest import open_page, path_is, sign_in, submit_login, writing

pytestmark = pytest.mark.e2e

PASSWORD = "amber-falcon-harbor-7"


def _new_user(database_url: str, email: str, role: Role = Role.sales_rep) -> None:
    """A user of this test only, so its password and two-factor changes touch no other test's sign-in."""
    with writing(database_url) as session, session.begin():
            users.create_user(session=session, actor=None, user_create=UserCreate(
                email=email, full_name=email.split("@")[0].replace(".", " ").title(), role=role, password=PASSWORD))


def _open_account(page: Page, app_url: str) -> None:
    page.get_by_test_id("nav-account").click()
    expect(page).to_have_url(path_is(app_url, "/account"))
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()


def _change_password(page: Page, current: str, new: str, again: str | None = None) -> None:
    page.locator("#field-current_password").fill(current)
    page.locator("#field-new_password").fill(new)
    page.locator("#field-confirm_password").fill(new if again is None else again)
    page.get_by_role("button", name="Change password").click()


def test_password_change_refuses_a_wrong_current_password_and_an_easy_new_one_inline(page: Page, app_url,
                                                                                      e2e_database_url):
    _new_user(e2e_database_url, "pat.changer@example.com")
    sign_in(page, app_url, "pat.changer@example.com", PASSWORD)
    _open_account(page, app_url)

    _change_password(page, "not-my-password-1", "violet-lantern-harbor")
    expect(page.get_by_test_id("error-current_password")).to_have_text("Your current password is not right.")

    _change_password(page, PASSWORD, "password123")
    expect(page.get_by_test_id("error-new_password")).to_have_text(
        "This is a very common password. Add another word or two. Uncommon words are better.")
    expect(page.get_by_test_id("error-current_password")).to_have_count(0)

    _change_password(page, PASSWORD, "violet-lantern-harbor", again="violet-lantern-harbour")
    expect(page.get_by_test_id("error-confirm_password")).to_have_text("The two new passwords differ.")

    _change_password(page, PASSWORD, "violet-lantern-harbor")
    expect(page.get_by_text("Password changed. Your other sessions were signed out.")).to_be_visible()
    expect(page.locator("#field-current_password")).to_have_value("")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(path_is(app_url, "/login"))
    submit_login(page, "pat.changer@example.com", PASSWORD)
    expect(page.get_by_test_id("login-error")).to_be_visible()
    submit_login(page, "pat.changer@example.com", "violet-lantern-harbor")
    expect(page.get_by_test_id("signed-in-user")).to_have_text("Pat Changer")


def test_two_factor_enrolment_shows_the_key_qr_and_recovery_codes_once(page: Page, app_url, e2e_database_url):
    _new_user(e2e_database_url, "tess.totp@example.com")
    sign_in(page, app_url, "tess.totp@example.com", PASSWORD)
    _open_account(page, app_url)
    expect(page.get_by_test_id("two-factor-status")).to_have_text("off")

    page.get_by_role("button", name="Set up two-factor sign-in").click()
    secret = page.get_by_test_id("enrolment-secret").inner_text()
    assert len(secret) == 32
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    assert qr.get_attribute("src").startswith("data:image/svg+xml;charset=utf-8,")

    page.locator("#enrol-code").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_test_id("two-factor-error")).to_have_text(
        "That code is not right. Enter the 6 digits your app shows now.")

    page.locator("#enrol-code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_test_id("two-factor-status")).to_have_text("on")
    expect(page.get_by_test_id("recovery-code")).to_have_count(10)
    expect(page.get_by_test_id("codes-left")).to_have_text("10 recovery codes left.")

    page.get_by_role("button", name="I have saved them").click()
    expect(page.get_by_test_id("recovery-code")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("two-factor-status")).to_have_text("on")
    expect(page.get_by_test_id("recovery-code")).to_have_count(0)

    page.locator("#disable-password").fill("not-my-password-1")
    page.get_by_role("button", name="Turn off").click()
    expect(page.get_by_test_id("two-factor-error")).to_have_text("Your password is not right.")
    page.locator("#disable-password").fill(PASSWORD)
    page.get_by_role("button", name="Turn off").click()
    expect(page.get_by_test_id("two-factor-status")).to_have_text("off")


def test_two_factor_sign_in_asks_for_a_code_after_the_password_and_a_recovery_code_works_once(page: Page, app_url,
                                                                                            e2e_database_url):
    _new_user(e2e_database_url, "cody.code@example.com")
    sign_in(page, app_url, "cody.code@example.com", PASSWORD)
    _open_account(page, app_url)
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    totp = pyotp.TOTP(page.get_by_test_id("enrolment-secret").inner_text())
    page.locator("#enrol-code").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_test_id("recovery-code")).to_have_count(10)
    recovery_codes = page.get_by_test_id("recovery-code").all_inner_texts()

    def sign_out_and_give_the_password() -> None:
        page.get_by_role("button", name="Sign out", exact=True).click()
        expect(page).to_have_url(path_is(app_url, "/login"))
        submit_login(page, "cody.code@example.com", PASSWORD)
        expect(page).to_have_url(path_is(app_url, "/login?step=code"))
        expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
        expect(page.get_by_test_id("signed-in-user")).to_have_count(0)

    def give_the_code(code: str) -> None:
        page.locator("#login-code").fill(code)
        page.get_by_role("button", name="Verify").click()

    sign_out_and_give_the_password()
    # Nothing opens with the password alone.
    open_page(page, f"{app_url}/customers")
    expect(page).to_have_url(path_is(app_url, "/login?next=/customers"))
    open_page(page, f"{app_url}/login?step=code")
    give_the_code("000000" if totp.now() != "000000" else "111111")
    expect(page.get_by_test_id("login-error")).to_have_text(
        "That code is not right. Enter the 6 digits your app shows now, or a recovery code.")
    # The enrolment spent this 30 s step's code: the next step's is accepted (one step of clock drift).
    give_the_code(totp.at(time.time() + 30))
    expect(page.get_by_test_id("signed-in-user")).to_have_text("Cody Code")

    sign_out_and_give_the_password()
    give_the_code(recovery_codes[0])
    expect(page.get_by_test_id("signed-in-user")).to_have_text("Cody Code")
    _open_account(page, app_url)
    expect(page.get_by_test_id("codes-left")).to_have_text("9 recovery codes left.")

    sign_out_and_give_the_password()
    give_the_code(recovery_codes[0])
    expect(page.get_by_test_id("login-error")).to_have_text(
        "That code is not right. Enter the 6 digits your app shows now, or a recovery code.")
    expect(page.get_by_test_id("signed-in-user")).to_have_count(0)


def test_admin_reset_keeps_the_user_on_their_account_page_until_they_choose_a_password(page: Page, new_context,
                                                                                     app_url, e2e_database_url):
    _new_user(e2e_database_url, "reese.reset@example.com")
    user_page = new_context().new_page()
    sign_in(user_page, app_url, "reese.reset@example.com", PASSWORD)

    sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    open_page(page, f"{app_url}/admin/users")
    row = page.get_by_test_id("user-row").filter(has_text="reese.reset@example.com")
    row.get_by_role("button", name="Reset the password of reese.reset@example.com").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Reset the password of Reese Reset")
    dialog.locator("#reset-password").fill("password123")
    dialog.get_by_role("button", name="Reset password").click()
    expect(page.get_by_test_id("error-reset-password")).to_have_text(
        "This is a very common password. Add another word or two. Uncommon words are better.")
    dialog.locator("#reset-password").fill("temporary-plum-42")
    dialog.get_by_role("button", name="Reset password").click()
    expect(page.get_by_text("Reese Reset is signed out everywhere and must choose a new password at sign-in.")
           ).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(row).to_contain_text("must change password")

    # The user's open tab was signed out: its next event goes to the login page.
    user_page.get_by_role("link", name="Customers", exact=True).click()
    expect(user_page).to_have_url(path_is(app_url, "/login?next=/customers"))
    submit_login(user_page, "reese.reset@example.com", "temporary-plum-42")
    expect(user_page).to_have_url(path_is(app_url, "/account"))
    expect(user_page.get_by_test_id("must-change-password")).to_be_visible()
    # Every other page sends them back (the server's guard, whatever page is asked for).
    open_page(user_page, f"{app_url}/customers")
    expect(user_page).to_have_url(path_is(app_url, "/account"))
    expect(user_page.get_by_text("Choose a new password before going on.")).to_be_visible()

    _change_password(user_page, "temporary-plum-42", "violet-lantern-harbor")
    expect(user_page).to_have_url(path_is(app_url, "/"))
    open_page(user_page, f"{app_url}/customers")
    expect(user_page).to_have_url(path_is(app_url, "/customers"))
    page.reload()
    expect(page.get_by_test_id("user-row").filter(has_text="reese.reset@example.com")).not_to_contain_text(
        "must change password")


def test_sign_out_everywhere_ends_the_sessions_of_every_browser(page: Page, new_context, app_url, e2e_database_url):
    _new_user(e2e_database_url, "evan.everywhere@example.com")
    other = new_context().new_page()
    sign_in(other, app_url, "evan.everywhere@example.com", PASSWORD)
    sign_in(page, app_url, "evan.everywhere@example.com", PASSWORD)
    _open_account(page, app_url)

    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page).to_have_url(path_is(app_url, "/login"))
    other.get_by_role("link", name="Customers", exact=True).click()
    expect(other).to_have_url(path_is(app_url, "/login?next=/customers"))
