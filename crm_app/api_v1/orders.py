"""/api/v1/orders: orders with their lines, as repositories/orders.py lets the token's user read and write them.
Totals are always computed from the lines; a pending order's lines may be replaced, an order cancelled or refunded
with a reason."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session, select

from crm_app.api_v1.auth import token_caller
from crm_app.api_v1.common import DEFAULT, Cursor, FilterId, Limit, Record, RecordId, UtcDateTime
from crm_app.api_v1.paging import Page, Sort, page_of, sort_choices
from crm_app.api_v1.problems import COMMON, CONDITIONAL, IDEMPOTENT, ApiProblem, domain_errors
from crm_app.api_v1.records import (ETAG_HEADER, IDEMPOTENCY_KEY, IF_MATCH, LOCATION_HEADER, create_record,
                                    read_record, update_record)
from crm_app.data.db import read_session
from crm_app.data.models import Order, utcnow
from crm_app.data.repositories import orders
from crm_app.data.repositories.api_tokens import TokenCaller
from crm_app.data.validation import field_errors
from crm_app.domain import OrderStatus, SalesChannel

router = APIRouter(prefix="/orders", tags=["orders"], responses=COMMON)
PATH = "/api/v1/orders"
SORTS = {"id": Order.id, "ordered_at": Order.ordered_at, "updated_at": Order.updated_at}
OrderSort = Literal[sort_choices(*SORTS)]  # type: ignore[valid-type]


class OrderSummary(Record):
    id: int
    customer_id: int
    deal_id: int | None
    status: OrderStatus
    channel: SalesChannel
    ordered_at: UtcDateTime
    total_amount: float
    created_at: UtcDateTime
    updated_at: UtcDateTime


class LineOut(BaseModel):
    product_id: int
    product_name: str
    quantity: int
    unit_price: float
    discount: float = Field(description="A fraction: 0.1 is 10 %.")
    net_amount: float


class OrderOut(OrderSummary):
    lines: list[LineOut]


class LineIn(BaseModel):
    product_id: int
    quantity: int
    unit_price: float
    discount_percent: float = 0.0


class OrderCreate(BaseModel):
    customer_id: int = Field(ge=1, le=2**63 - 1)
    channel: SalesChannel
    status: Literal["pending", "paid", "shipped"] = "pending"
    ordered_at: datetime | None = Field(default=None, description="When it was ordered; now when left out.")
    deal_id: int | None = Field(default=None, ge=1, le=2**63 - 1, description="The won deal it fulfils.")
    lines: list[LineIn] = Field(min_length=1, max_length=orders.MAX_LINES)


class OrderPatch(BaseModel):
    """`lines` replaces a pending order's lines; `status` moves it on (cancelled and refunded need `reason`)."""

    status: OrderStatus | None = None
    reason: str | None = Field(default=None, max_length=400)
    lines: list[LineIn] | None = Field(default=None, min_length=1, max_length=orders.MAX_LINES)


def _drafts(lines: list[LineIn]) -> list[orders.OrderLineDraft]:
    drafts, errors = [], {}
    for index, line in enumerate(lines):
        try:
            drafts.append(orders.OrderLineDraft.model_validate(line.model_dump()))
        except ValidationError as error:
            errors |= {f"lines.{index}.{field}": message for field, message in field_errors(error).items()}
    if errors:
        raise ApiProblem(422, "invalid", "Some lines need fixing; see `errors`.", errors=errors)
    return drafts


def _read(actor, order_id: int):
    def read(session: Session) -> OrderOut:
        file = orders.order_file(session=session, actor=actor, order_id=order_id)
        return OrderOut.model_validate(OrderSummary.model_validate(file.order).model_dump()
                                       | {"lines": [LineOut.model_validate(line, from_attributes=True)
                                                    for line in file.lines]})

    return read


@router.get("", response_model=Page[OrderSummary], summary="List orders (without their lines)")
def list_orders(caller: TokenCaller = Depends(token_caller), limit: Limit = DEFAULT, cursor: Cursor = None,
                sort: OrderSort = "-ordered_at", customer_id: FilterId = None, status: OrderStatus | None = None,
                ordered_from: date | None = None, ordered_to: date | None = None) -> Page[OrderSummary]:
    query = orders.OrderQuery(customer_id=customer_id, status=status, ordered_from=ordered_from,
                              ordered_to=ordered_to)
    with domain_errors(), read_session() as session:
        statement = orders.matching_orders(select(Order).select_from(Order), caller.actor, query)
        return page_of(session, statement, sort=Sort.of(sort, SORTS, Order.id), cursor=cursor, limit=limit,
                       out=OrderSummary)


@router.get("/{order_id}", response_model=OrderOut, summary="Read an order with its lines",
            responses={200: {"headers": ETAG_HEADER}})
def get_order(order_id: RecordId, caller: TokenCaller = Depends(token_caller)):
    return read_record(_read(caller.actor, order_id))


@router.post("", status_code=201, response_model=OrderOut, summary="Record an order with its lines",
             responses={201: {"headers": ETAG_HEADER | LOCATION_HEADER}, **IDEMPOTENT})
def create_order(body: OrderCreate, caller: TokenCaller = Depends(token_caller),
                 idempotency_key: str | None = IDEMPOTENCY_KEY):
    def create(session: Session) -> OrderOut:
        order = orders.create_order(session=session, actor=caller.actor, customer_id=body.customer_id,
                                    lines=_drafts(body.lines), channel=body.channel, status=OrderStatus(body.status),
                                    ordered_at=body.ordered_at or utcnow(), deal_id=body.deal_id)
        session.flush()
        return _read(caller.actor, order.id)(session)

    return create_record(caller=caller, idempotency_key=idempotency_key, path=PATH, sent=body.model_dump(mode="json"),
                         create=create, location=lambda record: f"{PATH}/{record.id}")


@router.patch("/{order_id}", response_model=OrderOut, summary="Replace a pending order's lines or change its status",
              responses={200: {"headers": ETAG_HEADER}, **CONDITIONAL})
def patch_order(order_id: RecordId, body: OrderPatch, caller: TokenCaller = Depends(token_caller),
                if_match: str | None = IF_MATCH):
    def write(session: Session) -> None:
        actor = caller.actor
        if body.lines is not None:
            orders.replace_order_lines(session=session, actor=actor, order_id=order_id, lines=_drafts(body.lines))
        if body.status in orders.CLOSING_FROM:
            orders.close_order(session=session, actor=actor, order_id=order_id, status=body.status, reason=body.reason)
        elif body.status is not None:
            orders.set_order_status(session=session, actor=actor, order_id=order_id, status=body.status)
        if body.lines is None and body.status is None:
            orders.order_file(session=session, actor=actor, order_id=order_id)

    return update_record(if_match=if_match, read=_read(caller.actor, order_id), write=write,
                         lock=lambda session: session.exec(select(Order.id).where(Order.id == order_id)
                                                           .with_for_update()).first())
