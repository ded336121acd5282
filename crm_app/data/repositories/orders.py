"""Orders: the order list and its filters, new orders with their lines, and status changes.

A sales rep sees and writes the orders of their own customers; executives read every order and write
none; admins do everything. Totals are always computed here from the lines (`analytics.orders.order_totals`),
never taken from the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError, field_validator
from sqlmodel import Session, func, select

from crm_app.analytics.orders import OrderLineValues, order_totals
from crm_app.data.models import AuditLog, Customer, Deal, Order, OrderLine, Product, User
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.repositories import webhooks
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app.data.repositories.customers import customer_for
from crm_app.data.search import name_or_company_matches
from crm_app.data.validation import UserInput, field_errors, unstorable
from crm_app.domain import OrderStatus, SalesChannel
from crm_app.i18n import N_, gettext, say

PAGE_SIZE = 50
MAX_QUANTITY = 10_000
MAX_UNIT_PRICE = 1_000_000
MAX_LINES = 50
# A new order starts as a quote (pending) or is recorded as already paid or shipped.
NEW_ORDER_STATUSES = (OrderStatus.pending, OrderStatus.paid, OrderStatus.shipped)


# --- what a user sends for one line ------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    text = value.strip().replace(",", "") if isinstance(value, str) else str(value)
    if not text or len(text) > 20:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _places(number: Decimal) -> int:
    return max(0, -number.normalize().as_tuple().exponent)


class OrderLineDraft(UserInput):
    """One line of a new order as typed: product, whole units, price per unit, discount in percent."""

    product_id: int
    quantity: int
    unit_price: float
    discount_percent: float = 0.0

    @field_validator("product_id", mode="before")
    @classmethod
    def _a_product(cls, value: Any) -> int:
        number = _decimal(value)
        if number is None or number != number.to_integral_value() or not 0 < number < 2**63:
            raise ValueError(gettext("Choose a product."))
        return int(number)

    @field_validator("quantity", mode="before")
    @classmethod
    def _whole_units(cls, value: Any) -> int:
        number = _decimal(value)
        if number is None or number != number.to_integral_value() or not 1 <= number <= MAX_QUANTITY:
            raise ValueError(gettext("Enter a whole number of units from 1 to {limit}.", limit=f"{MAX_QUANTITY:,}"))
        return int(number)

    @field_validator("unit_price", mode="before")
    @classmethod
    def _price_in_cents(cls, value: Any) -> float:
        number = _decimal(value)
        if number is None or not 0 <= number <= MAX_UNIT_PRICE or _places(number) > 2:
            raise ValueError(gettext("Enter a price from 0 to {limit} with at most 2 decimals.",
                                     limit=f"{MAX_UNIT_PRICE:,}"))
        return float(number)

    @field_validator("discount_percent", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> float:
        if isinstance(value, str) and not value.strip():
            return 0.0
        number = _decimal(value.removesuffix("%") if isinstance(value, str) else value)
        if number is None or not 0 <= number <= 100 or _places(number) > 2:
            raise ValueError(gettext("Enter a discount from 0 to 100 %, with at most 2 decimals."))
        return float(number)

    def values(self) -> OrderLineValues:
        """The line as the totals formula reads it (discount as a fraction)."""
        return OrderLineValues(self.quantity, self.unit_price, float(Decimal(str(self.discount_percent)) / 100))


LINE_FIELDS = ("product_id", "quantity", "unit_price", "discount_percent")


def draft_lines(typed: list[dict[str, Any]]) -> tuple[list[OrderLineDraft | None], list[dict[str, str]]]:
    """Each typed line as a draft (None when it has an error) and its messages, one per field."""
    drafts, errors = [], []
    for line in typed:
        draft, messages = None, {}
        try:
            draft = OrderLineDraft.model_validate({name: line.get(name) for name in LINE_FIELDS})
        except ValidationError as error:
            messages = field_errors(error)
        drafts.append(draft)
        errors.append(messages)
    return drafts, errors


# --- reading ---------------------------------------------------------------------------------


def product_catalogue(*, session: Session, limit: int = 2000) -> list[Product]:
    """The products an order line can use, by category then name."""
    return list(session.exec(select(Product).order_by(Product.category, Product.name, Product.id).limit(limit)))


def product_categories(*, session: Session) -> list[str]:
    return list(session.exec(select(Product.category).distinct().order_by(Product.category)))


@dataclass(frozen=True)
class DealTarget:
    """The deal a new order fulfils, as the order form shows it."""

    id: int
    title: str
    amount: float
    stage: str
    customer_id: int


def deal_target(*, session: Session, actor: Actor, deal_id: int) -> DealTarget:
    """The deal behind a new order, when the actor may see it (its owner, executives and admins)."""
    deal = session.get(Deal, deal_id)
    if deal is None or not (actor.reads_everything or deal.owner_id == actor.id):
        raise NotFound(gettext("No such deal."))
    return DealTarget(id=deal.id, title=deal.title, amount=deal.amount, stage=deal.stage,
                      customer_id=deal.customer_id)


@dataclass(frozen=True)
class OrderQuery:
    """A filtered view of the order list. Values are already validated; dates are inclusive UTC days."""

    ordered_from: date | None = None
    ordered_to: date | None = None
    status: OrderStatus | None = None
    category: str | None = None
    customer_id: int | None = None
    customer_search: str = ""
    page: int = 1


@dataclass(frozen=True)
class OrderRow:
    id: int
    ordered_at: datetime
    customer_id: int
    customer_name: str
    status: str
    channel: str
    total_amount: float


@dataclass(frozen=True)
class OrderPage:
    rows: list[OrderRow]
    total: int
    amount: float
    page: int
    pages: int


def matching_orders(statement, actor: Actor, query: OrderQuery):
    """`statement` over Order narrowed to the orders the actor may read and `query`'s filters (the list and the
    REST API share it)."""
    statement = statement.join(Customer, Customer.id == Order.customer_id)
    if not actor.reads_everything:
        statement = statement.where(Customer.owner_id == actor.id)
    if query.ordered_from is not None:
        statement = statement.where(Order.ordered_at >= datetime.combine(query.ordered_from, time(), tzinfo=UTC))
    if query.ordered_to is not None:
        statement = statement.where(
            Order.ordered_at < datetime.combine(query.ordered_to + timedelta(days=1), time(), tzinfo=UTC))
    if query.status is not None:
        statement = statement.where(Order.status == query.status)
    if query.category:
        in_category = (select(OrderLine.order_id).join(Product, Product.id == OrderLine.product_id)
                       .where(Product.category == query.category))
        statement = statement.where(Order.id.in_(in_category))
    if query.customer_id is not None:
        statement = statement.where(Order.customer_id == query.customer_id)
    if query.customer_search:
        statement = statement.where(name_or_company_matches(query.customer_search))
    return statement


def search_orders(*, session: Session, actor: Actor, query: OrderQuery) -> OrderPage:
    """One page of the orders the actor may see that match `query`, newest first, with the count and the
    sum of total_amount over every matching order (all statuses, as filtered)."""
    count, amount = session.exec(
        matching_orders(select(func.count(), func.coalesce(func.sum(Order.total_amount), 0)).select_from(Order),
                  actor, query)
    ).one()
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    rows = session.exec(
        matching_orders(select(Order, Customer.name).select_from(Order), actor, query)
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return OrderPage(
        rows=[OrderRow(id=o.id, ordered_at=o.ordered_at, customer_id=o.customer_id, customer_name=name,
                       status=o.status, channel=o.channel, total_amount=o.total_amount) for o, name in rows],
        total=count, amount=round(float(amount), 2), page=page, pages=pages,
    )


# --- writing ---------------------------------------------------------------------------------

_AUDITED = ("customer_id", "status", "channel", "ordered_at", "total_amount")


def _require_writer(actor: Actor) -> None:
    if not actor.writes_records:
        raise PermissionDenied(gettext("Executives and marketers read orders; sales reps and admins write them."))


def create_order(
    *, session: Session, actor: Actor, customer_id: int, lines: list[OrderLineDraft], channel: SalesChannel,
    status: OrderStatus = OrderStatus.pending, ordered_at: datetime, deal_id: int | None = None,
) -> Order:
    """Record an order with its lines for a customer the actor may write; the total is computed from the lines.

    A deal id (the won deal the order fulfils) must be one the actor may see; the order keeps it (`deal_id`).
    """
    _require_writer(actor)
    customer = customer_for(session=session, actor=actor, customer_id=customer_id)
    if not 1 <= len(lines) <= MAX_LINES:
        raise ValueError(gettext("An order has 1 to {limit} lines.", limit=MAX_LINES))
    if status not in NEW_ORDER_STATUSES:
        raise ValueError(gettext("A new order is pending, paid or shipped."))
    if deal_id is not None:
        deal_target(session=session, actor=actor, deal_id=deal_id)
    product_ids = {line.product_id for line in lines}
    known = set(session.exec(select(Product.id).where(Product.id.in_(product_ids))))
    if known != product_ids:
        raise NotFound(gettext("No such product."))
    totals = order_totals(line.values() for line in lines)
    order = Order(customer_id=customer.id, status=status, channel=channel, ordered_at=ordered_at,
                  total_amount=totals.total_amount, deal_id=deal_id)
    session.add(order)
    session.flush()
    session.add_all([
        OrderLine(order_id=order.id, product_id=line.product_id, quantity=line.quantity, unit_price=line.unit_price,
                  discount=line.values().discount)
        for line in lines
    ])
    record_change(session=session, actor_id=actor.id, entity="order", entity_id=order.id, action="create",
                  new=snapshot(order, _AUDITED) | {"lines": len(lines), "deal_id": deal_id})
    session.flush()
    webhooks.orders_created(session=session, order_ids=[order.id])
    return order


def _order_for(session: Session, actor: Actor, order_id: Any, lock: bool = False) -> Order:
    """The order when the actor may read it (`customer_for`'s rule); `lock` holds it for a change."""
    order = None
    if isinstance(order_id, int) and not isinstance(order_id, bool) and 0 < order_id < 2**63:
        statement = select(Order).where(Order.id == order_id)
        order = session.exec(statement.with_for_update() if lock else statement).first()
    if order is None:
        raise NotFound(gettext("No such order."))
    customer_for(session=session, actor=actor, customer_id=order.customer_id)
    return order


def set_order_status(*, session: Session, actor: Actor, order_id: int, status: OrderStatus) -> Order:
    """Move an order to another status (e.g. pending -> paid -> shipped, or cancelled/refunded)."""
    _require_writer(actor)
    order = _order_for(session, actor, order_id)
    old = snapshot(order, ("status",))
    order.status = status
    session.add(order)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="order", entity_id=order.id, action="update",
                  old=old, new=snapshot(order, ("status",)))
    return order


