"""The insights' data side: churn follow-up tasks (audited, never twice, admins only) and stored model fits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial

import pytest
from sqlmodel import Session, select

from crm_app.analytics.rfm import rfm_scores, rfm_table
from crm_app.analytics.sampling import customer_sample
from crm_app.data import insights_refresh
from crm_app.data.facts import load_facts
from crm_app.data.models import Activity, AuditLog, Customer, Role, User
from crm_app.data.permissions import Actor, PermissionDenied
from crm_app.data.insights_refresh import (
    MODEL_SAMPLE_SEED, fit_insight, latest_insights, model_facts, refresh_insights,
)
from crm_app.data.reports import INSIGHTS, ReportPeriod
from crm_app.data.repositories.campaigns import audience_source
from crm_app.data.repositories.follow_ups import create_churn_follow_ups
from crm_app.data.seed import seed_demo_company
from crm_app.domain import OPEN_STAGES
from crm_app.settings import get_settings

FRIDAY = date(2026, 5, 1)


@pytest.fixture
def people(engine):
    with Session(engine) as session:
        admin = User(email="a@example.com", full_name="Ada", role=Role.admin, password_hash="x")
        rep = User(email="r@example.com", full_name="Riley", role=Role.sales_rep, password_hash="x")
        session.add_all([admin, rep])
        session.flush()
        owned = Customer(name="Owned Ltd", region="EMEA", segment="SMB", acquisition_channel="event", owner_id=rep.id)
        orphan = Customer(name="Nobody's", region="EMEA", segment="SMB", acquisition_channel="event")
        session.add_all([owned, orphan])
        session.commit()
        return (Actor(id=admin.id, email=admin.email, full_name="Ada", role=Role.admin), rep.id, owned.id, orphan.id)


def test_follow_ups_go_to_the_owner_once_audited_and_due_next_working_day(engine, people):
    admin, rep_id, owned, orphan = people
    with Session(engine) as session:
        first = create_churn_follow_ups(session=session, actor=admin, customer_ids=[owned, orphan, 999_999], today=FRIDAY)
        again = create_churn_follow_ups(session=session, actor=admin, customer_ids=[owned], today=FRIDAY)
        session.commit()
        tasks = session.exec(select(Activity)).all()
        audits = session.exec(select(AuditLog).where(AuditLog.entity == "task")).all()

    assert (first.created, first.already_open, first.without_owner) == (1, 0, 1)
    assert (again.created, again.already_open) == (0, 1)
    assert [(t.owner_id, t.customer_id, t.subject, t.kind) for t in tasks] == [
        (rep_id, owned, "Churn risk: call Owned Ltd", "task")]
    # Friday 1 May 2026 -> Monday 4 May, 09:00 UTC
    due = tasks[0].due_at if tasks[0].due_at.tzinfo else tasks[0].due_at.replace(tzinfo=UTC)
    assert due == datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    assert [(a.actor_id, a.action, a.entity_id) for a in audits] == [(admin.id, "create", tasks[0].id)]


@pytest.mark.parametrize("role", [Role.executive, Role.sales_rep])
def test_only_admins_create_follow_ups(engine, people, role):
    _, _, owned, _ = people
    with Session(engine) as session, pytest.raises(PermissionDenied):
        create_churn_follow_ups(session=session, actor=Actor(id=1, email="x@example.com", full_name="X", role=role),
                                customer_ids=[owned], today=FRIDAY)


def test_a_refresh_stores_every_insight_and_a_second_request_reuses_it(engine, monkeypatch):
    seed_demo_company(engine=engine, seed=5, customers=150, orders=1_500, as_of=FRIDAY)
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    asked = datetime.now(UTC)

    fits = refresh_insights(as_of=FRIDAY)
    repeated = refresh_insights(as_of=FRIDAY, requested_at=asked)

    assert [fit.name for fit in fits] == list(INSIGHTS) and repeated == []
    with Session(engine) as session:
        runs = latest_insights(session=session)
    assert {name: run.rows for name, run in runs.items()} == {
        name: fit.rows for name, fit in zip(INSIGHTS, fits)}
    assert runs["quality"].rows == 150 and runs["quality"].summary["customers"] == 150
    assert runs["segments"].summary == fits[0].report


def test_below_the_cap_the_refresh_fits_what_the_reports_of_the_whole_company_say(engine, monkeypatch):
    seed_demo_company(engine=engine, seed=5, customers=150, orders=1_500, as_of=FRIDAY)
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))

    fits = refresh_insights(as_of=FRIDAY, sample_cap=150)

    with Session(engine) as session:
        whole = load_facts(session)
    for fit in fits:
        expected = fit_insight(fit.name, whole, ReportPeriod.ending(FRIDAY))
        assert (fit.report, fit.rows) == (expected.report, expected.rows) and "sample" not in fit.report


def test_above_the_cap_the_models_are_fitted_on_a_seeded_sample_of_exactly_the_cap(engine, monkeypatch):
    seed_demo_company(engine=engine, seed=5, customers=150, orders=1_500, as_of=FRIDAY)
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    with Session(engine) as session:
        whole = load_facts(session)
        model = model_facts(session, cap=40)
    sample = customer_sample(whole.customers["id"], 40, seed=MODEL_SAMPLE_SEED)

    # The sampled customers with their whole order history, every open deal (the pipeline board scores each).
    assert (model.customers, model.sampled) == (150, 40)
    assert model.facts.customers["id"].tolist() == sample.tolist()
    ours = whole.orders[whole.orders["customer_id"].isin(sample)]
    assert sorted(model.facts.orders["ordered_at"]) == sorted(ours["ordered_at"])
    open_deals = whole.deals[whole.deals["stage"].isin(OPEN_STAGES)]
    assert set(open_deals["id"]) <= set(model.facts.deals["id"])
    assert set(model.facts.deals["id"]) == set(open_deals["id"]) | set(whole.deals.loc[whole.deals["customer_id"].isin(sample), "id"])

    fits = refresh_insights(as_of=FRIDAY, sample_cap=40)
    again = refresh_insights(as_of=FRIDAY, sample_cap=40)

    with Session(engine) as session:
        runs = latest_insights(session=session)
    for name in ("segments", "clv", "churn", "quality", "winprob"):
        assert runs[name].rows == 40 and runs[name].summary["sample"] == {"customers": 40, "of": 150}
    assert runs["quality"].summary["customers"] == 40
    assert runs["segments"].summary["customers"] == len(rfm_table(ours, FRIDAY))
    assert {row["customer_id"] for row in runs["churn"].summary["at_risk"]} <= set(sample.tolist())
    # The forecast is of the company's revenue, from every order.
    company = fit_insight("forecast", whole, ReportPeriod.ending(FRIDAY)).report
    assert "sample" not in runs["forecast"].summary and runs["forecast"].rows == len(whole.orders)
    assert [row["period"] for row in runs["forecast"].summary["history"]] == [row["period"] for row in company["history"]]
    assert [row["revenue"] for row in runs["forecast"].summary["history"]] == pytest.approx(
        [row["revenue"] for row in company["history"]], rel=1e-12)
    # The same seed draws the same sample: a second refresh fits the same models.
    assert [fit.report for fit in again] == [fit.report for fit in fits]


def test_above_the_cap_a_cluster_audience_is_the_sampled_cluster_and_a_segment_every_customer_in_it(engine, monkeypatch):
    seed_demo_company(engine=engine, seed=5, customers=150, orders=1_500, as_of=FRIDAY)
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(insights_refresh, "model_facts", partial(insights_refresh.model_facts, cap=40))
    refresh_insights(as_of=FRIDAY, sample_cap=40)
    admin = Actor(id=1, email="a@example.com", full_name="Ada", role=Role.admin)

    with Session(engine) as session:
        drawn = latest_insights(session=session)["segments"].summary["map"]
        cluster, _ = audience_source(session=session, actor=admin, cluster=0)
        champions, _ = audience_source(session=session, actor=admin, rfm_segment="Champions")
        whole = load_facts(session)

    assert cluster == sorted(i for i, c in zip(drawn["customer_id"], drawn["cluster"]) if c == 0) and cluster
    scored = rfm_scores(rfm_table(whole.orders, FRIDAY))
    assert champions == sorted(scored.index[scored["segment"] == "Champions"].tolist())
    assert not set(champions) <= set(customer_sample(whole.customers["id"], 40, seed=MODEL_SAMPLE_SEED).tolist())
