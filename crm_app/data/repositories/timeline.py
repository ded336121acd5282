"""A customer's or a deal's timeline: what reps logged (notes, calls, emails, meetings), tasks created and done,
orders, deal stage moves, survey answers, campaign contacts and field changes, newest first.

Who may do what: a sales rep reads and writes the timelines of their own customers and deals; executives read
every timeline and write none; admins do everything. Only the author edits or deletes a logged entry (audited).

The merge happens in the database: each source gives its newest (time, kind, id) keys after the cursor, one
UNION ALL orders them and keeps a page; then each source's rows on the page are read by id.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from sqlmodel import Session, func, select
from sqlmodel.sql.sqltypes import UTCDateTime

from crm_app.data.change_text import ACTION_TITLES, batch_note, change_lines, people_in
from crm_app.data.models import (Activity, AuditLog, Campaign, CampaignTarget, Customer, Deal, Feedback, LoggedActivity,
                                 Order, User)
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.repositories import tasks
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app.data.repositories.customers import customer_for
from crm_app.data.validation import UserInput, whole_number
from crm_app.domain import MAX_BODY_CHARACTERS, MAX_DURATION_MINUTES, OUTCOMES, LoggedKind
from crm_app.formatting import moment, money
from crm_app.i18n import gettext
from crm_app.labels import label

PAGE_SIZE = 50
_LOGGED = frozenset(kind.value for kind in LoggedKind)
ENTITY = "logged_activity"
_AUDITED = ("kind", "body", "outcome", "duration_minutes", "customer_id", "deal_id", "occurred_at")

# What the kind filter offers, and the entry kinds each choice shows.
FILTERS: dict[str, tuple[str, ...]] = {
    "note": ("note",), "call": ("call",), "email": ("email",), "meeting": ("meeting",),
    "task": ("task_created", "task_done"), "order": ("order",), "deal": ("stage_move",),
    "feedback": ("feedback",), "campaign": ("campaign",), "change": ("change",),
}
FILTER_LABELS: dict[str, str] = {
    "note": "Notes", "call": "Calls", "email": "Emails", "meeting": "Meetings", "task": "Tasks", "order": "Orders",
    "deal": "Deal stages", "feedback": "Survey answers", "campaign": "Campaigns", "change": "Changes",
}


# --- what a rep writes ------------------------------------------------------------------------------------


class ActivityDraft(UserInput):
    """A note, call, email or meeting as typed. Outcome and duration belong to calls and meetings only: for a
    note or an email they are dropped, so switching the kind back and forth in the composer loses nothing."""

    kind: LoggedKind
    body: str
    outcome: str | None = None
    duration_minutes: int | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        if not isinstance(value, str) or value not in {kind.value for kind in LoggedKind}:
            raise ValueError(gettext("Choose note, call, email or meeting."))
        return value

    @field_validator("body", mode="before")
    @classmethod
    def _body(cls, value: Any) -> str:
        text = value.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(value, str) else ""
        if not text:
            raise ValueError(gettext("Write what happened."))
        if len(text) > MAX_BODY_CHARACTERS:
            raise ValueError(gettext("Keep it to {limit} characters or fewer (it has {count}).",
                                     limit=f"{MAX_BODY_CHARACTERS:,}", count=f"{len(text):,}"))
        return text

    @field_validator("outcome", mode="before")
    @classmethod
    def _outcome(cls, value: Any, info: ValidationInfo) -> str | None:
        choices = OUTCOMES.get(info.data.get("kind"), ())
        if not choices or value is None or value == "":
            return None
        if value not in choices:
            raise ValueError(gettext("Choose one of: {choices}.", choices=gettext(", ").join(map(label, choices))))
        return value

    @field_validator("duration_minutes", mode="before")
    @classmethod
    def _duration(cls, value: Any, info: ValidationInfo) -> int | None:
        if info.data.get("kind") not in OUTCOMES or value is None or (isinstance(value, str) and not value.strip()):
            return None
        minutes = whole_number(value.strip()) if isinstance(value, str) else value
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_DURATION_MINUTES:
            raise ValueError(gettext("Enter the minutes it took, from 1 to {limit}.", limit=f"{MAX_DURATION_MINUTES:,}"))
        return minutes


def _require_writer(actor: Actor) -> None:
    if not actor.writes_records:
        raise PermissionDenied(gettext("Executives and marketers read timelines; sales reps and admins write on "
                                       "them."))


def _readable_deal(session: Session, actor: Actor, deal_id: int) -> Deal:
    deal = session.get(Deal, deal_id)
    if deal is None or not (actor.reads_everything or deal.owner_id == actor.id):
        raise NotFound(gettext("No such deal."))
    return deal


def log_activity(
    *, session: Session, actor: Actor, draft: ActivityDraft, now: datetime, customer_id: int | None = None,
    deal_id: int | None = None, follow_up: tasks.TaskDraft | None = None,
) -> LoggedActivity:
    """Log what happened at `now` on a customer, or on a deal (and so its customer), with an optional follow-up
    task in the same transaction: the caller's commit writes both or, on any error, neither."""
    _require_writer(actor)
    if deal_id is not None:
        deal = _readable_deal(session, actor, deal_id)
        if customer_id is not None and customer_id != deal.customer_id:
            raise NotFound(gettext("No such deal."))
        customer_id = deal.customer_id
    if customer_id is None:
        raise NotFound(gettext("No such customer."))
    customer = customer_for(session=session, actor=actor, customer_id=customer_id)
    entry = LoggedActivity(kind=draft.kind, body=draft.body, outcome=draft.outcome,
                           duration_minutes=draft.duration_minutes, customer_id=customer.id, deal_id=deal_id,
                           author_id=actor.id, occurred_at=now)
    session.add(entry)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity=ENTITY, entity_id=entry.id, action="create",
                  new=snapshot(entry, _AUDITED))
    if follow_up is not None:
        tasks.create_task(session=session, actor=actor, draft=follow_up, customer_id=customer.id, deal_id=deal_id)
    return entry