# --- one order's page ------------------------------------------------------------------------

# Which statuses an order may be cancelled or refunded from: cancelling undoes an order not yet shipped,
# refunding gives back money that was taken.
CLOSING_FROM: dict[OrderStatus, tuple[OrderStatus, ...]] = {
    OrderStatus.cancelled: (OrderStatus.pending, OrderStatus.paid),
    OrderStatus.refunded: (OrderStatus.paid, OrderStatus.shipped),
}
MAX_REASON = 200


class InvalidOrderChange(ValueError):
    """A change the rules refuse (not pending, no reason); the message is safe to show."""


@dataclass(frozen=True)
class OrderLineRow:
    product_id: int
    product_name: str
    quantity: int
    unit_price: float
    discount: float  # a fraction: 0.1 is 10 %
    net_amount: float


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    who: str | None
    from_status: str | None  # None when the order was created
    to_status: str
    reason: str | None


@dataclass(frozen=True)
class OrderFile:
    order: Order
    customer_name: str
    lines: list[OrderLineRow]
    total_amount: float
    history: list[StatusChange]
    # The deal the order was created from, when the actor may read it (its owner, executives and admins).
    deal_title: str | None = None


def order_file(*, session: Session, actor: Actor, order_id: Any) -> OrderFile:
    """An order the actor may read (its customer's owner, executives, admins): its lines with their net amounts,
    the total as the README's rule gives it (each line rounded, then added), and its status history."""
    order = _order_for(session, actor, order_id)
    rows = session.exec(select(OrderLine, Product.name).join(Product, Product.id == OrderLine.product_id)
                        .where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
    totals = order_totals(OrderLineValues(line.quantity, line.unit_price, line.discount) for line, _ in rows)
    lines = [OrderLineRow(product_id=line.product_id, product_name=name, quantity=line.quantity,
                          unit_price=line.unit_price, discount=line.discount, net_amount=amount)
             for (line, name), amount in zip(rows, totals.line_amounts)]
    customer_name = session.exec(select(Customer.name).where(Customer.id == order.customer_id)).one()
    deal = session.get(Deal, order.deal_id) if order.deal_id is not None else None
    readable = deal is not None and (actor.reads_everything or deal.owner_id == actor.id)
    return OrderFile(order=order, customer_name=customer_name, lines=lines, total_amount=totals.total_amount,
                     history=_status_history(session, order.id), deal_title=deal.title if readable else None)


def _status_history(session: Session, order_id: int) -> list[StatusChange]:
    """The order's creation and each status change from its audit rows, oldest first."""
    rows = session.exec(select(AuditLog, User.full_name).outerjoin(User, User.id == AuditLog.actor_id)
                        .where(AuditLog.entity == "order", AuditLog.entity_id == order_id)
                        .order_by(AuditLog.at, AuditLog.id)).all()
    history = []
    for row, who in rows:
        new, old = row.new_values or {}, row.old_values or {}
        if "status" in new:
            history.append(StatusChange(at=row.at, who=who, from_status=None if row.action == "create" else
                                        old.get("status"), to_status=new["status"], reason=new.get("reason")))
    return history


def replace_order_lines(*, session: Session, actor: Actor, order_id: int, lines: list[OrderLineDraft]) -> Order:
    """Put `lines` in place of a pending order's lines and recompute its total, in the caller's one transaction,
    with one audit row holding the old and new lines. Orders already paid, shipped or closed keep their lines."""
    _require_writer(actor)
    order = _order_for(session, actor, order_id, lock=True)
    if order.status != OrderStatus.pending:
        raise InvalidOrderChange(gettext("Only a pending order's lines can be changed."))
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidOrderChange(gettext("An order has 1 to {limit} lines.", limit=MAX_LINES))
    product_ids = {line.product_id for line in lines}
    if set(session.exec(select(Product.id).where(Product.id.in_(product_ids)))) != product_ids:
        raise NotFound(gettext("No such product."))
    old_lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
    described = lambda rows: [{"product_id": r.product_id, "quantity": r.quantity, "unit_price": r.unit_price,  # noqa: E731
                               "discount": r.discount} for r in rows]
    old = {"total_amount": order.total_amount, "lines": described(old_lines)}
    for line in old_lines:
        session.delete(line)
    new_lines = [OrderLine(order_id=order.id, product_id=line.product_id, quantity=line.quantity,
                           unit_price=line.unit_price, discount=line.values().discount) for line in lines]
    session.add_all(new_lines)
    order.total_amount = order_totals(line.values() for line in lines).total_amount
    session.add(order)
    record_change(session=session, actor_id=actor.id, entity="order", entity_id=order.id, action="update",
                  old=old, new={"total_amount": order.total_amount, "lines": described(new_lines)})
    session.flush()
    return order


def close_order(*, session: Session, actor: Actor, order_id: int, status: OrderStatus, reason: Any) -> Order:
    """Cancel or refund an order, with the reason (1-200 characters) kept in its audit row."""
    if status not in CLOSING_FROM:
        raise InvalidOrderChange(gettext("An order is closed by cancelling or refunding it."))
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidOrderChange(gettext("Say why the order is cancelled.") if status == OrderStatus.cancelled
                                 else gettext("Say why the order is refunded."))
    if len(text) > MAX_REASON or unstorable(text):
        raise InvalidOrderChange(gettext("Keep the reason to {limit} characters of plain text.", limit=MAX_REASON))
    _require_writer(actor)
    order = _order_for(session, actor, order_id, lock=True)
    if order.status not in CLOSING_FROM[status]:
        refused = (N_("Only a pending or paid order can be cancelled; this one is {status}.")
                   if status == OrderStatus.cancelled else
                   N_("Only a paid or shipped order can be refunded; this one is {status}."))
        raise InvalidOrderChange(gettext(refused, status=say(str(order.status))))
    old = {"status": str(order.status)}
    order.status = status
    session.add(order)
    record_change(session=session, actor_id=actor.id, entity="order", entity_id=order.id, action="update",
                  old=old, new={"status": status.value, "reason": text})
    session.flush()
    return order
