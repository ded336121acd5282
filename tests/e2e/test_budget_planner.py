"""The budget planner in Chromium: a marketer types a budget and costs per contact (a bad one is refused next to its
field), sees the plan the planner functions give for the demo company's past campaigns, and makes it into draft
campaigns whose audiences are the planned customers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, func, select

from crm_app.analytics.budget_plan import plan_budget
from crm_app.data.db import engine_for
from crm_app.data.models import Campaign, CampaignTarget, Role, User
from crm_app.data.repositories import budget_planner
from crm_app.data.repositories.users import actor_of
from crm_app.data.security import hash_password
from crm_app.domain import CampaignStatus, TargetGroup
from crm_app.formatting import money
from tests.e2e.conftest import ensure_segments_fit, open_page, sign_in, writing

pytestmark = pytest.mark.e2e

PLANNER = ("marketer@example.com", "demo-marketer-2026")  # the demo marketer
COSTS = {"email": 0.5, "event": 20.0, "ads": 2.0}
BUDGET = 400.0


def _marketer(engine) -> User:
    with writing(engine) as session:
        marketer = session.exec(select(User).where(User.email == PLANNER[0])).first()
        if marketer is None:
            marketer = User(email=PLANNER[0], full_name="Pia Planner", role=Role.marketer,
                            password_hash=hash_password(PLANNER[1]))
            session.add(marketer)
            session.commit()
        session.refresh(marketer)
        return marketer


def test_a_marketer_plans_a_budget_and_creates_its_audience(new_context, app_url, e2e_database_url):
    engine = engine_for(e2e_database_url)
    ensure_segments_fit(e2e_database_url)
    actor = actor_of(_marketer(engine))
    with Session(engine) as session:
        inputs = budget_planner.planner_inputs(session=session, actor=actor)
    plan = plan_budget(inputs.options, inputs.capacity, budget=BUDGET, cost_per_contact=COSTS,
                       consent_of_channel=budget_planner.CONSENT_OF_CHANNEL)
    assert plan.lines, "the demo company's past campaigns give the planner something to choose"

    page = new_context().new_page()
    sign_in(page, app_url, *PLANNER)
    open_page(page, f"{app_url}/campaigns")
    page.locator("#field-budget").fill("-5")
    page.locator("#field-cost_email").fill("0.5")
    page.get_by_test_id("plan-submit").click()
    expect(page.get_by_test_id("error-budget")).to_have_text("Enter a budget of 0 or more.")
    expect(page.get_by_test_id("plan-row")).to_have_count(0)

    page.locator("#field-budget").fill(f"{BUDGET:g}")
    page.locator("#field-cost_event").fill("20")
    page.locator("#field-cost_ads").fill("2")
    page.get_by_test_id("plan-submit").click()
    rows = page.get_by_test_id("plan-row")
    expect(rows).to_have_count(len(plan.lines))
    for position, line in enumerate(plan.lines):
        expect(rows.nth(position)).to_contain_text(line.segment)
        expect(rows.nth(position)).to_contain_text(f"{line.contacts:,}")
        expect(rows.nth(position)).to_contain_text(money(line.expected_revenue))
    expect(page.get_by_test_id("error-budget")).to_have_count(0)
    expect(page.get_by_test_id("plan-spent")).to_have_text(money(plan.spent))
    expect(page.get_by_test_id("plan-expected")).to_have_text(money(plan.expected_revenue))
    expect(page.get_by_test_id("plan-range")).to_have_text(
        f"{money(plan.expected_low)} to {money(plan.expected_high)}")

    with Session(engine) as session:
        before = session.exec(select(func.max(Campaign.id))).one() or 0
    page.locator("#field-plan_name").fill("E2E budget plan")
    if any(line.channel == "email" for line in plan.lines):
        page.locator("#field-plan_email_subject").fill("A plan for {name}")
        page.locator("#field-plan_email_body").fill("Hello {name}: {survey_link}")
    page.get_by_test_id("plan-create").click()
    channels = list(dict.fromkeys(line.channel for line in plan.lines))
    expect(page.get_by_test_id("plan-created")).to_have_count(len(channels))
    with Session(engine) as session:
        made = session.exec(select(Campaign).where(Campaign.id > before).order_by(Campaign.id)).all()
        assert [c.channel for c in made] == channels
        assert all(c.status == CampaignStatus.draft and c.holdout_share == 0.1 for c in made)
        for campaign in made:
            planned = sum(line.contacts for line in plan.lines if line.channel == campaign.channel)
            groups = dict(session.exec(select(CampaignTarget.target_group, func.count())
                                       .where(CampaignTarget.campaign_id == campaign.id)
                                       .group_by(CampaignTarget.target_group)).all())
            # Every planned customer consents: all are targets, round(10 %) of them held out.
            assert sum(groups.values()) == planned
            assert groups.get(TargetGroup.holdout.value, 0) == round(0.1 * planned)
            assert campaign.cost == round(planned * COSTS[str(campaign.channel)], 2)
    first = page.get_by_test_id("plan-created").first.get_by_role("link")
    first.click()
    expect(page.get_by_test_id("campaign-heading")).to_contain_text("E2E budget plan")


def test_a_sales_rep_gets_no_planner(new_context, app_url):
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/campaigns")
    expect(page.get_by_test_id("campaign-row").first).to_be_visible()
    expect(page.get_by_test_id("plan-submit")).to_have_count(0)