def readable_entry(*, session: Session, actor: Actor, activity_id: int) -> LoggedActivity:
    """A logged note, call, email or meeting the actor may read: one on a customer they may read."""
    entry = session.get(LoggedActivity, activity_id)
    if entry is None:
        raise NotFound(gettext("No such entry."))
    customer_for(session=session, actor=actor, customer_id=entry.customer_id)
    return entry


def visible_entries(statement, actor: Actor):
    """`statement` over LoggedActivity narrowed to the entries on customers the actor may read."""
    if actor.reads_everything:
        return statement
    return statement.where(LoggedActivity.customer_id.in_(select(Customer.id).where(Customer.owner_id == actor.id)))


def _own_entry(session: Session, actor: Actor, activity_id: int) -> LoggedActivity:
    _require_writer(actor)
    entry = session.get(LoggedActivity, activity_id)
    if entry is None or entry.author_id != actor.id:
        raise NotFound(gettext("No such entry of yours."))
    customer_for(session=session, actor=actor, customer_id=entry.customer_id)
    return entry


def edit_activity(
    *, session: Session, actor: Actor, activity_id: int, draft: ActivityDraft, now: datetime,
) -> LoggedActivity:
    """Rewrite one's own entry (kind, text, outcome, duration); audited with what changed."""
    entry = _own_entry(session, actor, activity_id)
    old = snapshot(entry, _AUDITED)
    entry.kind, entry.body = draft.kind, draft.body
    entry.outcome, entry.duration_minutes = draft.outcome, draft.duration_minutes
    new = snapshot(entry, _AUDITED)
    if new != old:
        entry.edited_at = now
        session.add(entry)
        session.flush()
        record_change(session=session, actor_id=actor.id, entity=ENTITY, entity_id=entry.id, action="update",
                      old=old, new=new)
    return entry


def delete_activity(*, session: Session, actor: Actor, activity_id: int) -> None:
    """Delete one's own entry; the audit row keeps what it said."""
    entry = _own_entry(session, actor, activity_id)
    record_change(session=session, actor_id=actor.id, entity=ENTITY, entity_id=entry.id, action="delete",
                  old=snapshot(entry, _AUDITED))
    session.delete(entry)
    session.flush()


