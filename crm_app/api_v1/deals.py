"""/api/v1/deals: the pipeline as repositories/deals.py lets the token's user read and change it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from crm_app.api_v1.auth import token_caller
from crm_app.api_v1.common import DEFAULT, Cursor, FilterId, Limit, Record, RecordId, UtcDateTime
from crm_app.api_v1.paging import Page, Sort, page_of, sort_choices
from crm_app.api_v1.problems import COMMON, CONDITIONAL, IDEMPOTENT, domain_errors
from crm_app.api_v1.records import (ETAG_HEADER, IDEMPOTENCY_KEY, IF_MATCH, LOCATION_HEADER, create_record,
                                    read_record, update_record)
from crm_app.data.db import read_session
from crm_app.data.models import Deal
from crm_app.data.repositories import deals
from crm_app.data.repositories.api_tokens import TokenCaller
from crm_app.domain import DealStage

router = APIRouter(prefix="/deals", tags=["deals"], responses=COMMON)
PATH = "/api/v1/deals"
SORTS = {"id": Deal.id, "amount": Deal.amount, "created_at": Deal.created_at, "updated_at": Deal.updated_at}
DealSort = Literal[sort_choices(*SORTS)]  # type: ignore[valid-type]


class DealOut(Record):
    id: int
    title: str
    customer_id: int
    owner_id: int
    stage: DealStage
    amount: float
    probability: float
    expected_close_date: date | None
    closed_at: UtcDateTime | None
    lost_reason: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class DealPatch(BaseModel):
    """Only the fields sent change. A new `stage` sets its default probability (Won and Lost close the deal; Lost
    needs `lost_reason`); `owner_id` hands the deal over (admins only)."""

    title: str | None = None
    amount: float | None = None
    expected_close_date: date | None = None
    stage: DealStage | None = None
    lost_reason: str | None = Field(default=None, max_length=400)
    owner_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


def _read(actor, deal_id: int):
    return lambda session: DealOut.model_validate(deals.readable_deal(session=session, actor=actor, deal_id=deal_id))


@router.get("", response_model=Page[DealOut], summary="List deals")
def list_deals(caller: TokenCaller = Depends(token_caller), limit: Limit = DEFAULT, cursor: Cursor = None,
               sort: DealSort = "id", stage: DealStage | None = None, customer_id: FilterId = None,
               owner_id: FilterId = None) -> Page[DealOut]:
    statement = deals.visible_deals(select(Deal), caller.actor, deals.BoardFilter(owner_id=owner_id))
    if not caller.actor.reads_everything and owner_id is not None and owner_id != caller.actor.id:
        statement = statement.where(Deal.id.is_(None))  # a rep's own deals only: another owner's are none of theirs
    if stage is not None:
        statement = statement.where(Deal.stage == stage)
    if customer_id is not None:
        statement = statement.where(Deal.customer_id == customer_id)
    with domain_errors(), read_session() as session:
        return page_of(session, statement, sort=Sort.of(sort, SORTS, Deal.id), cursor=cursor, limit=limit, out=DealOut)


@router.get("/{deal_id}", response_model=DealOut, summary="Read a deal", responses={200: {"headers": ETAG_HEADER}})
def get_deal(deal_id: RecordId, caller: TokenCaller = Depends(token_caller)):
    return read_record(_read(caller.actor, deal_id))


@router.post("", status_code=201, response_model=DealOut, summary="Open a deal (a Lead)",
             responses={201: {"headers": ETAG_HEADER | LOCATION_HEADER}, **IDEMPOTENT})
def create_deal(body: deals.DealCreate, caller: TokenCaller = Depends(token_caller),
                idempotency_key: str | None = IDEMPOTENCY_KEY):
    def create(session: Session) -> DealOut:
        return DealOut.model_validate(deals.create_deal(session=session, actor=caller.actor, deal_create=body))

    return create_record(caller=caller, idempotency_key=idempotency_key, path=PATH, sent=body.model_dump(mode="json"),
                         create=create, location=lambda record: f"{PATH}/{record.id}")


@router.patch("/{deal_id}", response_model=DealOut, summary="Change a deal: details, stage or owner",
              responses={200: {"headers": ETAG_HEADER}, **CONDITIONAL})
def patch_deal(deal_id: RecordId, body: DealPatch, caller: TokenCaller = Depends(token_caller),
               if_match: str | None = IF_MATCH):
    sent = body.model_dump(exclude_unset=True)

    def write(session: Session) -> None:
        actor = caller.actor
        details = {name: sent[name] for name in deals.DETAIL_FIELDS if name in sent}
        if details:
            current = deals.changeable_deal(session=session, actor=actor, deal_id=deal_id)
            merged = deals.DealDetails.model_validate(
                {name: getattr(current, name) for name in deals.DETAIL_FIELDS} | details)
            deals.update_deal(session=session, actor=actor, deal_id=deal_id, details=merged)
        if "stage" in sent:
            deals.move_deal(session=session, actor=actor, deal_id=deal_id, stage=sent["stage"],
                            lost_reason=sent.get("lost_reason"))
        if "owner_id" in sent:
            deals.reassign_deal(session=session, actor=actor, deal_id=deal_id, owner_id=sent["owner_id"])
        if not sent:
            deals.changeable_deal(session=session, actor=actor, deal_id=deal_id)

    return update_record(if_match=if_match, read=_read(caller.actor, deal_id), write=write,
                         lock=lambda session: session.exec(select(Deal.id).where(Deal.id == deal_id).with_for_update()).first())
