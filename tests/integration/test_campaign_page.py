"""The campaign page writes in the reader's language (issue 16): a Chinese-reading marketer's audience notes,
refusals, progress and start toast, with their numbers."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from crm_app.data.models import Customer, Role, User
from crm_app.data.repositories import campaigns
from crm_app.data.repositories.users import actor_of
from crm_app.domain import CampaignChannel
from crm_app.states.campaigns import CampaignState
from tests.conftest import add_staff
from tests.integration.handler_runs import page_state, run_as, toast_text, use_database


def test_a_chinese_marketer_reads_the_audience_and_progress_in_chinese(engine, monkeypatch):
    use_database(monkeypatch, engine)
    with Session(engine) as session:
        people = add_staff(session)
        marketer = User(email="mia@example.com", full_name="Mia Marketer", role=Role.marketer, password_hash="x",
                        language="zh_CN")
        session.add(marketer)
        # 20 SMB customers, 16 of them consenting to phone calls.
        for number in range(20):
            session.add(Customer(name=f"Customer {number:02}", phone=f"+1555000{number:02}", region="EMEA",
                                 segment="SMB", acquisition_channel="event", owner_id=people["rep"].id,
                                 consent_phone=number < 16, external_ref=f"EXT-{number}"))
        session.flush()
        mia = actor_of(marketer)
        campaign = campaigns.create_campaign(session=session, actor=mia, draft=campaigns.CampaignDraft(
            name="Autumn calls", channel=CampaignChannel.phone, start_date=date(2026, 10, 1),
            end_date=date(2026, 10, 14), holdout_share=0.25))
        session.commit()
        page = page_state(CampaignState, campaign_id=campaign.id)

    run_as(mia, page, "choose_audience", {"source": "view"})
    assert page.audience_error == "请选择 /customers 的一个已保存视图。"
    run_as(mia, page, "choose_audience", {"source": "refs", "refs": "external_ref\nEXT-99"})
    assert page.audience_note == ("已选择 0 位客户；0 位因未同意该渠道而排除；0 位待联系，0 位留作对照组。"
                                  " 1 个外部编号未对应任何客户。")
    run_as(mia, page, "choose_audience", {"source": "filters", "segment": "SMB", "save": "on"})
    assert page.audience_note == "已保存：已选择 20 位客户；4 位因未同意该渠道而排除；12 位待联系，4 位留作对照组。"
    assert page.progress == "已联系 0 / 12 位，4 位留作对照组（从不联系）"
    assert (page.facts["channel"], page.facts["status"], page.facts["dates"]) == ("电话", "草稿", "2026-10-01 至 2026-10-14")
    assert toast_text(run_as(mia, page, "start")) == "已联系 12 / 12 位。"
    assert page.facts["status"] == "进行中"
