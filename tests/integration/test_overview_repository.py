"""The home page figures: a sales rep's own book, or the whole company for executives and admins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from crm_app.data.models import Activity, ActivityKind, Customer, Deal, Order, Role, User, utcnow
from crm_app.data.repositories.overview import BookOverview, book_overview
from crm_app.data.repositories.users import actor_of
from crm_app.domain import DealStage, OrderStatus, SalesChannel


@pytest.fixture
def company(engine):
    now = utcnow()
    with Session(engine) as session:
        people = {
            role: User(email=f"{role}@example.com", full_name=role, role=role, password_hash="x")
            for role in (Role.executive, Role.sales_rep)
        }
        other_rep = User(email="other@example.com", full_name="other", role=Role.sales_rep, password_hash="x")
        session.add_all([*people.values(), other_rep])
        session.flush()
        rep, other = people[Role.sales_rep], other_rep
        mine = Customer(name="Mine", region="EMEA", segment="SMB", acquisition_channel="referral", owner_id=rep.id)
        theirs = Customer(name="Theirs", region="APAC", segment="SMB", acquisition_channel="event", owner_id=other.id)
        session.add_all([mine, theirs])
        session.flush()
        deal = dict(title="d", customer_id=mine.id, owner_id=rep.id)
        session.add_all([
            Deal(**deal, stage=DealStage.lead, amount=1000, probability=0.10),
            Deal(**deal, stage=DealStage.proposal, amount=2000, probability=0.50),
            Deal(**deal, stage=DealStage.won, amount=5000, probability=1.0),
            Deal(title="t", customer_id=theirs.id, owner_id=other.id, stage=DealStage.negotiation,
                 amount=4000, probability=0.75),
            Activity(kind=ActivityKind.task, subject="late", customer_id=mine.id, owner_id=rep.id,
                     due_at=now - timedelta(days=2)),
            Activity(kind=ActivityKind.call, subject="soon", customer_id=mine.id, owner_id=rep.id,
                     due_at=now + timedelta(days=2)),
            Activity(kind=ActivityKind.task, subject="done", customer_id=mine.id, owner_id=rep.id,
                     due_at=now - timedelta(days=5), done=True),
            Activity(kind=ActivityKind.task, subject="theirs", customer_id=theirs.id, owner_id=other.id,
                     due_at=now - timedelta(days=1)),
            Order(customer_id=mine.id, channel=SalesChannel.online, ordered_at=now - timedelta(days=3),
                  status=OrderStatus.paid, total_amount=120.50),
            Order(customer_id=mine.id, channel=SalesChannel.online, ordered_at=now - timedelta(days=40),
                  status=OrderStatus.paid, total_amount=999),
            Order(customer_id=mine.id, channel=SalesChannel.store, ordered_at=now - timedelta(days=1),
                  status=OrderStatus.cancelled, total_amount=50),
            Order(customer_id=theirs.id, channel=SalesChannel.phone, ordered_at=now - timedelta(days=10),
                  status=OrderStatus.shipped, total_amount=79.50),
        ])
        session.commit()
        return {"rep": actor_of(rep), "executive": actor_of(people[Role.executive])}


def test_sales_rep_sees_only_their_book(engine, company):
    with Session(engine) as session:
        overview = book_overview(session=session, actor=company["rep"])
    # Open deals: 1000 + 2000; weighted 1000*0.10 + 2000*0.50 = 1100. Orders: only the paid one in 30 days.
    assert overview == BookOverview(
        customers=1, open_deals=2, open_pipeline=3000.0, weighted_pipeline=1100.0,
        open_tasks=2, overdue_tasks=1, revenue_last_30_days=120.5, orders_last_30_days=1,
    )


def test_executive_sees_the_whole_company(engine, company):
    with Session(engine) as session:
        overview = book_overview(session=session, actor=company["executive"])
    # Weighted: 1100 + 4000*0.75 = 4100. Revenue: 120.50 + 79.50 (cancelled and 40-day-old orders excluded).
    assert overview == BookOverview(
        customers=2, open_deals=3, open_pipeline=7000.0, weighted_pipeline=4100.0,
        open_tasks=3, overdue_tasks=2, revenue_last_30_days=200.0, orders_last_30_days=2,
    )
