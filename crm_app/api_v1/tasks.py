"""/api/v1/tasks: calls, emails, meetings and to-dos with a due time (repositories/tasks.py). Due days and times
are on the token's user's clock (their time zone, UTC until chosen); `due_at` answers in UTC."""

from __future__ import annotations

from datetime import date, time
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
from crm_app.data.models import Activity, ActivityKind, utcnow
from crm_app.data.repositories import tasks
from crm_app.data.repositories.api_tokens import TokenCaller
from crm_app.due_times import wall_clock

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=COMMON)
PATH = "/api/v1/tasks"
SORTS = {"id": Activity.id, "due_at": Activity.due_at, "updated_at": Activity.updated_at}
TaskSort = Literal[sort_choices(*SORTS)]  # type: ignore[valid-type]
DRAFT_FIELDS = ("subject", "kind", "due_on", "due_time", "notes")


class TaskOut(Record):
    id: int
    kind: ActivityKind
    subject: str
    notes: str | None
    customer_id: int | None
    deal_id: int | None
    owner_id: int
    due_at: UtcDateTime
    done: bool
    done_at: UtcDateTime | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class TaskCreate(BaseModel):
    """A task on a customer or a deal the user owns (admins: any); `due_on`/`due_time` on the user's clock."""

    subject: str
    kind: ActivityKind = ActivityKind.task
    due_on: date
    due_time: str | None = Field(default=None, description="HH:MM on the user's clock; 09:00 when left out.")
    notes: str | None = None
    customer_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    deal_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


class TaskPatch(BaseModel):
    """Only the fields sent change. `done` marks it done now (or open again); `owner_id` hands it over (admins)."""

    subject: str | None = None
    kind: ActivityKind | None = None
    due_on: date | None = None
    due_time: str | None = None
    notes: str | None = None
    done: bool | None = None
    owner_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


def _draft(values: dict) -> tasks.TaskDraft:
    return tasks.TaskDraft.model_validate({**values, "due_on": str(values["due_on"]) if values.get("due_on") else None})


def _read(actor, task_id: int):
    return lambda session: TaskOut.model_validate(tasks.readable_task(session=session, actor=actor, task_id=task_id))


def _lock(task_id: int):
    return lambda session: session.exec(select(Activity.id).where(Activity.id == task_id).with_for_update()).first()


@router.get("", response_model=Page[TaskOut], summary="List tasks")
def list_tasks(caller: TokenCaller = Depends(token_caller), limit: Limit = DEFAULT, cursor: Cursor = None,
               sort: TaskSort = "due_at", done: bool | None = None, customer_id: FilterId = None,
               deal_id: FilterId = None, owner_id: FilterId = None) -> Page[TaskOut]:
    statement = tasks.visible_tasks(select(Activity), caller.actor)
    for column, value in ((Activity.done, done), (Activity.customer_id, customer_id), (Activity.deal_id, deal_id),
                          (Activity.owner_id, owner_id)):
        if value is not None:
            statement = statement.where(column == value)
    with domain_errors(), read_session() as session:
        return page_of(session, statement, sort=Sort.of(sort, SORTS, Activity.id), cursor=cursor, limit=limit,
                       out=TaskOut)


@router.get("/{task_id}", response_model=TaskOut, summary="Read a task", responses={200: {"headers": ETAG_HEADER}})
def get_task(task_id: RecordId, caller: TokenCaller = Depends(token_caller)):
    return read_record(_read(caller.actor, task_id))


@router.post("", status_code=201, response_model=TaskOut, summary="Add a task",
             responses={201: {"headers": ETAG_HEADER | LOCATION_HEADER}, **IDEMPOTENT})
def create_task(body: TaskCreate, caller: TokenCaller = Depends(token_caller),
                idempotency_key: str | None = IDEMPOTENCY_KEY):
    def create(session: Session) -> TaskOut:
        draft = _draft(body.model_dump(include=set(DRAFT_FIELDS)))
        return TaskOut.model_validate(tasks.create_task(session=session, actor=caller.actor, draft=draft,
                                                        customer_id=body.customer_id, deal_id=body.deal_id))

    return create_record(caller=caller, idempotency_key=idempotency_key, path=PATH, sent=body.model_dump(mode="json"),
                         create=create, location=lambda record: f"{PATH}/{record.id}")


@router.patch("/{task_id}", response_model=TaskOut, summary="Change, finish or hand over a task",
              responses={200: {"headers": ETAG_HEADER}, **CONDITIONAL})
def patch_task(task_id: RecordId, body: TaskPatch, caller: TokenCaller = Depends(token_caller),
               if_match: str | None = IF_MATCH):
    sent = body.model_dump(exclude_unset=True)

    def write(session: Session) -> None:
        actor = caller.actor
        if any(name in sent for name in DRAFT_FIELDS):
            current = tasks.readable_task(session=session, actor=actor, task_id=task_id)
            due = wall_clock(current.due_at, actor.time_zone)
            values = {"subject": current.subject, "kind": current.kind, "notes": current.notes,
                      "due_on": due.date(), "due_time": due.strftime("%H:%M")}
            tasks.update_task(session=session, actor=actor, task_id=task_id,
                              draft=_draft(values | {k: v for k, v in sent.items() if k in DRAFT_FIELDS}))
        if sent.get("done") is not None:
            tasks.set_task_done(session=session, actor=actor, task_id=task_id, done=sent["done"], now=utcnow())
        if "owner_id" in sent:
            tasks.reassign_task(session=session, actor=actor, task_id=task_id, owner_id=sent["owner_id"])
        if not sent:
            tasks.readable_task(session=session, actor=actor, task_id=task_id)

    return update_record(if_match=if_match, read=_read(caller.actor, task_id), lock=_lock(task_id), write=write)


@router.delete("/{task_id}", status_code=204, summary="Delete a task", responses=CONDITIONAL)
def delete_task(task_id: RecordId, caller: TokenCaller = Depends(token_caller), if_match: str | None = IF_MATCH):
    return delete_record(if_match=if_match, read=_read(caller.actor, task_id), lock=_lock(task_id),
                         write=lambda session: tasks.delete_task(session=session, actor=caller.actor, task_id=task_id))
