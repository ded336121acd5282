"""/api/v1/feedback: survey answers as the inbox shows them (repositories/feedback.py): a rep reads those of their
customers and those assigned to them, and moves them through new, in progress, resolved. Answers arrive through
the survey (POST /api/feedback), not through this route."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from crm_app.api_v1.auth import token_caller
from crm_app.api_v1.common import DEFAULT, Cursor, FilterId, Limit, Record, RecordId, UtcDateTime
from crm_app.api_v1.paging import Page, Sort, page_of, sort_choices
from crm_app.api_v1.problems import COMMON, CONDITIONAL, domain_errors
from crm_app.api_v1.records import ETAG_HEADER, IF_MATCH, read_record, update_record
from crm_app.data.db import read_session
from crm_app.data.models import Customer, Feedback, FeedbackChannel, FeedbackStatus
from crm_app.data.repositories import feedback
from crm_app.data.repositories.api_tokens import TokenCaller

router = APIRouter(prefix="/feedback", tags=["feedback"], responses=COMMON)
SORTS = {"id": Feedback.id, "submitted_at": Feedback.submitted_at}
FeedbackSort = Literal[sort_choices(*SORTS)]  # type: ignore[valid-type]


class FeedbackOut(Record):
    id: int
    csat: int | None
    nps: int | None
    comment: str | None
    channel: FeedbackChannel
    customer_id: int | None
    status: FeedbackStatus
    submitted_at: UtcDateTime
    sentiment: float | None
    topic: str | None
    assignee_id: int | None


class FeedbackPatch(BaseModel):
    status: FeedbackStatus | None = None
    assignee_id: int | None = Field(default=None, ge=1, le=2**63 - 1, description="An active staff member.")


def _read(actor, feedback_id: int):
    return lambda session: FeedbackOut.model_validate(feedback.readable_feedback(session, actor, feedback_id))


@router.get("", response_model=Page[FeedbackOut], summary="List survey answers")
def list_feedback(caller: TokenCaller = Depends(token_caller), limit: Limit = DEFAULT, cursor: Cursor = None,
                  sort: FeedbackSort = "-submitted_at", status: FeedbackStatus | None = None,
                  customer_id: FilterId = None) -> Page[FeedbackOut]:
    statement = (select(Feedback).outerjoin(Customer, Customer.id == Feedback.customer_id)
                 .where(feedback.visible_to(caller.actor)))
    if status is not None:
        statement = statement.where(Feedback.status == status)
    if customer_id is not None:
        statement = statement.where(Feedback.customer_id == customer_id)
    with domain_errors(), read_session() as session:
        return page_of(session, statement, sort=Sort.of(sort, SORTS, Feedback.id), cursor=cursor, limit=limit,
                       out=FeedbackOut)


@router.get("/{feedback_id}", response_model=FeedbackOut, summary="Read a survey answer",
            responses={200: {"headers": ETAG_HEADER}})
def get_feedback(feedback_id: RecordId, caller: TokenCaller = Depends(token_caller)):
    return read_record(_read(caller.actor, feedback_id))


@router.patch("/{feedback_id}", response_model=FeedbackOut, summary="Move an answer along or assign it",
              responses={200: {"headers": ETAG_HEADER}, **CONDITIONAL})
def patch_feedback(feedback_id: RecordId, body: FeedbackPatch, caller: TokenCaller = Depends(token_caller),
                   if_match: str | None = IF_MATCH):
    def write(session: Session) -> None:
        feedback.update_feedback(session=session, actor=caller.actor, feedback_id=feedback_id, status=body.status,
                                 assignee_id=body.assignee_id)

    return update_record(if_match=if_match, read=_read(caller.actor, feedback_id), write=write,
                         lock=lambda session: session.exec(select(Feedback.id).where(Feedback.id == feedback_id)
                                                           .with_for_update()).first())
