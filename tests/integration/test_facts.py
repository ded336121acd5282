"""The fact frames read back exactly what the database holds, typed for the analytics, and narrowed per actor."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlmodel import Session, func, select

from crm_app.data.facts import load_facts
from crm_app.data.models import Customer, Deal, Order, OrderLine, Role, User
from crm_app.data.permissions import Actor
from crm_app.data.seed import seed_demo_company

SIZES = dict(seed=3, customers=300, orders=2_000)


@pytest.fixture
def facts_and_engine(engine):
    seed_demo_company(engine=engine, **SIZES)
    with Session(engine) as session:
        return load_facts(session), engine


def test_frames_hold_every_row_with_analytics_types(facts_and_engine):
    facts, engine = facts_and_engine
    with Session(engine) as session:
        orders, revenue = session.exec(select(func.count(), func.sum(Order.total_amount))).one()
        lines = session.exec(select(func.count()).select_from(OrderLine)).one()

    assert len(facts.orders) == orders == 2_000
    assert len(facts.lines) == lines
    assert facts.orders["total_amount"].sum() == pytest.approx(float(revenue), abs=0.005)
    assert str(facts.orders["ordered_at"].dtype) == "datetime64[us, UTC]"
    assert isinstance(facts.orders["region"].dtype, pd.CategoricalDtype)
    assert facts.deals["amount"].dtype == float
    assert facts.activities["done"].dtype == bool


def test_a_rep_sees_only_their_own_book(facts_and_engine):
    facts, engine = facts_and_engine
    with Session(engine) as session:
        rep = session.exec(select(User).where(User.role == Role.sales_rep).order_by(User.id)).first()
        own_orders = session.exec(
            select(func.count()).select_from(Order).join(Customer).where(Customer.owner_id == rep.id)).one()
        own_deals = session.exec(select(func.count()).select_from(Deal).where(Deal.owner_id == rep.id)).one()
    actor = Actor(id=rep.id, email=rep.email, full_name=rep.full_name, role=Role.sales_rep)

    mine = facts.visible_to(actor)

    assert 0 < len(mine.orders) == own_orders < len(facts.orders)
    assert len(mine.deals) == own_deals
    assert set(mine.customers["owner_id"]) == {rep.id}
    assert set(mine.lines["order_id"]) <= set(mine.orders["id"])
    executive = Actor(id=0, email="x@example.com", full_name="X", role=Role.executive)
    assert facts.visible_to(executive) is facts
