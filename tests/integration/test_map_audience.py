"""The segment map on SQLite and PostgreSQL: the /insights segments fit stores the map's points (every clustered
customer when there are few, with PCA's explained variance), and points picked on the drawn map name exactly the
customers drawn there, which become a draft campaign's audience."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sqlmodel import Session, select

from crm_app.analytics.rfm import rfm_features, rfm_table
from crm_app.data.facts import load_facts
from crm_app.data.insights_refresh import fit_insight, insight_model_name
from crm_app.data.models import CampaignTarget, Customer, ModelRun, Order, Role, User
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.report_results import stored_result
from crm_app.data.reports import ReportPeriod
from crm_app.data.repositories import campaigns, map_audience
from crm_app.data.repositories.model_runs import record_model_run
from crm_app.data.repositories.users import actor_of
from crm_app.domain import CampaignChannel, OrderStatus, SalesChannel
from crm_app.states.map_audience import NEW_CAMPAIGN, MapAudienceState
from tests.conftest import add_staff
from tests.integration.handler_runs import page_state, run_as, toast_text, use_database

AS_OF = date(2026, 11, 1)


@pytest.fixture
def fitted(engine):
    """12 customers: six frequent big spenders and six who bought once, long ago; the segments fit stored."""
    with Session(engine) as session:
        people = add_staff(session)
        marketer = User(email="mia@example.com", full_name="Mia Marketer", role=Role.marketer, password_hash="x")
        session.add(marketer)
        session.flush()
        midnight = datetime.combine(AS_OF, datetime.min.time(), UTC)
        for i in range(1, 13):
            session.add(Customer(id=i, name=f"Customer {i}", phone=f"+1555000{i:02}", region="EMEA", segment="SMB",
                                 acquisition_channel="event", owner_id=people["rep"].id, consent_phone=i != 2))
            session.flush()
            big = i <= 6
            for n in range(10 + i if big else 1):
                session.add(Order(customer_id=i, channel=SalesChannel.online, status=OrderStatus.paid,
                                  ordered_at=midnight - timedelta(days=(i if big else 300 + i) + 7 * n),
                                  total_amount=500 + 10 * i if big else 20 + i))
        session.flush()  # load_facts reads through the driver: pending rows must be written first
        fit = fit_insight("segments", load_facts(session), ReportPeriod.ending(AS_OF))
        run = record_model_run(session=session, model=insight_model_name("segments"), rows=fit.rows,
                               seconds=fit.seconds, summary=fit.report)
        session.commit()
        return {"run_id": run.id, "marketer": actor_of(marketer), "rep": actor_of(people["rep"]),
                "admin": actor_of(people["admin"])}


def test_the_fit_stores_every_clustered_customer_on_the_map_with_pcas_explained_variance(engine, fitted):
    with Session(engine) as session:
        result = stored_result("segments", session.get(ModelRun, fitted["run_id"]).summary)
        orders = load_facts(session).orders
    drawn = result.map
    assert drawn.customer_id == list(range(1, 13)) and drawn.mapped_customers == 12
    reference = PCA(n_components=2, svd_solver="full").fit(rfm_features(rfm_table(orders, AS_OF)))
    assert drawn.explained_variance == pytest.approx(list(reference.explained_variance_ratio_), abs=1e-12)
    # The big spenders are cluster 0 (clusters are numbered by spend), the one-off buyers another.
    assert drawn.cluster[:6] == [0] * 6 and len(set(drawn.cluster[6:])) == 1 and drawn.cluster[6] != 0
    assert np.all(np.sign(drawn.x[:6]) != np.sign(drawn.x[6]))


def test_picked_points_name_the_customers_drawn_there_and_become_an_audience(engine, fitted):
    marketer = fitted["marketer"]
    with Session(engine) as session:
        # Trace 0 is cluster 0 (customers 1-6 in id order), trace 1 the other cluster (7-12).
        chosen = map_audience.selected_customers(session=session, actor=marketer, run_id=fitted["run_id"],
                                                 picks=[(0, 1), (0, 0), (1, 5), (1, 5), (0, 99), (7, 0), (-1, 0)])
        assert chosen == [1, 2, 12]
        draft = campaigns.create_campaign(session=session, actor=marketer, draft=campaigns.CampaignDraft(
            name="Map pick", channel=CampaignChannel.phone, start_date=AS_OF, end_date=AS_OF, holdout_share=0))
        assert [c.name for c in map_audience.draft_campaigns(session=session, actor=marketer)] == ["Map pick"]
        audience = campaigns.set_audience(session=session, actor=marketer, campaign_id=draft.id, customer_ids=chosen)
        session.commit()
        # Customer 2 gave no phone consent.
        assert (audience.chosen, audience.without_consent, audience.contacted) == (3, 1, 2)
        assert sorted(session.exec(select(CampaignTarget.customer_id)
                                   .where(CampaignTarget.campaign_id == draft.id)).all()) == [1, 12]


def test_only_runners_pick_and_only_from_a_segments_fit(engine, fitted):
    with Session(engine) as session:
        with pytest.raises(PermissionDenied):
            map_audience.selected_customers(session=session, actor=fitted["rep"], run_id=fitted["run_id"],
                                            picks=[(0, 0)])
        assert map_audience.draft_campaigns(session=session, actor=fitted["rep"]) == []
        other = record_model_run(session=session, model=insight_model_name("quality"), rows=1, seconds=0,
                                 summary={"report": "quality"})
        session.flush()
        for run_id in (other.id, 10_000, "1", None, True):
            with pytest.raises(NotFound):
                map_audience.selected_customers(session=session, actor=fitted["admin"], run_id=run_id,
                                                picks=[(0, 0)])


def test_well_formed_picks_of_a_selection_are_kept_and_anything_else_dropped():
    points = [{"curveNumber": 0, "pointIndex": 3}, {"curveNumber": True, "pointIndex": 1}, "x",
              {"curveNumber": 1, "pointIndex": -1}, {"curveNumber": 2, "pointIndex": 2**31}, {"curveNumber": 1}]
    assert map_audience.picked_points(points) == [(0, 3)]
    assert map_audience.picked_points({"curveNumber": 0, "pointIndex": 0}) == []


def test_a_chinese_marketer_reads_the_map_audiences_refusals_and_note_in_chinese(engine, fitted, monkeypatch):
    use_database(monkeypatch, engine)
    mia = replace(fitted["marketer"], language="zh_CN")
    page = page_state(MapAudienceState)
    run_as(mia, page, "make_audience", {"map_target": NEW_CAMPAIGN})
    assert page.errors == {"form": "请先在分布图上选择客户（框选或套索）。"}
    page._customer_ids = [1, 2, 12]
    run_as(mia, page, "make_audience", {"map_target": "first"})
    assert page.errors == {"map_target": "请选择一个营销活动。"}
    toast = run_as(mia, page, "make_audience", {"map_target": NEW_CAMPAIGN, "map_name": "Map pick",
                                                "map_channel": "phone"})
    assert toast_text(toast) == "所选客户已成为该营销活动的受众。"
    # Customer 2 gave no consent to calls; 10 % of the other two held out rounds to none.
    assert page.note == "已保存：已选择 3 位客户；1 位因未同意该渠道而排除；2 位待联系，0 位留作对照组。"