# --- reading: one page of the merged feed -----------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the (time, kind, id) of its last entry; the next page starts just after it."""

    at: datetime
    kind: str
    id: int


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # note, call, email, meeting, task_created, task_done, order, stage_move, feedback, campaign, change
    id: int
    at: datetime
    title: str
    body: str = ""  # free text people wrote: shown as text, links made links, never as HTML
    changes: tuple[str, ...] = ()
    who: str | None = None
    order_id: int | None = None
    deal_id: int | None = None
    # A logged entry the actor wrote (and may edit or delete), with its fields for the edit form.
    own: bool = False
    outcome: str | None = None
    duration_minutes: int | None = None
    edited: bool = False

    @property
    def cursor(self) -> Cursor:
        return Cursor(at=self.at, kind=self.kind, id=self.id)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: Cursor | None  # None on the last page


def _campaign_start(dialect: str) -> sa.ColumnElement:
    """A campaign's start day as the moment it contacted its targets (midnight UTC), in the form the database
    stores moments in, so keyset comparisons with it are exact."""
    if dialect == "sqlite":
        moment = sa.func.strftime("%Y-%m-%d %H:%M:%f000", Campaign.start_date)
    else:
        moment = sa.func.timezone("UTC", sa.cast(Campaign.start_date, sa.DateTime()))
    return sa.type_coerce(moment, UTCDateTime())


def _sources(dialect: str, of_deal: bool) -> dict[tuple[str, ...], Any]:
    """Per group of entry kinds: (time, kind, id, where) of the rows on the timeline of the customer or deal
    bound to the parameter "subject"."""
    la, task, subject = LoggedActivity, Activity, sa.bindparam("subject", type_=sa.Integer)
    deal_moves = (AuditLog.entity == "deal") & (AuditLog.action == "stage_move")
    if of_deal:
        return {
            ("note", "call", "email", "meeting"): (la.occurred_at, la.kind, la.id, [la.deal_id == subject]),
            ("task_created",): (task.created_at, None, task.id, [task.deal_id == subject]),
            ("task_done",): (task.done_at, None, task.id, [task.deal_id == subject, task.done_at.is_not(None)]),
            ("stage_move",): (AuditLog.at, None, AuditLog.id, [deal_moves, AuditLog.entity_id == subject]),
            ("change",): (AuditLog.at, None, AuditLog.id, [
                AuditLog.entity == "deal", AuditLog.entity_id == subject,
                AuditLog.action.in_([action for entity, action in ACTION_TITLES if entity == "deal"])]),
        }
    deals_of_customer = select(Deal.id).where(Deal.customer_id == subject)
    return {
        ("note", "call", "email", "meeting"): (la.occurred_at, la.kind, la.id, [la.customer_id == subject]),
        ("task_created",): (task.created_at, None, task.id, [task.customer_id == subject]),
        ("task_done",): (task.done_at, None, task.id, [task.customer_id == subject, task.done_at.is_not(None)]),
        ("order",): (Order.ordered_at, None, Order.id, [Order.customer_id == subject]),
        ("stage_move",): (AuditLog.at, None, AuditLog.id, [deal_moves, AuditLog.entity_id.in_(deals_of_customer)]),
        ("feedback",): (Feedback.submitted_at, None, Feedback.id, [Feedback.customer_id == subject]),
        ("campaign",): (_campaign_start(dialect), None, CampaignTarget.id, [
            CampaignTarget.customer_id == subject, CampaignTarget.campaign_id == Campaign.id]),
        ("change",): (AuditLog.at, None, AuditLog.id, [
            AuditLog.entity == "customer", AuditLog.entity_id == subject,
            AuditLog.action.in_([action for entity, action in ACTION_TITLES if entity == "customer"])]),
    }


