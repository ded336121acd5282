"""Chinese as a second language (issue 16): a user reads the app in the language chosen on their account page,
else in their browser's. The shell, the sign-in page and the account page in zh_CN; switching back to English
redraws at once and sticks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from crm_app.data.models import Role, UserCreate
from crm_app.data.repositories import users
from tests.e2e.conftest import COMPANY_NAME, open_page, path_is, user_by_email, wait_until_live, writing

pytestmark = pytest.mark.e2e

PASSWORD = "amber-falcon-harbor-7"


def _new_user(database_url: str, email: str, role: Role = Role.sales_rep) -> None:
    with writing(database_url) as session, session.begin():
            users.create_user(session=session, actor=None, user_create=UserCreate(
                email=email, full_name="Lin Wei", role=role, password=PASSWORD))


def _sign_in(page: Page, app_url: str, email: str, button: str) -> None:
    open_page(page, f"{app_url}/login")
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(PASSWORD)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_test_id("signed-in-user")).to_have_text("Lin Wei")


def _expect_navigation(page: Page, customers: str, pipeline: str, account: str, role: str) -> None:
    expect(page.get_by_test_id("nav-customers")).to_have_text(customers)
    expect(page.get_by_test_id("nav-pipeline")).to_have_text(pipeline)
    expect(page.get_by_test_id("nav-account")).to_have_text(account)
    expect(page.get_by_test_id("signed-in-role")).to_have_text(role)


def test_a_user_who_chooses_chinese_reads_the_shell_in_chinese_and_can_switch_back(page: Page, app_url,
                                                                                   e2e_database_url):
    email = "lin.wei.choice@example.com"
    _new_user(e2e_database_url, email)
    _sign_in(page, app_url, email, "Sign in")
    _expect_navigation(page, "Customers", "Pipeline", "Your account", "Sales rep")

    page.get_by_test_id("nav-account").click()
    expect(page).to_have_url(path_is(app_url, "/account"))
    wait_until_live(page)
    page.get_by_test_id("language-select").select_option("zh_CN")
    # The texts switch at once, without loading the page again.
    _expect_navigation(page, "客户", "销售漏斗", "我的账户", "销售代表")
    expect(page.get_by_role("heading", name="我的账户")).to_be_visible()
    expect(page.get_by_text("语言已保存。")).to_be_visible()
    assert user_by_email(e2e_database_url, email).language == "zh_CN"

    # Stored on the user: another page load, another page, still Chinese.
    open_page(page, f"{app_url}/customers")
    _expect_navigation(page, "客户", "销售漏斗", "我的账户", "销售代表")
    expect(page.get_by_test_id("menu-button")).to_have_attribute("aria-label", "打开菜单")
    expect(page).to_have_title(f"客户 · {COMPANY_NAME}")  # the title bar too

    page.get_by_test_id("nav-account").click()
    wait_until_live(page)
    page.get_by_test_id("language-select").select_option("en")
    _expect_navigation(page, "Customers", "Pipeline", "Your account", "Sales rep")
    expect(page.get_by_text("Language saved.")).to_be_visible()
    open_page(page, f"{app_url}/")
    _expect_navigation(page, "Customers", "Pipeline", "Your account", "Sales rep")
    expect(page).to_have_title(f"My day · {COMPANY_NAME}")
    assert user_by_email(e2e_database_url, email).language == "en"


def test_a_chinese_browser_gets_chinese_until_the_user_chooses_otherwise(new_context, app_url, e2e_database_url):
    email = "lin.wei.browser@example.com"
    _new_user(e2e_database_url, email)
    page = new_context(locale="zh-CN").new_page()  # the browser sends Accept-Language: zh-CN

    open_page(page, f"{app_url}/login")
    expect(page.get_by_role("heading", name=f"登录 {COMPANY_NAME}")).to_be_visible()
    expect(page.get_by_text("忘记密码？")).to_be_visible()
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill("not-the-password-1")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("login-error")).to_have_text("电子邮箱或密码错误，或该账户已停用。")

    _sign_in(page, app_url, email, "登录")
    _expect_navigation(page, "客户", "销售漏斗", "我的账户", "销售代表")
    assert user_by_email(e2e_database_url, email).language is None  # nothing chosen: the browser's

    page.get_by_test_id("nav-account").click()
    wait_until_live(page)
    page.get_by_test_id("language-select").select_option("en")
    _expect_navigation(page, "Customers", "Pipeline", "Your account", "Sales rep")
    page.get_by_test_id("language-select").select_option("")
    _expect_navigation(page, "客户", "销售漏斗", "我的账户", "销售代表")
    expect(page.get_by_test_id("language-select")).to_have_value("")
