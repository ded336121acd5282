"""Tasks: activities with a due date (calls, emails, meetings, to-dos), sorted into overdue, today and upcoming.

A sales rep sees and changes only their own tasks and creates them only on customers and deals they own;
executives read every task and change none; admins do everything, and alone hand a task to another user.
Due dates and times are typed on the user's own clock (`Actor.time_zone`) and stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from collections.abc import Mapping
from typing import Any

from pydantic import field_validator
from sqlalchemy import and_, case
from sqlmodel import Session, func, select

from crm_app.data.models import Activity, ActivityKind, Customer, Deal, User
from crm_app.data.permissions import RECORD_WRITERS, Actor, NotFound, PermissionDenied
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app.data.repositories.customers import customer_for
from crm_app.data.validation import UserInput
from crm_app.due_times import Reschedule, at_wall_clock, rescheduled_due
from crm_app.i18n import gettext

BUCKET_SIZE = 50
RECENTLY_DONE = timedelta(days=7)
EARLIEST_DUE, LATEST_DUE = date(2000, 1, 1), date(2100, 12, 31)


class TaskDraft(UserInput):
    """A task as typed: what, what kind, when (a day and time on the user's clock), optional notes."""

    subject: str
    kind: ActivityKind = ActivityKind.task
    due_on: date
    due_time: time = time(9, 0)
    notes: str | None = None

    @field_validator("subject", mode="before")
    @classmethod
    def _subject(cls, value: Any) -> str:
        text = value.strip() if isinstance(value, str) else ""
        if not 1 <= len(text) <= 200:
            raise ValueError(gettext("Write what is to be done, in 1 to 200 characters."))
        return text

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        if not isinstance(value, str) or value not in {kind.value for kind in ActivityKind}:
            raise ValueError(gettext("Choose call, email, meeting or task."))
        return value

    @field_validator("due_on", mode="before")
    @classmethod
    def _due_on(cls, value: Any) -> date:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None or not EARLIEST_DUE <= day <= LATEST_DUE:
            raise ValueError(gettext("Choose a due date."))
        return day

    @field_validator("due_time", mode="before")
    @classmethod
    def _due_time(cls, value: Any) -> time:
        if value is None or (isinstance(value, str) and not value.strip()):
            return time(9, 0)
        try:
            return time.fromisoformat(value) if isinstance(value, str) and len(value) <= 8 else _bad_time()
        except ValueError:
            return _bad_time()

    @field_validator("notes", mode="before")
    @classmethod
    def _notes(cls, value: Any) -> str | None:
        text = value.strip() if isinstance(value, str) else ""
        if len(text) > 4000:
            raise ValueError(gettext("Keep notes to 4,000 characters or fewer (they have {count}).",
                                     count=f"{len(text):,}"))
        return text or None

    def due_at_in(self, time_zone: str | None) -> datetime:
        """The UTC instant of the typed day and time on a clock in `time_zone` (unknown or None: UTC)."""
        return at_wall_clock(self.due_on, self.due_time.replace(tzinfo=None), time_zone)


def _bad_time() -> time:
    raise ValueError(gettext("Enter a time like 09:30, or leave it empty for 09:00."))


# --- the task board ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    id: int
    subject: str
    kind: str
    notes: str | None
    due_at: datetime
    done_at: datetime | None
    customer_id: int | None
    customer_name: str | None
    deal_id: int | None
    deal_title: str | None
    owner_name: str


@dataclass(frozen=True)
class TaskList:
    """The first rows of a bucket and how many tasks it holds in all."""

    rows: list[TaskRow]
    total: int
    # Which page of the bucket `rows` is (0 first); pages hold BUCKET_SIZE tasks.
    page: int = 0


@dataclass(frozen=True)
class TaskBoard:
    overdue: TaskList
    today: TaskList
    upcoming: TaskList
    recently_done: TaskList


def start_of_day(now: datetime) -> datetime:
    """Midnight of `now`'s day, in `now`'s time zone."""
    return datetime.combine(now.date(), time(), tzinfo=now.tzinfo)


def _rows(session: Session, statement, order, limit: int, offset: int = 0) -> list[TaskRow]:
    return [TaskRow(id=a.id, subject=a.subject, kind=a.kind, notes=a.notes, due_at=a.due_at, done_at=a.done_at,
                    customer_id=a.customer_id, customer_name=customer, deal_id=a.deal_id, deal_title=deal,
                    owner_name=owner)
            for a, customer, deal, owner in session.exec(statement.order_by(*order).offset(offset).limit(limit)).all()]


def task_board(
    *, session: Session, actor: Actor, now: datetime, owner_id: int | None = None, limit: int = BUCKET_SIZE,
    pages: Mapping[str, int] | None = None,
) -> TaskBoard:
    """The open tasks due before today (overdue, newest first), today and later (upcoming, soonest first), and
    those done in the last 7 days (latest first).

    "Today" is `now`'s calendar day in `now`'s time zone (pass `now` on the user's clock). A sales rep gets their
    own tasks; executives and admins everyone's, or one owner's when `owner_id` is given. `pages` names the page
    (0 first) of `limit` rows to return per bucket; the database skips and limits. Five statements: every
    bucket's size at once, then each bucket's page.
    """
    base = (
        select(Activity, Customer.name, Deal.title, User.full_name)
        .outerjoin(Customer, Customer.id == Activity.customer_id)
        .outerjoin(Deal, Deal.id == Activity.deal_id)
        .join(User, User.id == Activity.owner_id)
        .where(Activity.due_at.is_not(None))
    )
    if not actor.reads_everything:
        base = base.where(Activity.owner_id == actor.id)
    elif owner_id is not None:
        base = base.where(Activity.owner_id == owner_id)
    today, tomorrow = start_of_day(now), start_of_day(now) + timedelta(days=1)
    is_open, soonest = Activity.done.is_(False), (Activity.due_at, Activity.id)
    buckets = {  # name: (which tasks, in what order)
        "overdue": (and_(is_open, Activity.due_at < today), (Activity.due_at.desc(), Activity.id.desc())),
        "today": (and_(is_open, Activity.due_at >= today, Activity.due_at < tomorrow), soonest),
        "upcoming": (and_(is_open, Activity.due_at >= tomorrow), soonest),
        "recently_done": (and_(Activity.done.is_(True), Activity.done_at >= now - RECENTLY_DONE),
                          (Activity.done_at.desc(), Activity.id.desc())),
    }
    totals = session.exec(base.with_only_columns(
        *(func.count(case((which, Activity.id))) for which, _ in buckets.values()))).one()
    chosen = {name: _page_within(name, pages or {}, int(total), limit)
              for name, total in zip(buckets, totals)}
    return TaskBoard(**{
        name: TaskList(rows=_rows(session, base.where(which), order, limit, offset=chosen[name] * limit),
                       total=int(total), page=chosen[name])
        for (name, (which, order)), total in zip(buckets.items(), totals)
    })


def _page_within(name: str, pages: Mapping[str, int], total: int, limit: int) -> int:
    """The asked page of a bucket, moved onto its last page when it is past the end (a task done meanwhile)."""
    asked = pages.get(name, 0)
    last = max(0, (total - 1) // limit)
    return min(asked, last) if isinstance(asked, int) and asked > 0 else 0


# --- writing ---------------------------------------------------------------------------------

_AUDITED = ("kind", "subject", "notes", "customer_id", "deal_id", "owner_id", "due_at", "done", "done_at")


def _require_writer(actor: Actor) -> None:
    if not actor.writes_records:
        raise PermissionDenied(gettext("Executives and marketers read tasks; sales reps and admins work them."))


def _writable_deal(session: Session, actor: Actor, deal_id: int) -> Deal:
    deal = session.get(Deal, deal_id)
    if deal is None or not (actor.is_admin or deal.owner_id == actor.id):
        raise NotFound(gettext("No such deal."))
    return deal


def create_task(
    *, session: Session, actor: Actor, draft: TaskDraft, customer_id: int | None = None, deal_id: int | None = None,
) -> Activity:
    """A task for the actor on a customer or a deal they own (admins: any); a deal's task also names its customer."""
    _require_writer(actor)
    if deal_id is not None:
        deal = _writable_deal(session, actor, deal_id)
        if customer_id is not None and customer_id != deal.customer_id:
            raise NotFound(gettext("That deal belongs to another customer."))
        customer_id = deal.customer_id
    elif customer_id is not None:
        customer_for(session=session, actor=actor, customer_id=customer_id)
    else:
        raise ValueError(gettext("A task belongs to a customer or a deal."))
    task = Activity(kind=draft.kind, subject=draft.subject, notes=draft.notes, customer_id=customer_id,
                    deal_id=deal_id, owner_id=actor.id, due_at=draft.due_at_in(actor.time_zone))
    session.add(task)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="task", entity_id=task.id, action="create",
                  new=snapshot(task, _AUDITED))
    return task


def readable_task(*, session: Session, actor: Actor, task_id: int) -> Activity:
    """A task (an activity with a due time) the actor may read: their own; executives and admins read all."""
    task = session.get(Activity, task_id)
    if task is None or task.due_at is None or not (actor.reads_everything or task.owner_id == actor.id):
        raise NotFound(gettext("No such task."))
    return task


def visible_tasks(statement, actor: Actor):
    """`statement` over Activity narrowed to the tasks the actor may read (the rule of `readable_task`)."""
    statement = statement.where(Activity.due_at.is_not(None))
    return statement if actor.reads_everything else statement.where(Activity.owner_id == actor.id)


def _task_for_writing(session: Session, actor: Actor, task_id: int) -> Activity:
    _require_writer(actor)
    task = session.get(Activity, task_id)
    if task is None or task.due_at is None or not (actor.is_admin or task.owner_id == actor.id):
        raise NotFound(gettext("No such task."))
    return task


def set_task_done(*, session: Session, actor: Actor, task_id: int, done: bool, now: datetime) -> Activity:
    """Mark a task done at `now`, or open it again (undo)."""
    task = _task_for_writing(session, actor, task_id)
    old = snapshot(task, ("done", "done_at"))
    task.done, task.done_at = done, (now if done else None)
    return _record_update(session, actor, task, old, ("done", "done_at"))


def delete_task(*, session: Session, actor: Actor, task_id: int) -> None:
    """Delete a task; the audit row keeps what it was."""
    task = _task_for_writing(session, actor, task_id)
    record_change(session=session, actor_id=actor.id, entity="task", entity_id=task.id, action="delete",
                  old=snapshot(task, _AUDITED))
    session.delete(task)
    session.flush()


def _record_update(session: Session, actor: Actor, task: Activity, old: dict, fields: tuple[str, ...]) -> Activity:
    session.add(task)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="task", entity_id=task.id, action="update",
                  old=old, new=snapshot(task, fields))
    return task