@functools.lru_cache(maxsize=256)
def _keys_statement(dialect: str, of_deal: bool, kinds: frozenset[str], paged: bool) -> sa.Select | None:
    """The UNION ALL that merges the sources' newest (time, kind, id) keys, for a subject, the kinds and whether
    a cursor is given; its values are parameters (subject, after_at, after_kind, after_id, limit), so the
    statement is built once per shape and not for every page (building it was most of a page's time)."""
    branches = []
    limit = sa.bindparam("limit", type_=sa.Integer)
    for group, (at, kind, row_id, where) in _sources(dialect, of_deal).items():
        wanted = [k for k in group if k in kinds] if kinds else list(group)
        if not wanted:
            continue
        # A source of one kind names it in a constant, which its rows need not be ordered by.
        order = (at.desc(), row_id.desc()) if kind is None else (at.desc(), kind.desc(), row_id.desc())
        kind = sa.cast(sa.literal(group[0]), sa.String) if kind is None else kind
        statement = select(at.label("at"), kind.label("kind"), row_id.label("id")).where(*where)
        if len(wanted) < len(group):
            statement = statement.where(kind.in_(wanted))
        if paged:
            after_at = sa.bindparam("after_at", type_=at.type)
            # `at <= cursor` first: a bound the (subject, time, id) index seeks to instead of reading past newer rows.
            statement = statement.where(at <= after_at, sa.or_(at < after_at, sa.tuple_(kind, row_id) < sa.tuple_(
                sa.bindparam("after_kind", type_=sa.String), sa.bindparam("after_id", type_=sa.Integer))))
        statement = statement.order_by(*order).limit(limit)
        branches.append(select(*statement.subquery().c))
    if not branches:
        return None
    merged = sa.union_all(*branches).subquery()
    return (select(merged.c.at, merged.c.kind, merged.c.id)
            .order_by(merged.c.at.desc(), merged.c.kind.desc(), merged.c.id.desc()).limit(limit))


def _page_keys(session: Session, customer_id: int | None, deal_id: int | None, kinds: set[str],
               after: Cursor | None, limit: int) -> list[tuple[datetime, str, int]]:
    """The (time, kind, id) of the page's entries, newest first, merged by one UNION ALL."""
    statement = _keys_statement(session.get_bind().dialect.name, deal_id is not None, frozenset(kinds),
                                after is not None)
    if statement is None:
        return []
    values = {"subject": deal_id if deal_id is not None else customer_id, "limit": limit}
    if after is not None:
        values |= {"after_at": after.at, "after_kind": after.kind, "after_id": after.id}
    return [tuple(row) for row in session.execute(statement, values).all()]


def _minutes(value: int | None) -> str | None:
    return f"{value} min" if value else None


