"""The insights' data side: churn follow-up tasks (audited, never twice, admins only) and stored model fits."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from crm_app.data.models import Activity, AuditLog, Customer, Role, User
from crm_app.data.permissions import Actor, PermissionDenied
from crm_app.data.insights_refresh import latest_insights, refresh_insights
from crm_app.data.reports import INSIGHTS
from crm_app.data.repositories.follow_ups import create_churn_follow_ups
from crm_app.data.seed import seed_demo_company
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
