"""/api/v1/activities: the notes, calls, emails and meetings reps log on a customer's timeline
(repositories/timeline.py). Anyone who may read the customer reads them; only their author changes them."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from crm_app.api_v1.auth import token_caller
from crm_app.api_v1.common import DEFAULT, Cursor, FilterId, Limit, Record, RecordId, UtcDateTime
from crm_app.api_v1.paging import Page, Sort, page_of, sort_choices
from crm_app.api_v1.problems import COMMON, CONDITIONAL, IDEMPOTENT, domain_errors
from crm_app.api_v1.records import (ETAG_HEADER, IDEMPOTENCY_KEY, IF_MATCH, LOCATION_HEADER, create_record,
                                    delete_record, read_record, update_record)
from crm_app.data.db import read_session
from crm_app.data.models import LoggedActivity, utcnow
from crm_app.data.repositories import timeline
from crm_app.data.repositories.api_tokens import TokenCaller
from crm_app.domain import LoggedKind

router = APIRouter(prefix="/activities", tags=["activities"], responses=COMMON)
PATH = "/api/v1/activities"
SORTS = {"id": LoggedActivity.id, "occurred_at": LoggedActivity.occurred_at}
ActivitySort = Literal[sort_choices(*SORTS)]  # type: ignore[valid-type]
DRAFT_FIELDS = ("kind", "body", "outcome", "duration_minutes")


class ActivityOut(Record):
    id: int
    kind: LoggedKind
    body: str
    outcome: str | None
    duration_minutes: int | None
    customer_id: int
    deal_id: int | None
    author_id: int
    occurred_at: UtcDateTime
    edited_at: UtcDateTime | None


class ActivityCreate(BaseModel):
    """What happened, logged now on a customer, or on a deal (and so its customer). Outcome and duration belong to
    calls and meetings."""

    kind: LoggedKind
    body: str
    outcome: str | None = None
    duration_minutes: int | None = None
    customer_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    deal_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


class ActivityPatch(BaseModel):
    kind: LoggedKind | None = None
    body: str | None = None
    outcome: str | None = None
    duration_minutes: int | None = None


def _read(actor, activity_id: int):
    return lambda session: ActivityOut.model_validate(
        timeline.readable_entry(session=session, actor=actor, activity_id=activity_id))


def _lock(activity_id: int):
    return lambda session: session.exec(select(LoggedActivity.id).where(LoggedActivity.id == activity_id)
                                        .with_for_update()).first()


@router.get("", response_model=Page[ActivityOut], summary="List logged activities")
def list_activities(caller: TokenCaller = Depends(token_caller), limit: Limit = DEFAULT, cursor: Cursor = None,
                    sort: ActivitySort = "-occurred_at", kind: LoggedKind | None = None,
                    customer_id: FilterId = None, deal_id: FilterId = None) -> Page[ActivityOut]:
    statement = timeline.visible_entries(select(LoggedActivity), caller.actor)
    for column, value in ((LoggedActivity.kind, kind), (LoggedActivity.customer_id, customer_id),
                          (LoggedActivity.deal_id, deal_id)):
        if value is not None:
            statement = statement.where(column == value)
    with domain_errors(), read_session() as session:
        return page_of(session, statement, sort=Sort.of(sort, SORTS, LoggedActivity.id), cursor=cursor, limit=limit,
                       out=ActivityOut)


@router.get("/{activity_id}", response_model=ActivityOut, summary="Read a logged activity",
            responses={200: {"headers": ETAG_HEADER}})
def get_activity(activity_id: RecordId, caller: TokenCaller = Depends(token_caller)):
    return read_record(_read(caller.actor, activity_id))


@router.post("", status_code=201, response_model=ActivityOut, summary="Log a note, call, email or meeting",
             responses={201: {"headers": ETAG_HEADER | LOCATION_HEADER}, **IDEMPOTENT})
def create_activity(body: ActivityCreate, caller: TokenCaller = Depends(token_caller),
                    idempotency_key: str | None = IDEMPOTENCY_KEY):
    def create(session: Session) -> ActivityOut:
        draft = timeline.ActivityDraft.model_validate(body.model_dump(include=set(DRAFT_FIELDS)))
        return ActivityOut.model_validate(timeline.log_activity(
            session=session, actor=caller.actor, draft=draft, now=utcnow(), customer_id=body.customer_id,
            deal_id=body.deal_id))

    return create_record(caller=caller, idempotency_key=idempotency_key, path=PATH, sent=body.model_dump(mode="json"),
                         create=create, location=lambda record: f"{PATH}/{record.id}")


@router.patch("/{activity_id}", response_model=ActivityOut, summary="Rewrite one's own logged activity",
              responses={200: {"headers": ETAG_HEADER}, **CONDITIONAL})
def patch_activity(activity_id: RecordId, body: ActivityPatch, caller: TokenCaller = Depends(token_caller),
                   if_match: str | None = IF_MATCH):
    def write(session: Session) -> None:
        current = timeline.readable_entry(session=session, actor=caller.actor, activity_id=activity_id)
        draft = timeline.ActivityDraft.model_validate(
            {name: getattr(current, name) for name in DRAFT_FIELDS} | body.model_dump(exclude_unset=True))
        timeline.edit_activity(session=session, actor=caller.actor, activity_id=activity_id, draft=draft,
                               now=utcnow())

    return update_record(if_match=if_match, read=_read(caller.actor, activity_id), lock=_lock(activity_id),
                         write=write)


@router.delete("/{activity_id}", status_code=204, summary="Delete one's own logged activity", responses=CONDITIONAL)
def delete_activity(activity_id: RecordId, caller: TokenCaller = Depends(token_caller),
                    if_match: str | None = IF_MATCH):
    return delete_record(if_match=if_match, read=_read(caller.actor, activity_id), lock=_lock(activity_id),
                         write=lambda session: timeline.delete_activity(session=session, actor=caller.actor,
                                                                         activity_id=activity_id))
