"""Orders on SQLite and PostgreSQL: totals computed on save, who may write, filters, and the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from crm_app.data.models import AuditLog, Customer, Deal, Order, OrderLine, Product, Role, User
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import orders
from crm_app.data.repositories.orders import OrderLineDraft, OrderQuery
from crm_app.data.repositories.users import actor_of
from crm_app.domain import DealStage, OrderStatus, SalesChannel
from tests.conftest import add_staff

AT = datetime(2026, 3, 14, 10, 30, tzinfo=UTC)


@pytest.fixture
def shop(engine):
    """Two reps with a customer each, a deal of the rep's, and three products in two categories."""
    with Session(engine) as session:
        people = add_staff(session)
        mine = Customer(name="Ada Lovelace", company="Analytical Engines", region="EMEA", segment="SMB",
                        acquisition_channel="event", owner_id=people["rep"].id)
        theirs = Customer(name="Grace Hopper", region="Americas", segment="Enterprise", acquisition_channel="web",
                          owner_id=people["other"].id)
        products = [Product(sku="ACC-001", name="Ergonomic Mouse", category="Accessories", list_price=19.99),
                    Product(sku="SRV-001", name="Training Day", category="Services", list_price=250),
                    Product(sku="ACC-002", name="HD Webcam", category="Accessories", list_price=89)]
        session.add_all([mine, theirs, *products])
        session.flush()
        deal = Deal(title="Mouse refresh", customer_id=mine.id, owner_id=people["rep"].id, stage=DealStage.won,
                    amount=303.97, probability=1)
        session.add(deal)
        session.commit()
        return {name: actor_of(user) for name, user in people.items()} | {
            "mine": mine.id, "theirs": theirs.id, "deal": deal.id,
            "mouse": products[0].id, "training": products[1].id, "webcam": products[2].id,
        }


def _lines(shop, *rows):
    return [OrderLineDraft(product_id=shop[name], quantity=q, unit_price=p, discount_percent=d) for name, q, p, d in rows]


def _create(session, shop, actor="rep", customer="mine", lines=None, **kwargs):
    lines = lines or _lines(shop, ("mouse", "3", "19.99", "10"), ("training", "1", "250", ""))
    return orders.create_order(session=session, actor=shop[actor], customer_id=shop[customer], lines=lines,
                               channel=SalesChannel.phone, ordered_at=AT, **kwargs)


def test_the_total_is_computed_from_the_lines_and_audited(engine, shop):
    with Session(engine) as session:
        order = _create(session, shop, deal_id=shop["deal"])
        session.commit()
        # 3 × 19.99 × (1 − 0.10) = 53.97, plus 1 × 250 = 303.97.
        assert session.get(Order, order.id).total_amount == 303.97
        lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
        assert [(l.quantity, l.unit_price, l.discount) for l in lines] == [(3, 19.99, 0.1), (1, 250.0, 0.0)]
        audit = session.exec(select(AuditLog).where(AuditLog.entity == "order")).one()
        assert (audit.entity_id, audit.action, audit.actor_id) == (order.id, "create", shop["rep"].id)
        assert audit.new_values["total_amount"] == 303.97
        assert (audit.new_values["lines"], audit.new_values["deal_id"]) == (2, shop["deal"])


def test_a_rep_cannot_order_for_another_reps_customer_and_an_executive_cannot_write(engine, shop):
    with Session(engine) as session:
        with pytest.raises(NotFound):
            _create(session, shop, customer="theirs")
        with pytest.raises(PermissionDenied):
            _create(session, shop, actor="exec")
        with pytest.raises(NotFound):
            _create(session, shop, actor="other", deal_id=shop["deal"], customer="theirs")
        assert _create(session, shop, actor="admin", customer="theirs").total_amount == 303.97
        session.rollback()
        assert session.exec(select(Order)).all() == []


def test_an_unknown_product_writes_nothing(engine, shop):
    with Session(engine) as session:
        with pytest.raises(NotFound):
            _create(session, shop, lines=[OrderLineDraft(product_id=999_999, quantity=1, unit_price=1)])
        with pytest.raises(ValueError):
            _create(session, shop, status=OrderStatus.refunded)
        session.rollback()
        assert (session.exec(select(Order)).all(), session.exec(select(AuditLog)).all()) == ([], [])


@pytest.mark.parametrize("field, value", [
    ("quantity", "0"), ("quantity", "1.5"), ("quantity", "10001"), ("quantity", "many"), ("quantity", True),
    ("unit_price", "-1"), ("unit_price", "19.999"), ("unit_price", "NaN"), ("unit_price", "1e400"),
    ("discount_percent", "101"), ("discount_percent", "-5"), ("discount_percent", "12.345"),
    ("product_id", ""), ("product_id", "0"),
])
def test_bad_line_values_are_refused_on_their_field(field, value):
    values = {"product_id": "1", "quantity": "2", "unit_price": "10.00", "discount_percent": "5"} | {field: value}
    with pytest.raises(ValidationError) as refused:
        OrderLineDraft.model_validate(values)
    assert [error["loc"] for error in refused.value.errors()] == [(field,)]


