"""The budget planner's data on SQLite and PostgreSQL: uplift and revenue per response of each RFM segment and channel
from the targets of started campaigns, the consenting customers of each segment, and a plan turned into draft
campaigns whose audiences are the planned customers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from crm_app.analytics.uplift import newcombe_difference
from crm_app.data.models import Campaign, CampaignTarget, Customer, Order, Role, User
from crm_app.data.permissions import PermissionDenied
from crm_app.data.repositories import budget_planner, campaigns
from crm_app.data.repositories.model_runs import record_model_run
from crm_app.data.repositories.users import actor_of
from crm_app.domain import CampaignChannel, CampaignStatus, OrderStatus, SalesChannel, TargetGroup
from crm_app.states.budget_planner import BudgetPlannerState
from tests.conftest import add_staff
from tests.integration.handler_runs import page_state, run_as, toast_text, use_database

AS_OF = date(2026, 11, 1)


@pytest.fixture
def company(engine):
    """Customers 1-10: customer i placed i orders of 100, the last 11 − i days before AS_OF, so every RFM score is
    (i + 1) // 2: 1-2 Lost, 3-4 Hibernating, 5-6 Potential loyalist, 7-10 Champions. Customer 11 never ordered.
    Email consent for all but 3 (9 has no address), phone consent for the even ones."""
    with Session(engine) as session:
        people = add_staff(session)
        marketer = User(email="mia@example.com", full_name="Mia Marketer", role=Role.marketer, password_hash="x")
        session.add(marketer)
        session.flush()
        for i in range(1, 12):
            session.add(Customer(id=i, name=f"Customer {i}", email=None if i == 9 else f"c{i}@example.com",
                                 phone=f"+1555000{i:02}", region="EMEA", segment="SMB", acquisition_channel="event",
                                 owner_id=people["rep"].id, consent_email=i != 3, consent_phone=i % 2 == 0))
        session.flush()
        for i in range(1, 11):
            last = datetime.combine(AS_OF, datetime.min.time(), UTC) - timedelta(days=11 - i)
            for n in range(i):
                session.add(Order(customer_id=i, channel=SalesChannel.online, status=OrderStatus.paid,
                                  ordered_at=last - timedelta(days=30 * n), total_amount=100))
        email = Campaign(name="Autumn mail", channel=CampaignChannel.email, cost=100, start_date=date(2026, 9, 1),
                         end_date=date(2026, 9, 10), status=CampaignStatus.done, seed=1, holdout_share=0.1)
        event = Campaign(name="Roadshow", channel=CampaignChannel.event, cost=100, start_date=date(2026, 9, 1),
                         end_date=date(2026, 9, 10), status=CampaignStatus.done, seed=2, holdout_share=0.1)
        draft = Campaign(name="Not started", channel=CampaignChannel.email, cost=0, start_date=date(2026, 12, 1),
                         end_date=date(2026, 12, 10), status=CampaignStatus.draft, seed=3, holdout_share=0.1)
        session.add_all([email, event, draft])
        session.flush()
        contacted, holdout = TargetGroup.contacted, TargetGroup.holdout
        for campaign, customer, group, responded, revenue in [
            (email, 7, contacted, True, 300), (email, 8, contacted, True, 100), (email, 9, contacted, False, 0),
            (email, 10, holdout, False, 0),
            (email, 5, contacted, True, 50), (email, 6, holdout, True, 70),
            (event, 7, contacted, True, 400), (event, 8, holdout, False, 0),
            (draft, 1, contacted, True, 999),
        ]:
            session.add(CampaignTarget(campaign_id=campaign.id, customer_id=customer, target_group=group,
                                       responded=responded, attributed_revenue=revenue))
        record_model_run(session=session, model="insights_segments", rows=55, seconds=0.1,
                         summary={"as_of": AS_OF.isoformat()})
        session.commit()
        return {name: actor_of(user) for name, user in people.items()} | {"marketer": actor_of(marketer)}


def test_the_planner_measures_each_segment_and_channel_and_counts_who_can_be_reached(engine, company):
    with Session(engine) as session:
        inputs = budget_planner.planner_inputs(session=session, actor=company["marketer"])
    assert inputs.as_of == AS_OF
    assert inputs.customers["segment"].to_dict() == {1: "Lost", 2: "Lost", 3: "Hibernating", 4: "Hibernating",
                                                     5: "Potential loyalist", 6: "Potential loyalist",
                                                     7: "Champions", 8: "Champions", 9: "Champions",
                                                     10: "Champions"}
    options = inputs.options
    assert list(zip(options["segment"], options["channel"])) == [
        ("Champions", "email"), ("Champions", "event"), ("Potential loyalist", "email")]
    assert options["targets"].tolist() == [3, 1, 1]
    assert options["responders"].tolist() == [2, 1, 1]
    assert options["holdout_targets"].tolist() == [1, 1, 1]
    assert options["holdout_responders"].tolist() == [0, 0, 1]
    # Champions by email: 2 of 3 against 0 of 1, revenue 400 over 2 responses; by event 1 of 1 against 0 of 1.
    champions = newcombe_difference(2, 3, 0, 1)
    assert options.loc[0, ["uplift", "uplift_low", "uplift_high"]].tolist() == [
        champions.value, champions.lower, champions.upper]
    assert options["uplift"].tolist() == [2 / 3, 1.0, 0.0]
    assert options["revenue_per_response"].tolist() == [200.0, 400.0, 50.0]
    # Reachable by email / phone / either: Champions 7, 8, 10 / 8, 10 / 7, 8, 10; Hibernating 4 / 4 / 4.
    assert inputs.capacity.to_dict(orient="index") == {
        "Champions": {"consent_email": 3, "consent_phone": 2, "any": 3},
        "Potential loyalist": {"consent_email": 2, "consent_phone": 1, "any": 2},
        "Hibernating": {"consent_email": 1, "consent_phone": 1, "any": 1},
        "Lost": {"consent_email": 2, "consent_phone": 1, "any": 2},
    }


def test_a_plan_becomes_one_draft_campaign_per_channel_with_the_planned_customers(engine, company):
    draft = campaigns.CampaignDraft(name="Planned", channel=CampaignChannel.email, start_date=date(2026, 12, 1),
                                    end_date=date(2026, 12, 20), holdout_share=0, email_subject="Hi {name}",
                                    email_body="An offer: {survey_link}")
    with Session(engine) as session:
        created = budget_planner.create_planned_campaigns(
            session=session, actor=company["marketer"], costs={"email": 1.5, "event": 10.0}, draft=draft,
            lines=[("Champions", "email", 2), ("Champions", "event", 1), ("Lost", "phone", 0)])
        session.commit()
        saved = {c.id: c for c in session.exec(select(Campaign).where(Campaign.id.in_([p.campaign_id for p in created]))).all()}
        members = {p.channel: set(session.exec(select(CampaignTarget.customer_id)
                                               .where(CampaignTarget.campaign_id == p.campaign_id)).all())
                   for p in created}
    assert [p.channel for p in created] == ["email", "event"]
    assert [(saved[p.campaign_id].name, saved[p.campaign_id].cost, saved[p.campaign_id].status) for p in created] == [
        ("Planned · email", 3.0, CampaignStatus.draft), ("Planned · event", 10.0, CampaignStatus.draft)]
    assert [(p.audience.chosen, p.audience.contacted, p.audience.holdout) for p in created] == [(2, 2, 0), (1, 1, 0)]
    # Email first takes 7 (email only), then 8 or 10; the event takes the other of them.
    assert 7 in members["email"] and members["email"] | members["event"] == {7, 8, 10}


def test_only_marketers_and_admins_plan(engine, company):
    with Session(engine) as session:
        for who in ("rep", "exec"):
            with pytest.raises(PermissionDenied):
                budget_planner.planner_inputs(session=session, actor=company[who])
        assert not budget_planner.planner_inputs(session=session, actor=company["admin"]).options.empty


def test_a_chinese_marketer_reads_the_plan_in_chinese(engine, company, monkeypatch):
    use_database(monkeypatch, engine)
    mia = replace(company["marketer"], language="zh_CN")
    page = page_state(BudgetPlannerState)
    run_as(mia, page, "create_audience", {})
    assert page.create_errors == {"form": "请先规划一个会联系到客户的预算。"}
    run_as(mia, page, "plan", {"budget": "1000"})
    assert page.errors == {"form": "请至少输入一个渠道的单次联系成本。"}
    run_as(mia, page, "plan", {"budget": "1000", "cost_email": "1.5", "cost_event": "10"})
    # 8 past targets measured (6 of the mail, 2 of the roadshow); Champions by mail (2 of 3 contacted responded,
    # the holdout did not) and at the roadshow return more than nothing, Potential loyalists by mail do not.
    assert page.note == ("RFM 分层截至 2026年11月1日（最近一次洞察拟合）；提升以 8 位过往目标客户的对照组衡量；共有 2 个客户分层"
                         "与渠道组合的实测回报为正，可供选择。区间以各提升值 95 % 区间的两端代替提升值计算。")
    assert [(row["channel"], row["uplift"]) for row in page.rows] == [("电子邮件", "+66.7 个百分点"), ("活动", "+100.0 个百分点")]
    assert page.rows[0]["uplift_range"].endswith(" 个百分点") and " 至 " in page.totals["range"]
    toast = run_as(mia, page, "create_audience", {"plan_name": "计划", "plan_start_date": "2026-12-01",
                                                  "plan_end_date": "2026-12-20", "plan_holdout_share": "0",
                                                  "plan_email_subject": "Hi {name}", "plan_email_body": "{survey_link}"})
    assert toast_text(toast) == "已根据方案创建 2 个营销活动草稿。"
    assert [item["audience"] for item in page.created] == ["1 位客户待联系，0 位留作对照组", "2 位客户待联系，0 位留作对照组"]
