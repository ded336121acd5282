"""One journey per role in zh_CN (issue 16): a browser that asks for Chinese (Accept-Language: zh-CN) and users who
chose nothing on their account page, so the demo users' stored settings stay as every other test expects."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, func, select

from crm_app.data.db import engine_for
from crm_app.data.models import Activity, ActivityKind, Customer, Feedback, User
from tests.e2e.conftest import open_page, path_is, wait_until_live, writing

pytestmark = pytest.mark.e2e


def _chinese_page(new_context) -> Page:
    return new_context(locale="zh-CN").new_page()


def _sign_in(page: Page, app_url: str, email: str, password: str) -> None:
    open_page(page, f"{app_url}/login")
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("nav-customers")).to_have_text("客户")
    wait_until_live(page)


def _overdue_task(database_url: str, email: str, subject: str) -> None:
    with writing(database_url) as session:
        rep = session.exec(select(User).where(User.email == email)).one()
        customer_id = session.exec(select(Customer.id).where(Customer.owner_id == rep.id).order_by(Customer.id)).first()
        session.add(Activity(kind=ActivityKind.call, subject=subject, owner_id=rep.id, customer_id=customer_id,
                             due_at=datetime.now(UTC) - timedelta(days=2)))
        session.commit()


def test_a_sales_rep_works_their_day_in_chinese(new_context, app_url, e2e_database_url):
    subject = f"回电 {uuid.uuid4().hex[:6]}"
    _overdue_task(e2e_database_url, "rep2@example.com", subject)
    page = _chinese_page(new_context)
    _sign_in(page, app_url, "rep2@example.com", "demo-rep2-2026")
    expect(page.get_by_role("heading", name="我的一天", exact=True)).to_be_visible()
    expect(page.get_by_test_id("signed-in-role")).to_have_text("销售代表")

    page.get_by_test_id("nav-tasks").click()
    expect(page).to_have_url(path_is(app_url, "/tasks"))
    wait_until_live(page)
    expect(page.get_by_role("heading", name="任务", exact=True)).to_be_visible()
    overdue = page.get_by_test_id("task-overdue").filter(has_text=subject)
    expect(overdue).to_have_count(1)
    page.get_by_role("button", name=f"改期：{subject}").click()
    page.get_by_role("menuitem", name="明天 09:00").click()
    expect(page.get_by_test_id("task-upcoming").filter(has_text=subject)).to_contain_text("截止")
    expect(overdue).to_have_count(0)
    expect(page.get_by_text("现在的截止时间", exact=False)).to_be_visible()  # the handler's toast, in Chinese

    page.get_by_test_id("nav-pipeline").click()
    expect(page.get_by_role("heading", name="销售漏斗", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="线索", exact=True).first).to_be_visible()
    page.get_by_test_id("nav-customers").click()
    expect(page.get_by_role("button", name="搜索", exact=True)).to_be_visible()
    expect(page.get_by_role("textbox", name="搜索客户")).to_be_visible()


def test_an_executive_reads_the_cockpit_in_chinese(new_context, app_url):
    page = _chinese_page(new_context)
    _sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    expect(page.get_by_test_id("signed-in-role")).to_have_text("高管")
    page.get_by_test_id("nav-cockpit").click()
    expect(page.get_by_role("heading", name="驾驶舱", exact=True)).to_be_visible()
    # KPI names come from the server, in the reader's language.
    expect(page.get_by_text("平均订单金额", exact=True).first).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("nav-insights")).to_have_text("洞察")
    expect(page).to_have_title(re.compile("^驾驶舱 · "))
    # The sentences the server builds: the data's age, the period, each chart's title and its text alternative.
    expect(page.get_by_test_id("cockpit-freshness")).to_contain_text("数据截至")
    expect(page.get_by_test_id("cockpit-period")).to_contain_text(" 至 ")
    expect(page.get_by_test_id("figure-summary").first).to_contain_text("月度收入")
    # The rows behind a chart: headed and counted in Chinese.
    page.get_by_role("button", name=re.compile("^显示“.*”图表背后的数据行$")).first.click()
    expect(page.get_by_test_id("drill-table").get_by_role("columnheader", name="客户", exact=True)).to_be_visible()
    expect(page.get_by_role("dialog")).to_contain_text("笔订单")


def test_an_admin_manages_users_in_chinese(new_context, app_url):
    page = _chinese_page(new_context)
    _sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    expect(page.get_by_test_id("signed-in-role")).to_have_text("管理员")
    page.get_by_test_id("nav-users").click()
    expect(page.get_by_role("heading", name="用户", exact=True)).to_be_visible()
    expect(page.get_by_text("添加用户", exact=True).first).to_be_visible()
    expect(page.get_by_test_id("nav-webhooks")).to_have_text("Webhook")


def test_a_customer_answers_the_survey_in_chinese(new_context, app_url, e2e_database_url):
    with Session(engine_for(e2e_database_url)) as session:
        before = session.exec(select(func.count()).select_from(Feedback)).one()
    page = _chinese_page(new_context)
    open_page(page, f"{app_url}/feedback")
    expect(page.get_by_role("heading", name="告诉我们您的感受")).to_be_visible()
    expect(page.get_by_text("您向朋友或同事推荐我们的可能性有多大？")).to_be_visible()
    expect(page.get_by_role("radio", name="一般", exact=True)).to_have_count(1)  # the scale's middle, not a sentiment
    page.locator("label[for=csat-5]").click()
    page.locator("label[for=nps-9]").click()
    page.get_by_role("button", name="提交我的答复").click()
    expect(page.get_by_test_id("thank-you")).to_contain_text("谢谢！")
    with Session(engine_for(e2e_database_url)) as session:
        assert session.exec(select(func.count()).select_from(Feedback)).one() == before + 1


def test_a_marketer_counts_a_campaign_audience_in_chinese(new_context, app_url, e2e_database_url):
    with Session(engine_for(e2e_database_url)) as session:
        chosen = session.exec(select(Customer).where(Customer.segment == "Enterprise", Customer.region == "APAC")).all()
    reachable = [c for c in chosen if c.consent_email and c.email]
    held = round(0.2 * len(reachable))
    page = _chinese_page(new_context)
    _sign_in(page, app_url, "marketer@example.com", "demo-marketer-2026")
    expect(page.get_by_test_id("signed-in-role")).to_have_text("营销人员")
    page.get_by_test_id("nav-campaigns").click()
    expect(page).to_have_url(path_is(app_url, "/campaigns"))
    expect(page.get_by_role("heading", name="营销活动", exact=True)).to_be_visible()
    today = datetime.now(UTC).date()
    page.locator("#field-name").fill(f"亚太大客户回访 {uuid.uuid4().hex[:6]}")
    page.locator("#field-cost").fill("800")
    page.locator("#field-start_date").fill(today.isoformat())
    page.locator("#field-end_date").fill((today + timedelta(days=7)).isoformat())
    page.locator("#field-holdout_share").fill("20")
    page.get_by_role("button", name="创建", exact=True).click()
    expect(page.get_by_text("邮件营销活动需要一行不超过 200 个字符的主题。", exact=True)).to_be_visible()  # an email campaign needs its message
    page.locator("#field-email_subject").fill("{name}，您好")
    page.locator("#field-email_body").fill("{name}，欢迎告诉我们您的想法：{survey_link}")
    page.get_by_role("button", name="创建", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(app_url) + r"/campaigns/\d+/?$"))

    # The audience's segment and region are chosen by their names in Chinese, and the count is said in Chinese.
    page.get_by_label("客户分层", exact=True).select_option(label="大型企业")
    page.get_by_label("区域", exact=True).select_option(label="亚太")
    page.get_by_role("button", name="统计人数", exact=True).click()
    expect(page.get_by_test_id("audience-note")).to_have_text(
        f"已选择 {len(chosen):,} 位客户；{len(chosen) - len(reachable):,} 位因未同意该渠道而排除；"
        f"{len(reachable) - held:,} 位待联系，{held:,} 位留作对照组。")
