"""The public survey in Chromium: an answer reaches the staff inbox as plain text; bad answers are refused."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, func, select

from crm_app.data.db import engine_for
from crm_app.data.models import Feedback
from tests.e2e.conftest import open_page, sign_in

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"


def _answers(database_url: str) -> int:
    with Session(engine_for(database_url)) as session:
        return session.exec(select(func.count()).select_from(Feedback)).one()


def _choose(page: Page, question: str, value: int) -> None:
    page.locator(f"label[for={question}-{value}]").click()


def test_anonymous_answer_reaches_the_inbox_as_plain_text(new_context, app_url, e2e_database_url):
    visitor = new_context().new_page()
    dialogs: list[str] = []
    visitor.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    marker = f"marker-{uuid.uuid4().hex[:8]}"
    open_page(visitor, f"{app_url}/feedback")
    _choose(visitor, "csat", 2)
    _choose(visitor, "nps", 3)
    visitor.locator("#feedback-comment").fill(f"{marker} {XSS}")
    expect(visitor.get_by_test_id("comment-count")).to_have_text(f"{len(marker) + 1 + len(XSS)} / 2,000 characters")
    visitor.get_by_role("button", name="Send my answer").click()
    expect(visitor.get_by_test_id("thank-you")).to_be_visible()

    staff = new_context().new_page()
    staff.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(staff, app_url, "admin@example.com", "demo-admin-2026")
    staff.get_by_test_id("nav-inbox").click()
    row = staff.get_by_test_id("inbox-row").filter(has_text=marker)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("comment-text")).to_have_text(f"{marker} {XSS}")
    assert row.locator("img").count() == 0
    expect(row).to_contain_text("Anonymous")
    assert dialogs == []


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing scores", "Choose how satisfied you are, from 1 to 5."),
        ("csat 0", "Choose how satisfied you are, from 1 to 5."),
        ("nps 11", "Choose how likely you are to recommend us, from 0 to 10."),
        ("100 KB comment", "Keep your comment to 2,000 characters or fewer (it has 102,400)."),
    ],
)
def test_bad_answers_get_a_clear_message_and_store_nothing(new_context, app_url, e2e_database_url, case, message):
    page = new_context().new_page()
    open_page(page, f"{app_url}/feedback")
    before = _answers(e2e_database_url)
    if case != "missing scores":
        _choose(page, "csat", 4)
        _choose(page, "nps", 9)
    if case == "csat 0":
        # A tampered form: the hidden input behind the chosen radio now says 0.
        page.eval_on_selector("input[name=csat]:checked", "input => { input.value = '0'; }")
    if case == "nps 11":
        page.eval_on_selector("input[name=nps]:checked", "input => { input.value = '11'; }")
    if case == "100 KB comment":
        page.locator("#feedback-comment").fill("x" * 102_400)
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("alert").filter(has_text=message)).to_be_visible()
    expect(page.get_by_test_id("thank-you")).to_have_count(0)
    assert _answers(e2e_database_url) == before


def test_forged_personal_link_is_refused_but_the_form_still_works(new_context, app_url):
    page = new_context().new_page()
    open_page(page, f"{app_url}/feedback?t=forged-token")
    expect(page.get_by_test_id("link-problem")).to_have_text(
        "This survey link is not valid. You can still answer anonymously."
    )
    _choose(page, "csat", 5)
    _choose(page, "nps", 10)
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_test_id("thank-you")).to_be_visible()


def test_personal_link_from_the_customer_page_greets_the_customer_and_works_once(new_context, app_url,
                                                                               e2e_database_url):
    from crm_app.data.models import Activity, Customer, User

    with Session(engine_for(e2e_database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == "rep1@example.com")).one()
        customer = session.exec(select(Customer).where(Customer.owner_id == rep_id).order_by(Customer.id)).first()
        tasks_before = session.exec(select(func.count()).select_from(Activity)
                                    .where(Activity.customer_id == customer.id)).one()
    rep = new_context().new_page()
    sign_in(rep, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(rep, f"{app_url}/customers/{customer.id}")
    expect(rep.get_by_test_id("customer-name")).to_have_text(customer.name)
    rep.get_by_role("button", name="Create survey link").click()
    link = rep.get_by_test_id("survey-link")
    expect(link).to_have_value(re.compile(r"/feedback\?t=\S+"))
    survey_url = link.input_value()

    visitor = new_context().new_page()
    open_page(visitor, survey_url)
    expect(visitor.get_by_test_id("greeting")).to_have_text(
        f"Hello {customer.name.split()[0]}, thank you for taking a moment.")
    _choose(visitor, "csat", 1)
    _choose(visitor, "nps", 2)
    visitor.get_by_role("button", name="Send my answer").click()
    expect(visitor.get_by_test_id("thank-you")).to_be_visible()

    again = new_context().new_page()
    open_page(again, survey_url)
    expect(again.get_by_test_id("link-problem")).to_have_text(
        "This survey link has already been used. Thank you for your answer!")
    with Session(engine_for(e2e_database_url)) as session:
        answer = session.exec(select(Feedback).where(Feedback.customer_id == customer.id)
                              .order_by(Feedback.id.desc())).first()
        tasks_after = session.exec(select(func.count()).select_from(Activity)
                                   .where(Activity.customer_id == customer.id)).one()
    assert (answer.csat, answer.nps) == (1, 2)
    assert tasks_after == tasks_before + 1  # the detractor's call-back task for the owner


def test_another_rep_cannot_open_the_customer(new_context, app_url, e2e_database_url):
    from crm_app.data.models import Customer, User

    with Session(engine_for(e2e_database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == "rep1@example.com")).one()
        customer = session.exec(select(Customer).where(Customer.owner_id == rep_id).order_by(Customer.id)).first()
    other = new_context().new_page()
    sign_in(other, app_url, "rep2@example.com", "demo-rep2-2026")
    open_page(other, f"{app_url}/customers/{customer.id}")
    expect(other.get_by_test_id("customer-missing")).to_be_visible()
    expect(other.get_by_text(customer.name)).to_have_count(0)


def test_the_inbox_filters_live_in_the_url(new_context, app_url, e2e_database_url):
    with Session(engine_for(e2e_database_url)) as session:
        detractors = session.exec(select(func.count()).select_from(Feedback).where(Feedback.nps <= 6)).one()
        low_csat_detractors = session.exec(select(func.count()).select_from(Feedback)
                                           .where(Feedback.nps <= 6, Feedback.csat == 2)).one()
    page = new_context().new_page()
    sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    page.get_by_test_id("nav-inbox").click()
    page.get_by_role("combobox", name="NPS band").click()
    page.get_by_role("option", name="Detractors (0-6)").click()
    expect(page).to_have_url(re.compile(r"/inbox\?nps_band=detractor$"))
    expect(page.get_by_test_id("inbox-total")).to_have_text(f"{detractors:,} answers")

    page.reload()  # a bookmark or a shared link shows the same view
    expect(page.get_by_test_id("inbox-total")).to_have_text(f"{detractors:,} answers")
    expect(page.get_by_role("combobox", name="NPS band")).to_have_text("Detractors (0-6)")

    # A hand-edited link: the valid CSAT is applied, the unknown status falls back to any.
    open_page(page, f"{app_url}/inbox?nps_band=detractor&csat=2&status=lost")
    expect(page.get_by_test_id("inbox-total")).to_have_text(f"{low_csat_detractors:,} answers")
    expect(page.get_by_role("combobox", name="Status")).to_have_text("Any")

    page.get_by_role("button", name="Reset filters").first.click()  # the toolbar's; an empty list offers one too
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.get_by_role("combobox", name="NPS band")).to_have_text("Any")