def _entries(session: Session, actor: Actor, keys: list[tuple[datetime, str, int]]) -> list[TimelineEntry]:
    """Each key's entry, read by id from its source (a few queries a page, whatever its size)."""
    ids: dict[str, set[int]] = {}
    for _, kind, row_id in keys:
        source = "logged" if kind in _LOGGED else kind.removeprefix("task_")
        ids.setdefault({"created": "task", "done": "task", "stage_move": "audit", "change": "audit"}.get(
            source, source), set()).add(row_id)

    names: dict[int, str] = {}
    deal_titles: dict[int, str] = {}

    def by_id(model, source: str, person=None) -> dict[int, Any]:
        """The source's rows on the page by id, with the name of the person `person` names (author, owner,
        actor) read in the same statement; no query for a source with nothing on the page."""
        wanted = ids.get(source)
        if not wanted:
            return {}
        statement = select(model) if person is None else (
            select(model, User.id, User.full_name).outerjoin(User, User.id == person))
        if model is AuditLog:  # a deal's entries are titled with the deal
            statement = statement.add_columns(Deal.id, Deal.title).outerjoin(
                Deal, (AuditLog.entity == "deal") & (Deal.id == AuditLog.entity_id))
        rows = {}
        for row, *extra in session.execute(statement.where(model.id.in_(wanted))).all():
            rows[row.id] = row
            for key, value, known in zip(extra[::2], extra[1::2], (names, deal_titles)):
                if key is not None:
                    known[key] = value
        return rows

    logged = by_id(LoggedActivity, "logged", LoggedActivity.author_id)
    task_rows, orders = by_id(Activity, "task", Activity.owner_id), by_id(Order, "order")
    answers, audit = by_id(Feedback, "feedback"), by_id(AuditLog, "audit", AuditLog.actor_id)
    campaigns = {target.id: name for target, name in session.exec(
        select(CampaignTarget, Campaign.name).join(Campaign, Campaign.id == CampaignTarget.campaign_id)
        .where(CampaignTarget.id.in_(ids["campaign"])))} if ids.get("campaign") else {}
    # People named inside changes (an owner moved from one rep to another), when not read with the rows above.
    named = people_in([values for row in audit.values() for values in (row.old_values, row.new_values)]) - set(names)
    if named:
        names |= dict(session.exec(select(User.id, User.full_name).where(User.id.in_(named))).all())
    batches = {row.batch_id for row in audit.values() if row.batch_id and row.entity == "customer"}
    batch_sizes = dict(session.exec(
        select(AuditLog.batch_id, func.count()).where(AuditLog.batch_id.in_(batches), AuditLog.entity == "customer")
        .group_by(AuditLog.batch_id)).all()) if batches else {}
    entries = []
    for at, kind, row_id in keys:
        common = {"kind": kind, "id": row_id, "at": at}
        if kind in _LOGGED:
            row = logged[row_id]
            title = " · ".join(part for part in (kind.capitalize(), row.outcome, _minutes(row.duration_minutes))
                               if part)
            entries.append(TimelineEntry(**common, title=title, body=row.body, who=names.get(row.author_id),
                                         deal_id=row.deal_id, own=row.author_id == actor.id
                                         and actor.writes_records, outcome=row.outcome,
                                         duration_minutes=row.duration_minutes, edited=row.edited_at is not None))
        elif kind in ("task_created", "task_done"):
            row = task_rows[row_id]
            verb = "Task created" if kind == "task_created" else "Task done"
            due = f" (due {moment(row.due_at, actor.time_zone)})" if kind == "task_created" and row.due_at else ""
            entries.append(TimelineEntry(**common, title=f"{verb}: {row.subject}{due}", body=row.notes or "",
                                         who=names.get(row.owner_id), deal_id=row.deal_id))
        elif kind == "order":
            row = orders[row_id]
            entries.append(TimelineEntry(**common, title=f"Order #{row.id} · {label(row.status)} · {money(row.total_amount)}",
                                         order_id=row.id))
        elif kind == "feedback":
            row = answers[row_id]
            scores = ", ".join(f"{label} {value}" for label, value in (("NPS", row.nps), ("CSAT", row.csat))
                               if value is not None)
            entries.append(TimelineEntry(**common, title=f"Survey answer: {scores}", body=row.comment or ""))
        elif kind == "campaign":
            entries.append(TimelineEntry(**common, title=f"Contacted by campaign {campaigns[row_id]}"))
        else:
            row = audit[row_id]
            who = names.get(row.actor_id) if row.actor_id else "system"
            if kind == "stage_move":
                old, new = row.old_values or {}, row.new_values or {}
                title = f"{deal_titles.get(row.entity_id, 'Deal')}: {old.get('stage', '-')} -> {new.get('stage', '-')}"
                reason = (new.get("lost_reason"),) if new.get("lost_reason") else ()
                entries.append(TimelineEntry(**common, title=title, changes=tuple(f"Lost reason: {r}" for r in reason),
                                             who=who, deal_id=row.entity_id))
            else:
                title = ACTION_TITLES.get((row.entity, row.action), row.action)
                if row.batch_id:
                    title += batch_note(batch_sizes.get(row.batch_id))
                if row.entity == "deal":
                    title = f"{title}: {deal_titles.get(row.entity_id, '')}".rstrip(": ")
                lines = change_lines(row.old_values, row.new_values, names.get, actor.time_zone)
                if row.action == "create":
                    lines = []
                entries.append(TimelineEntry(**common, title=title, changes=tuple(lines), who=who))
    return entries


def timeline_page(
    *, session: Session, actor: Actor, customer_id: int | None = None, deal_id: int | None = None,
    kinds: frozenset[str] | set[str] = frozenset(), after: Cursor | None = None, limit: int = PAGE_SIZE,
) -> TimelinePage:
    """One page of a customer's (or, given `deal_id`, a deal's) timeline, newest first: `limit` entries after
    `after`, of the FILTERS named in `kinds` (all when empty). Entries at the same moment come by kind, then id,
    descending, so every entry has one place and a page never repeats or skips one, whatever is added meanwhile."""
    if deal_id is not None:
        _readable_deal(session, actor, deal_id)
    elif customer_id is not None:
        customer_for(session=session, actor=actor, customer_id=customer_id)
    else:
        raise NotFound(gettext("No such customer."))
    unknown = set(kinds) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown timeline filters: {sorted(unknown)}")
    entry_kinds = {kind for name in kinds for kind in FILTERS[name]}
    keys = _page_keys(session, customer_id if deal_id is None else None, deal_id, entry_kinds, after, limit + 1)
    more = len(keys) > limit
    entries = _entries(session, actor, keys[:limit])
    return TimelinePage(entries=entries, next_cursor=entries[-1].cursor if more else None)
