""""Forgot password?" end to end in Chromium: the link arrives at the real SMTP server the app sends to, sets a
new password once, and every session of the account ends; a used link is refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from crm_app.data.models import Role, UserCreate
from crm_app.data.repositories import users
from crm_app.password_reset import CHANGED, SENT
from crm_app.data.repositories.password_resets import LINK_REFUSED
from tests.e2e.conftest import open_page, path_is, sign_in, submit_login, wait_until_live, writing

pytestmark = pytest.mark.e2e

EMAIL, OLD, NEW = "forgetful@example.com", "first-rate-gnu-2026", "orange kettle mountain 77"


def test_a_forgotten_password_is_reset_by_the_emailed_link_once_and_every_session_ends(
        page: Page, new_context, app_url, e2e_database_url, smtp_server):
    with writing(e2e_database_url) as session:
        users.create_user(session=session, actor=None, user_create=UserCreate(
            email=EMAIL, full_name="Fran Forgetful", role=Role.sales_rep, password=OLD))
        session.commit()
    elsewhere = new_context().new_page()  # a browser where Fran is still signed in
    sign_in(elsewhere, app_url, EMAIL, OLD)

    open_page(page, f"{app_url}/login")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page).to_have_url(path_is(app_url, "/forgot-password"))
    wait_until_live(page)
    page.locator("#forgot-email").fill(EMAIL)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_test_id("login-notice")).to_have_text(SENT)

    [email] = smtp_server.mail_to(EMAIL)
    assert email["Subject"] == "Choose a new password for Northwind CRM"
    [link] = re.findall(rf"{re.escape(app_url)}/reset-password\?t=\S+", email.get_body(("plain",)).get_content())

    open_page(page, link)
    page.locator("#reset-password").fill("password123")
    page.locator("#reset-confirm").fill("password123")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("This is a very common password.")
    wait_until_live(page)
    page.locator("#reset-password").fill(NEW)
    page.locator("#reset-confirm").fill(NEW)
    page.get_by_role("button", name="Set new password").click()
    expect(page).to_have_url(path_is(app_url, "/login?notice=password-changed"))
    expect(page.get_by_test_id("login-notice")).to_have_text(CHANGED)

    elsewhere.reload()  # the other browser's session ended with the change
    expect(elsewhere).to_have_url(re.compile(rf"^{re.escape(app_url)}/login"))
    expect(elsewhere.get_by_test_id("signed-in-user")).to_have_count(0)

    open_page(page, link)  # used once: refused
    expect(page.get_by_test_id("login-error")).to_have_text(LINK_REFUSED)
    expect(page.get_by_role("button", name="Set new password")).to_have_count(0)

    open_page(page, f"{app_url}/login")
    submit_login(page, EMAIL, OLD)
    expect(page.get_by_test_id("login-error")).to_be_visible()
    wait_until_live(page)
    submit_login(page, EMAIL, NEW)
    expect(page.get_by_test_id("signed-in-user")).to_have_text("Fran Forgetful")
