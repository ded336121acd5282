"""The database itself refuses out-of-range values, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from crm_app.data import db
from crm_app.data.models import (
    Activity, ActivityKind, Customer, Deal, Feedback, KpiTarget, Order, OrderLine, Product, Role, User,
)
from crm_app.domain import DealStage, SalesChannel
from crm_app.settings import get_settings

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture
def owner_and_customer(engine):
    with Session(engine) as session:
        owner = User(email="rep@example.com", full_name="Rep", role=Role.sales_rep, password_hash="x")
        session.add(owner)
        session.flush()
        customer = Customer(name="Ada", region="EMEA", segment="SMB", acquisition_channel="referral", owner_id=owner.id)
        product = Product(sku="SKU-1", name="Widget", category="Hardware", list_price=10)
        session.add_all([customer, product])
        session.commit()
        return owner.id, customer.id, product.id


def _refused(engine, row) -> bool:
    with Session(engine) as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            return True
    return False


@pytest.mark.parametrize("csat, nps", [(0, 5), (6, 5), (3, -1), (3, 11), (None, None)])
def test_feedback_scores_outside_their_scales_are_refused(engine, csat, nps):
    assert _refused(engine, Feedback(csat=csat, nps=nps))


def test_feedback_within_scales_is_stored(engine):
    assert not _refused(engine, Feedback(csat=5, nps=10))
    assert not _refused(engine, Feedback(csat=1, nps=None))


def test_lost_deal_needs_a_reason(engine, owner_and_customer):
    owner_id, customer_id, _ = owner_and_customer
    lost = dict(title="Renewal", customer_id=customer_id, owner_id=owner_id, stage=DealStage.lost, amount=100, probability=0)
    assert _refused(engine, Deal(**lost))
    assert not _refused(engine, Deal(**lost, lost_reason="Price"))


@pytest.mark.parametrize("field, value", [("stage", "Maybe"), ("probability", 1.5), ("amount", -1)])
def test_deal_values_out_of_range_are_refused(engine, owner_and_customer, field, value):
    owner_id, customer_id, _ = owner_and_customer
    deal = dict(title="New", customer_id=customer_id, owner_id=owner_id, amount=100, probability=0.1)
    deal[field] = value
    assert _refused(engine, Deal(**deal))


@pytest.mark.parametrize("field, value", [("quantity", 0), ("discount", 1.2), ("unit_price", -5)])
def test_order_line_values_out_of_range_are_refused(engine, owner_and_customer, field, value):
    _, customer_id, product_id = owner_and_customer
    with Session(engine) as session:
        order = Order(customer_id=customer_id, channel=SalesChannel.online, ordered_at=NOW)
        session.add(order)
        session.commit()
        order_id = order.id
    line = dict(order_id=order_id, product_id=product_id, quantity=1, unit_price=10, discount=0)
    line[field] = value
    assert _refused(engine, OrderLine(**line))


def test_foreign_keys_are_enforced(engine):
    assert _refused(engine, Order(customer_id=999_999, channel=SalesChannel.online, ordered_at=NOW))


def test_activity_must_be_linked(engine, owner_and_customer):
    owner_id, _, _ = owner_and_customer
    assert _refused(engine, Activity(kind=ActivityKind.call, subject="Call", owner_id=owner_id))


def test_kpi_target_period_is_unique(engine):
    target = dict(kpi="revenue", period_start=date(2026, 1, 1), period_end=date(2026, 1, 31), target_value=1e6)
    assert not _refused(engine, KpiTarget(**target))
    assert _refused(engine, KpiTarget(**target))


def test_timestamps_come_back_as_utc(engine, owner_and_customer):
    _, customer_id, _ = owner_and_customer
    with Session(engine) as session:
        customer = session.get(Customer, customer_id)
        assert customer.created_at.tzinfo is not None and customer.created_at.utcoffset().total_seconds() == 0


def test_a_failed_write_leaves_nothing_behind(engine, owner_and_customer, monkeypatch):
    monkeypatch.setattr(get_settings(), "database_url", str(engine.url.render_as_string(hide_password=False)))
    with pytest.raises(IntegrityError), db.write_session() as session:
        session.add(Product(sku="SKU-2", name="Gadget", category="Hardware", list_price=5))
        session.flush()
        session.add(Product(sku="SKU-2", name="Duplicate", category="Hardware", list_price=5))
    with Session(engine) as session:
        assert session.exec(select(Product.sku).order_by(Product.sku)).all() == ["SKU-1"]


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path):
    engine = db.engine_for(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == get_settings().sqlite_busy_timeout_ms
    engine.dispose()
