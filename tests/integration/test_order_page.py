"""An order's page: lines and totals by the README's rule, editing a pending order's lines in one audited
transaction, cancel and refund with a reason in the status history, and who may do which."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from crm_app.data.models import AuditLog, Order, OrderLine
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import orders
from crm_app.domain import OrderStatus
from tests.integration.test_orders_repository import _create, _lines, shop  # noqa: F401  (the fixture)


def _placed(engine, shop, **kwargs) -> int:
    with Session(engine) as session:
        order = _create(session, shop, **kwargs)
        session.commit()
        return order.id


def test_the_page_shows_each_lines_net_amount_and_their_sum(engine, shop):
    order_id = _placed(engine, shop, lines=_lines(shop, ("mouse", "1", "1.01", "50"), ("mouse", "1", "1.01", "50"),
                                                   ("webcam", "2", "89", "")))
    with Session(engine) as session:
        file = orders.order_file(session=session, actor=shop["rep"], order_id=order_id)
    # 1.01 x 0.5 = 0.505 -> 0.51 each (half up), so the lines add to 0.51 + 0.51 + 178.00 = 179.02, not 179.01.
    assert [(line.product_name, line.net_amount) for line in file.lines] == [
        ("Ergonomic Mouse", 0.51), ("Ergonomic Mouse", 0.51), ("HD Webcam", 178.0)]
    assert file.total_amount == file.order.total_amount == 179.02
    assert [(h.who, h.from_status, h.to_status, h.reason) for h in file.history] == [
        ("Rep", None, "pending", None)]


def test_only_readers_of_the_customer_open_an_order(engine, shop):
    order_id = _placed(engine, shop)
    with Session(engine) as session:
        for bad in (order_id + 1000, 0, -1, "1", True, 2**70, None):
            with pytest.raises(NotFound):
                orders.order_file(session=session, actor=shop["rep"], order_id=bad)
        with pytest.raises(NotFound):
            orders.order_file(session=session, actor=shop["other"], order_id=order_id)
        for reader in ("exec", "admin"):
            assert orders.order_file(session=session, actor=shop[reader], order_id=order_id).total_amount == 303.97


def test_a_pending_orders_lines_are_replaced_in_one_audited_change(engine, shop):
    order_id = _placed(engine, shop)
    with Session(engine) as session:
        orders.replace_order_lines(session=session, actor=shop["rep"], order_id=order_id,
                                   lines=_lines(shop, ("webcam", "3", "89", "5")))
        session.commit()
        # 3 x 89 x 0.95 = 253.65
        assert session.get(Order, order_id).total_amount == 253.65
        assert [(line.quantity, line.discount) for line in session.exec(
            select(OrderLine).where(OrderLine.order_id == order_id))] == [(3, 0.05)]
        audit = session.exec(select(AuditLog).where(AuditLog.entity == "order", AuditLog.action == "update")).one()
    assert audit.old_values["total_amount"] == 303.97 and len(audit.old_values["lines"]) == 2
    assert audit.new_values == {"total_amount": 253.65, "lines": [
        {"product_id": shop["webcam"], "quantity": 3, "unit_price": 89.0, "discount": 0.05}]}


def test_line_edits_are_refused_without_leaving_a_trace(engine, shop):
    order_id = _placed(engine, shop)
    paid_id = _placed(engine, shop, status=OrderStatus.paid)
    refusals = [
        (shop["rep"], paid_id, _lines(shop, ("webcam", "1", "89", "")), orders.InvalidOrderChange),
        (shop["rep"], order_id, [], orders.InvalidOrderChange),
        (shop["other"], order_id, _lines(shop, ("webcam", "1", "89", "")), NotFound),
        (shop["exec"], order_id, _lines(shop, ("webcam", "1", "89", "")), PermissionDenied),
    ]
    for actor, target, lines, error in refusals:
        with Session(engine) as session, pytest.raises(error):
            orders.replace_order_lines(session=session, actor=actor, order_id=target, lines=lines)
    with Session(engine) as session:
        assert session.get(Order, order_id).total_amount == 303.97
        assert len(session.exec(select(OrderLine).where(OrderLine.order_id == order_id)).all()) == 2
        assert session.exec(select(AuditLog).where(AuditLog.action == "update")).all() == []


def test_cancel_and_refund_need_a_reason_and_show_in_the_history(engine, shop):
    pending_id, shipped_id = _placed(engine, shop), _placed(engine, shop, status=OrderStatus.shipped)
    with Session(engine) as session:
        for reason in (None, "  ", "x" * 201, 5):
            with pytest.raises(orders.InvalidOrderChange):
                orders.close_order(session=session, actor=shop["rep"], order_id=pending_id,
                                   status=OrderStatus.cancelled, reason=reason)
        with pytest.raises(orders.InvalidOrderChange):  # nothing was paid for a pending order
            orders.close_order(session=session, actor=shop["rep"], order_id=pending_id,
                               status=OrderStatus.refunded, reason="Changed mind")
        with pytest.raises(orders.InvalidOrderChange):  # a shipped order is refunded, not cancelled
            orders.close_order(session=session, actor=shop["rep"], order_id=shipped_id,
                               status=OrderStatus.cancelled, reason="Late")
        with pytest.raises(PermissionDenied):
            orders.close_order(session=session, actor=shop["exec"], order_id=pending_id,
                               status=OrderStatus.cancelled, reason="Duplicate")
        orders.close_order(session=session, actor=shop["rep"], order_id=pending_id, status=OrderStatus.cancelled,
                           reason=" Duplicate of an earlier order ")
        orders.close_order(session=session, actor=shop["admin"], order_id=shipped_id, status=OrderStatus.refunded,
                           reason="Arrived broken")
        session.commit()
        cancelled = orders.order_file(session=session, actor=shop["rep"], order_id=pending_id)
        refunded = orders.order_file(session=session, actor=shop["rep"], order_id=shipped_id)
    assert [(h.who, h.from_status, h.to_status, h.reason) for h in cancelled.history] == [
        ("Rep", None, "pending", None), ("Rep", "pending", "cancelled", "Duplicate of an earlier order")]
    assert [(h.who, h.from_status, h.to_status, h.reason) for h in refunded.history] == [
        ("Rep", None, "shipped", None), ("Admin", "shipped", "refunded", "Arrived broken")]