_EDITED = ("kind", "subject", "notes", "due_at")


def update_task(*, session: Session, actor: Actor, task_id: int, draft: TaskDraft) -> Activity:
    """Change a task's subject, kind, due day and time (on the actor's clock) and notes; audited."""
    task = _task_for_writing(session, actor, task_id)
    old = snapshot(task, _EDITED)
    task.subject, task.kind, task.notes = draft.subject, draft.kind, draft.notes
    task.due_at = draft.due_at_in(actor.time_zone)
    return _record_update(session, actor, task, old, _EDITED)


def reschedule_task(*, session: Session, actor: Actor, task_id: int, choice: Reschedule, now: datetime) -> Activity:
    """Move a task's due time by one of the one-click choices, on the actor's clock (see crm_app.due_times)."""
    task = _task_for_writing(session, actor, task_id)
    old = snapshot(task, ("due_at",))
    task.due_at = rescheduled_due(Reschedule(choice), now, actor.time_zone)
    return _record_update(session, actor, task, old, ("due_at",))


def reassign_task(*, session: Session, actor: Actor, task_id: int, owner_id: int) -> Activity:
    """Hand a task to another active sales rep or admin (executives work no tasks). Admins only."""
    if not actor.is_admin:
        raise PermissionDenied(gettext("Only admins hand tasks to other people."))
    task = _task_for_writing(session, actor, task_id)
    owner = session.get(User, owner_id)
    if owner is None or not owner.is_active or owner.role not in RECORD_WRITERS:
        raise NotFound(gettext("No such sales rep or admin."))
    old = snapshot(task, ("owner_id",))
    task.owner_id = owner.id
    return _record_update(session, actor, task, old, ("owner_id",))
