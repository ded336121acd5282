"""Campaigns end to end in the repository, on SQLite and PostgreSQL: a marketer creates one, builds its audience
(consent filtered, holdout drawn with the stored seed), starts it (outbox mail or call tasks, never for the
holdout, never twice), and orders become responses with exact figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, func, select

from crm_app import routes
from crm_app.data.models import (Activity, Campaign, CampaignTarget, Customer, Deal, MailMessage, Order, Role, User)
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import campaigns, saved_views
from crm_app.data.repositories.customer_filters import CustomerFilters, customer_filters
from crm_app.data.repositories.customers import CustomerQuery, count_matching, matching_customer_ids
from crm_app.data.repositories.users import actor_of
from crm_app.domain import CampaignChannel, CampaignStatus, DealStage, OrderStatus, SalesChannel, TargetGroup
from crm_app.settings import get_settings
from tests.conftest import add_staff

START = datetime(2026, 10, 1, 9, tzinfo=UTC)


@pytest.fixture
def company(engine, monkeypatch):
    monkeypatch.setattr(get_settings(), "public_url", "https://crm.acme.example")
    with Session(engine) as session:
        people = add_staff(session)
        marketer = User(email="mia@example.com", full_name="Mia Marketer", role=Role.marketer, password_hash="x")
        session.add(marketer)
        session.flush()
        # 20 SMB customers of "rep", 16 of them consenting to email and phone; 5 Enterprise ones of "other".
        for number in range(20):
            session.add(Customer(name=f"Customer {number:02}", email=f"c{number}@example.com", phone=f"+1555000{number:02}",
                                 region="EMEA", segment="SMB", acquisition_channel="event", owner_id=people["rep"].id,
                                 consent_email=number < 16, consent_phone=number < 16, external_ref=f"EXT-{number}"))
        for number in range(5):
            session.add(Customer(name=f"Big {number}", email=f"b{number}@example.com", region="EMEA",
                                 segment="Enterprise", acquisition_channel="event", owner_id=people["other"].id,
                                 consent_email=True))
        session.commit()
        return {name: actor_of(user) for name, user in people.items()} | {"marketer": actor_of(marketer)}


def _draft(channel=CampaignChannel.email, **changes) -> campaigns.CampaignDraft:
    values = dict(name="Autumn upgrade", channel=channel, offer="10 % off", cost=400, start_date=date(2026, 10, 1),
                  end_date=date(2026, 10, 14), attribution_days=30, holdout_share=0.25,
                  email_subject="An offer for {name}", email_body="Hello {name}, tell us: {survey_link}")
    return campaigns.CampaignDraft(**(values | changes))


def _smb(session, actor) -> list[int]:
    return matching_customer_ids(session=session, actor=actor, query=CustomerQuery(segment="SMB"))


def test_a_marketer_runs_an_email_campaign_and_the_holdout_gets_nothing(engine, company):
    marketer = company["marketer"]
    with Session(engine) as session:
        campaign = campaigns.create_campaign(session=session, actor=marketer, draft=_draft())
        ids = _smb(session, marketer)
        preview = campaigns.preview_audience(session=session, actor=marketer, campaign_id=campaign.id,
                                             customer_ids=ids + ids[:3])
        # 20 chosen (each once), 4 without consent; 25 % of 16 held out.
        assert (preview.chosen, preview.without_consent, preview.contacted, preview.holdout) == (20, 4, 12, 4)
        assert session.exec(select(func.count()).select_from(CampaignTarget)).one() == 0
        saved = campaigns.set_audience(session=session, actor=marketer, campaign_id=campaign.id, customer_ids=ids)
        assert saved == preview
        campaign_id, seed = campaign.id, campaign.seed
        session.commit()
    with Session(engine) as session:
        held = set(session.exec(select(CampaignTarget.customer_id).where(
            CampaignTarget.target_group == TargetGroup.holdout)).all())
        consenting = sorted(session.exec(select(Customer.id).where(Customer.consent_email.is_(True),
                                                                   Customer.segment == "SMB")).all())
        assert held == campaigns.holdout_draw(consenting, 0.25, seed)
        # Two batches of 5 and one of 2, then nothing more however often it is started again.
        progress = [campaigns.start_campaign(session=session, actor=marketer, campaign_id=campaign_id, now=START,
                                             batch=5) for _ in range(4)]
        session.commit()
        assert [p.contacted for p in progress] == [5, 10, 12, 12]
        assert progress[-1].finished and progress[-1].holdout == 4
        mail = session.exec(select(MailMessage).order_by(MailMessage.to_address)).all()
        targets = {c.email: c for c in session.exec(select(Customer)).all()}
        assert len(mail) == 12
        assert not {targets[m.to_address].id for m in mail} & held
        first = mail[0]
        name = targets[first.to_address].name
        assert first.subject == f"An offer for {name}"
        assert first.body_text.startswith(f"Hello {name}, tell us: https://crm.acme.example/feedback?t=")
        assert "/unsubscribe?t=" in first.body_text and first.purpose_key == f"campaign:{campaign_id}"
        assert session.get(Campaign, campaign_id).status == CampaignStatus.running


def test_orders_in_the_window_become_responses_with_exact_figures(engine, company):
    marketer = company["marketer"]
    with Session(engine) as session:
        campaign = campaigns.create_campaign(session=session, actor=marketer, draft=_draft())
        campaigns.set_audience(session=session, actor=marketer, campaign_id=campaign.id,
                               customer_ids=_smb(session, marketer))
        campaigns.start_campaign(session=session, actor=marketer, campaign_id=campaign.id, now=START)
        session.commit()
        contacted = session.exec(select(CampaignTarget.customer_id).where(
            CampaignTarget.target_group == TargetGroup.contacted).order_by(CampaignTarget.customer_id)).all()
        holdout = session.exec(select(CampaignTarget.customer_id).where(
            CampaignTarget.target_group == TargetGroup.holdout).order_by(CampaignTarget.customer_id)).all()
        at = lambda day: datetime(2026, 10, day, 12, tzinfo=UTC)  # noqa: E731
        session.add_all([
            # Three contacted customers buy in the window (one twice), one before contact, one cancels.
            Order(customer_id=contacted[0], channel=SalesChannel.online, ordered_at=at(3), status=OrderStatus.paid,
                  total_amount=300),
            Order(customer_id=contacted[0], channel=SalesChannel.online, ordered_at=at(20), status=OrderStatus.paid,
                  total_amount=100),
            Order(customer_id=contacted[1], channel=SalesChannel.online, ordered_at=at(5),
                  status=OrderStatus.shipped, total_amount=200),
            Order(customer_id=contacted[2], channel=SalesChannel.online, ordered_at=at(6), status=OrderStatus.paid,
                  total_amount=100),
            Order(customer_id=contacted[3], channel=SalesChannel.online, ordered_at=datetime(2026, 9, 30, tzinfo=UTC),
                  status=OrderStatus.paid, total_amount=999),
            Order(customer_id=contacted[4], channel=SalesChannel.online, ordered_at=at(7),
                  status=OrderStatus.cancelled, total_amount=999),
            # One holdout customer buys anyway.
            Order(customer_id=holdout[0], channel=SalesChannel.online, ordered_at=at(8), status=OrderStatus.paid,
                  total_amount=80),
        ])
        session.commit()
        assert campaigns.refresh_responses(session=session, now=at(10)) == 16
        session.commit()
        report = campaigns.campaign_report(session=session, actor=marketer, campaign_id=campaign.id)
    figures = report.figures
    # Contacted 3 of 12 responded with 700; holdout 1 of 4 with 80.
    assert (figures.contacted.successes, figures.contacted.n, figures.holdout.successes, figures.holdout.n) == \
        (3, 12, 1, 4)
    assert figures.uplift.value == 0.0
    assert figures.contacted_revenue == 700.0
    assert figures.incremental_revenue == pytest.approx((700 / 12 - 80 / 4) * 12)  # 460
    assert figures.naive_roi == pytest.approx((700 - 400) / 400)
    assert figures.incremental_roi == pytest.approx((460 - 400) / 400)
    assert figures.cost_per_target == pytest.approx(400 / 12)
    # By day 2 after contact nobody had responded; by day 5 (orders on days 2, 4 and 5) all three.
    assert report.cumulative.loc[1, "contacted"] == 0.0
    assert report.cumulative.loc[5, "contacted"] == 3 / 12
    assert report.cumulative.loc[7, "holdout"] == 1 / 4


def test_a_phone_campaign_gives_each_owner_a_call_task_for_the_contacted_only(engine, company):
    marketer = company["marketer"]
    with Session(engine) as session:
        campaign = campaigns.create_campaign(session=session, actor=marketer,
                                             draft=_draft(CampaignChannel.phone, email_subject="", email_body=""))
        ids, unknown = campaigns.customers_of_refs(session=session, text="external_ref\nEXT-1\nEXT-2\nEXT-17\nNOPE\n")
        assert unknown == ("NOPE",)
        audience = campaigns.set_audience(session=session, actor=marketer, campaign_id=campaign.id, customer_ids=ids)
        assert (audience.chosen, audience.without_consent, audience.eligible) == (3, 1, 2)
        campaigns.start_campaign(session=session, actor=marketer, campaign_id=campaign.id, now=START)
        campaigns.start_campaign(session=session, actor=marketer, campaign_id=campaign.id, now=START)
        session.commit()
        tasks = session.exec(select(Activity)).all()
        assert len(tasks) == audience.contacted
        assert {task.owner_id for task in tasks} == {company["rep"].id}
        assert all(task.subject.startswith("Call Customer") for task in tasks)
        assert session.exec(select(func.count()).select_from(MailMessage)).one() == 0


def test_who_reads_and_who_changes_campaigns(engine, company):
    marketer = company["marketer"]
    with Session(engine) as session:
        campaign = campaigns.create_campaign(session=session, actor=marketer, draft=_draft())
        big = session.exec(select(Customer.id).where(Customer.segment == "Enterprise")).all()
        campaigns.set_audience(session=session, actor=marketer, campaign_id=campaign.id, customer_ids=list(big))
        session.commit()
        for reader in ("admin", "exec", "other", "marketer"):
            assert campaigns.campaign_for(session=session, actor=company[reader], campaign_id=campaign.id)
        # "rep" has no customer in it: it does not exist for them.
        with pytest.raises(NotFound):
            campaigns.campaign_for(session=session, actor=company["rep"], campaign_id=campaign.id)
        assert campaigns.visible_campaigns(session=session, actor=company["rep"]) == []
        for writer in ("exec", "other"):
            with pytest.raises(PermissionDenied):
                campaigns.update_campaign(session=session, actor=company[writer], campaign_id=campaign.id,
                                          draft=_draft(name="Mine now"))
            with pytest.raises(PermissionDenied):
                campaigns.start_campaign(session=session, actor=company[writer], campaign_id=campaign.id, now=START)
        campaigns.start_campaign(session=session, actor=company["admin"], campaign_id=campaign.id, now=START)
        with pytest.raises(campaigns.CampaignLocked):
            campaigns.set_audience(session=session, actor=marketer, campaign_id=campaign.id, customer_ids=[])


def test_bad_settings_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="end on or after"):
        _draft(end_date=date(2026, 9, 1))
    with pytest.raises(ValueError, match="0 % to 50 %"):
        _draft(holdout_share=0.8)
    with pytest.raises(ValueError, match="subject"):
        _draft(email_subject="")


def test_an_audience_from_a_saved_customer_view_uses_the_lists_own_filters(engine, company):
    """The marketer's own view (SMB customers of "rep"), an admin's shared one (Enterprise with open deals), and
    a rep's private view, which the marketer cannot use."""
    marketer, admin, rep = company["marketer"], company["admin"], company["rep"]
    with Session(engine) as session:
        campaign_id = campaigns.create_campaign(session=session, actor=marketer, draft=_draft()).id
        mine = saved_views.save_view(session=session, actor=marketer, page=routes.CUSTOMERS, name="Rep's SMB",
                                     filters={"segment": "SMB", "owner": str(rep.id)}).id
        shared = saved_views.save_view(session=session, actor=admin, page=routes.CUSTOMERS, name="Big, in play",
                                       filters={"segment": "Enterprise", "open_deals": "yes"}, shared=True).id
        private = saved_views.save_view(session=session, actor=rep, page=routes.CUSTOMERS, name="Mine",
                                        filters={"segment": "SMB"}).id
        big = session.exec(select(Customer).where(Customer.name == "Big 3")).one()
        session.add(Deal(title="Fleet", customer_id=big.id, owner_id=big.owner_id, stage=DealStage.proposal,
                         amount=9000, probability=0.5))
        session.commit()

        def preview(view_id: int) -> campaigns.Audience:
            ids, _ = campaigns.audience_source(session=session, actor=marketer, view_id=view_id)
            return campaigns.preview_audience(session=session, actor=marketer, campaign_id=campaign_id,
                                              customer_ids=ids)

        # 20 SMB customers of rep's, 4 without email consent; a quarter of the 16 held out.
        assert preview(mine) == campaigns.Audience(chosen=20, without_consent=4, contacted=12, holdout=4)
        assert preview(shared) == campaigns.Audience(chosen=1, without_consent=0, contacted=1, holdout=0)
        with pytest.raises(NotFound):
            preview(private)
        # The same filters in /customers' URL give the same customers.
        query = customer_filters(session=session, actor=marketer,
                                 filters={"segment": "SMB", "owner": str(rep.id)}).query
        assert count_matching(session=session, actor=marketer, query=query) == 20
        # Another rep's customers are not rep's book; a hostile owner value filters nothing.
        assert customer_filters(session=session, actor=rep, filters={"owner": str(admin.id)}).query.owner_id is None
        assert customer_filters(session=session, actor=marketer, filters={"owner": ["1"], "q": 7}).query == \
            CustomerQuery()
        # The churn filter before any churn fit: nobody, as on the list.
        assert customer_filters(session=session, actor=marketer, filters={"risk": "churn"}) == \
            CustomerFilters(query=CustomerQuery(among=()), churn_fitted_at=None)