def test_discounts_are_typed_in_percent():
    line = OrderLineDraft.model_validate({"product_id": "1", "quantity": "2", "unit_price": "1,000.50",
                                          "discount_percent": "12.5 %"})
    assert (line.quantity, line.unit_price, line.values().discount) == (2, 1000.5, 0.125)


def test_status_changes_are_the_owners_and_audited(engine, shop):
    with Session(engine) as session:
        order = _create(session, shop)
        with pytest.raises(NotFound):
            orders.set_order_status(session=session, actor=shop["other"], order_id=order.id, status=OrderStatus.paid)
        with pytest.raises(PermissionDenied):
            orders.set_order_status(session=session, actor=shop["exec"], order_id=order.id, status=OrderStatus.paid)
        orders.set_order_status(session=session, actor=shop["rep"], order_id=order.id, status=OrderStatus.paid)
        session.commit()
        update = session.exec(select(AuditLog).where(AuditLog.action == "update")).one()
        assert (update.old_values, update.new_values) == ({"status": "pending"}, {"status": "paid"})


@pytest.fixture
def book(engine, shop):
    """Five orders: four for the rep's customer (10 + 200 + 55 + 7.50 = 272.50; two with accessories), one of 1,000
    for the other rep's customer."""
    with Session(engine) as session:
        def order(customer, day, status, *lines):
            made = orders.create_order(
                session=session, actor=shop["admin"], customer_id=shop[customer], status=status,
                channel=SalesChannel.online, ordered_at=datetime(2026, 3, day, 23, 59, tzinfo=UTC),
                lines=_lines(shop, *lines),
            )
            session.flush()
            return made.id

        ids = {
            "a": order("mine", 1, OrderStatus.paid, ("mouse", 1, 10, 0)),
            "b": order("mine", 5, OrderStatus.pending, ("training", 2, 100, 0)),
            "c": order("mine", 10, OrderStatus.shipped, ("training", 1, 50, 0), ("webcam", 1, 5, 0)),
            "d": order("mine", 11, OrderStatus.paid, ("training", 1, 7.5, 0)),
            "e": order("theirs", 5, OrderStatus.paid, ("mouse", 1, 1000, 0)),
        }
        session.commit()
        return ids


def _ids(engine, actor, book, **filters):
    with Session(engine) as session:
        result = orders.search_orders(session=session, actor=actor, query=OrderQuery(**filters))
    names = {order_id: name for name, order_id in book.items()}
    return [names[row.id] for row in result.rows], result.total, result.amount


def test_filters_return_exactly_the_expected_orders(engine, shop, book):
    rep = shop["rep"]
    assert _ids(engine, rep, book) == (["d", "c", "b", "a"], 4, 272.5)
    # Same minute on the 5th: the later order (higher id) first.
    assert _ids(engine, shop["exec"], book) == (["d", "c", "e", "b", "a"], 5, 1272.5)
    # Inclusive UTC days: the 5th at 23:59 is in, the 11th is out.
    assert _ids(engine, rep, book, ordered_from=date(2026, 3, 5), ordered_to=date(2026, 3, 10)) == (["c", "b"], 2, 255)
    assert _ids(engine, rep, book, status=OrderStatus.paid) == (["d", "a"], 2, 17.5)
    assert _ids(engine, rep, book, category="Accessories") == (["c", "a"], 2, 65)
    assert _ids(engine, shop["admin"], book, customer_id=shop["theirs"]) == (["e"], 1, 1000)
    assert _ids(engine, shop["admin"], book, customer_search="ENGINES") == (["d", "c", "b", "a"], 4, 272.5)
    # A rep asking for another rep's customer gets nothing.
    assert _ids(engine, rep, book, customer_id=shop["theirs"]) == ([], 0, 0)


def test_pages_hold_fifty_orders(engine, shop):
    with Session(engine) as session:
        for day in range(51):
            orders.create_order(session=session, actor=shop["rep"], customer_id=shop["mine"],
                                lines=_lines(shop, ("mouse", 1, 1, 0)), channel=SalesChannel.store,
                                ordered_at=datetime(2026, 1, 1, tzinfo=UTC).replace(day=1 + day % 28))
        session.commit()
        second = orders.search_orders(session=session, actor=shop["rep"], query=OrderQuery(page=2))
        beyond = orders.search_orders(session=session, actor=shop["rep"], query=OrderQuery(page=99))
    assert (len(second.rows), second.total, second.pages, second.amount) == (1, 51, 2, 51)
    assert (beyond.page, len(beyond.rows)) == (2, 1)


def test_the_deal_target_is_for_those_who_may_see_the_deal(engine, shop):
    with Session(engine) as session:
        target = orders.deal_target(session=session, actor=shop["rep"], deal_id=shop["deal"])
        assert (target.title, target.amount, target.customer_id) == ("Mouse refresh", 303.97, shop["mine"])
        assert orders.deal_target(session=session, actor=shop["exec"], deal_id=shop["deal"]).id == shop["deal"]
        with pytest.raises(NotFound):
            orders.deal_target(session=session, actor=shop["other"], deal_id=shop["deal"])
