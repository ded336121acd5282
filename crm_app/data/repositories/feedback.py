"""Feedback: public submissions, personal survey links, the staff inbox and its workflow."""

from __future__ import annotations

import secrets
import time as time_module
from dataclasses import dataclass, field
from types import SimpleNamespace
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import insert as sa_insert, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from crm_app.i18n import N_, gettext
from crm_app.analytics.sentiment import sentiment_score
from crm_app.analytics.topics import fit_topics
from crm_app.analytics.sentiment import NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD
from crm_app.data.models import (
    Activity, ActivityKind, AuditLog, Customer, Feedback, FeedbackChannel, FeedbackInvite, FeedbackNote, FeedbackStatus,
    FeedbackSubmission, User, utcnow,
)
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.models import ModelRun
from crm_app.data.repositories import webhooks
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app.data.repositories.model_runs import record_model_run
from crm_app.domain import NPS_BANDS
from crm_app.settings import get_settings

INVITE_SALT = "feedback-invite"
INVITE_MAX_AGE = timedelta(days=30)


class InviteRefused(ValueError):
    """A survey link that cannot be used: forged, expired or already used. The message is for the visitor."""


@dataclass(frozen=True)
class Invite:
    id: int
    customer_id: int
    customer_name: str


@dataclass(frozen=True)
class Submitted:
    id: int
    created: bool


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=INVITE_SALT)


def next_working_day(day: date) -> date:
    """The first Monday-to-Friday date after `day`."""
    return np.busday_offset(np.datetime64(day + timedelta(days=1), "D"), 0, roll="forward").astype(date)


def issue_invite(*, session: Session, customer_id: int, issued_by_id: int | None, campaign_id: int | None = None) -> str:
    """Create a one-time survey link for a customer and return its signed token."""
    invite = FeedbackInvite(customer_id=customer_id, campaign_id=campaign_id, issued_by_id=issued_by_id,
                            nonce=secrets.token_hex(16))
    session.add(invite)
    session.flush()
    return _serializer().dumps({"invite": invite.id, "nonce": invite.nonce})


def open_invite(*, session: Session, token: str, now: datetime | None = None) -> Invite:
    """The customer a survey token was issued for; InviteRefused when forged, expired or used."""
    try:
        payload = _serializer().loads(token, max_age=INVITE_MAX_AGE.total_seconds())
    except SignatureExpired as error:
        raise InviteRefused(N_("This survey link has expired. You can still answer anonymously.")) from error
    except BadSignature as error:
        raise InviteRefused(N_("This survey link is not valid. You can still answer anonymously.")) from error
    if not isinstance(payload, dict) or not isinstance(payload.get("invite"), int):
        raise InviteRefused(N_("This survey link is not valid. You can still answer anonymously."))
    row = session.exec(
        select(FeedbackInvite, Customer.name)
        .join(Customer, Customer.id == FeedbackInvite.customer_id)
        .where(FeedbackInvite.id == payload["invite"], FeedbackInvite.nonce == payload.get("nonce"))
    ).first()
    if row is None:
        raise InviteRefused(N_("This survey link is not valid. You can still answer anonymously."))
    invite, customer_name = row
    if invite.used_at is not None:
        raise InviteRefused(N_("This survey link has already been used. Thank you for your answer!"))
    return Invite(id=invite.id, customer_id=invite.customer_id, customer_name=customer_name)


def submit_feedback(*, session: Session, submission: FeedbackSubmission, channel: FeedbackChannel) -> Submitted:
    """Store one survey answer once, whatever the number of resends of the same submission id.

    With a personal link the answer is attached to its customer and the link is spent; a detractor
    (NPS 0-6 or CSAT 1-2) from a known customer gets a follow-up task for the customer's owner, due the
    next working day.
    """
    existing = _submitted_before(session, submission.submission_id)
    if existing is not None:
        return Submitted(id=existing, created=False)
    invite = open_invite(session=session, token=submission.invite) if submission.invite else None
    feedback = Feedback(
        csat=submission.csat, nps=submission.nps, comment=submission.comment, channel=channel,
        customer_id=invite.customer_id if invite else None,
        client_submission_id=submission.submission_id,
        respondent_name=submission.name, respondent_email=submission.email,
        consent_contact=submission.consent, sentiment=sentiment_score(submission.comment),
    )
    try:
        with session.begin_nested():
            session.add(feedback)
            session.flush()
    except IntegrityError:
        # Another request stored the same submission id first.
        existing = _submitted_before(session, submission.submission_id)
        if existing is None:
            raise
        return Submitted(id=existing, created=False)
    if invite is not None:
        _spend_invite(session, invite)
        if submission.is_unhappy:
            _follow_up_task(session, feedback, invite)
    record_change(session=session, actor_id=None, entity="feedback", entity_id=feedback.id, action="submit",
                  new={"csat": feedback.csat, "nps": feedback.nps, "customer_id": feedback.customer_id})
    webhooks.feedback_received(session=session, answers=[feedback])
    return Submitted(id=feedback.id, created=True)


# Core, not the ORM's bulk path: one multi-row INSERT ... RETURNING that skips submission ids already stored. Built
# once per dialect: the group commit runs it many times a second, and building it cost as much as running it.
_NEW_ANSWERS = {
    name: insert(Feedback.__table__).on_conflict_do_nothing(index_elements=["client_submission_id"])
    .returning(Feedback.__table__.c.client_submission_id, Feedback.__table__.c.id)
    for name, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
}
_AUDIT_ROWS = sa_insert(AuditLog.__table__)


def submit_anonymous_batch(
    *, session: Session, submissions: list[FeedbackSubmission], channel: FeedbackChannel
) -> list[Submitted]:
    """Store many answers without a personal link in one INSERT; same outcome as submit_feedback for each.

    Rows whose submission id is already stored (or repeated within the batch) are not inserted again and
    report the stored id with created=False.
    """
    if any(submission.invite for submission in submissions):
        raise ValueError("answers from personal links go through submit_feedback")
    first_of: dict[str, FeedbackSubmission] = {}
    for submission in submissions:
        first_of.setdefault(submission.submission_id, submission)
    now = utcnow()
    rows = [
        {"csat": s.csat, "nps": s.nps, "comment": s.comment, "channel": channel, "status": FeedbackStatus.new,
         "submitted_at": now, "updated_at": now, "client_submission_id": s.submission_id,
         "respondent_name": s.name, "respondent_email": s.email, "consent_contact": s.consent,
         "sentiment": sentiment_score(s.comment)}
        for s in first_of.values()
    ]
    inserted = dict(session.execute(_NEW_ANSWERS[session.get_bind().dialect.name], rows).all()) if rows else {}
    missing = [sid for sid in first_of if sid not in inserted]
    stored_before = dict(session.execute(
        select(Feedback.client_submission_id, Feedback.id).where(Feedback.client_submission_id.in_(missing))
    ).all()) if missing else {}
    if inserted:
        session.execute(_AUDIT_ROWS, [
            {"actor_id": None, "entity": "feedback", "entity_id": feedback_id, "action": "submit", "at": now,
             "new_values": {"csat": first_of[sid].csat, "nps": first_of[sid].nps, "customer_id": None}}
            for sid, feedback_id in inserted.items()
        ])
        by_submission = {row["client_submission_id"]: row for row in rows}
        webhooks.feedback_received(session=session, answers=[
            SimpleNamespace(**by_submission[sid], id=feedback_id, customer_id=None)
            for sid, feedback_id in inserted.items()])
    results, seen = [], set()
    for submission in submissions:
        sid = submission.submission_id
        created = sid in inserted and sid not in seen
        seen.add(sid)
        results.append(Submitted(id=inserted.get(sid) or stored_before[sid], created=created))
    return results


def _submitted_before(session: Session, submission_id: str) -> int | None:
    return session.exec(select(Feedback.id).where(Feedback.client_submission_id == submission_id)).first()


def _spend_invite(session: Session, invite: Invite) -> None:
    spent = session.execute(
        update(FeedbackInvite)
        .where(FeedbackInvite.id == invite.id, FeedbackInvite.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount != 1:
        raise InviteRefused(N_("This survey link has already been used. Thank you for your answer!"))


def _follow_up_task(session: Session, feedback: Feedback, invite: Invite) -> None:
    owner_id = session.exec(select(Customer.owner_id).where(Customer.id == invite.customer_id)).one()
    if owner_id is None:
        return
    due_day = next_working_day(feedback.submitted_at.date())
    task = Activity(
        kind=ActivityKind.task, customer_id=invite.customer_id, owner_id=owner_id,
        subject=f"Call back {invite.customer_name}: NPS {feedback.nps}, CSAT {feedback.csat}",
        notes=f"Follow-up of feedback #{feedback.id}.",
        due_at=datetime.combine(due_day, time(9, 0), tzinfo=feedback.submitted_at.tzinfo),
    )
    session.add(task)


# --- the staff inbox ------------------------------------------------------------------------

SENTIMENTS = ("positive", "neutral", "negative")
PAGE_SIZE = 25


@dataclass(frozen=True)
class FeedbackFilters:
    """What the inbox is narrowed to. Every field is optional; values are already validated."""

    nps_band: str | None = None
    csat: int | None = None
    sentiment: str | None = None
    topic: str | None = None
    status: FeedbackStatus | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    owner_id: int | None = None


@dataclass(frozen=True)
class InboxRow:
    id: int
    submitted_at: datetime
    csat: int | None
    nps: int | None
    comment: str | None
    sentiment: float | None
    topic: str | None
    status: str
    customer_id: int | None
    customer_name: str | None
    assignee_name: str | None


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    pages: int
    scores: pd.DataFrame = field(repr=False)


def visible_to(actor: Actor):
    """Executives and admins read every answer; a sales rep those of their customers and those assigned to them."""
    if actor.reads_everything:
        return True
    return or_(Customer.owner_id == actor.id, Feedback.assignee_id == actor.id)


def _filtered(statement, filters: FeedbackFilters):
    if filters.nps_band in NPS_BANDS:
        low, high = NPS_BANDS[filters.nps_band]
        statement = statement.where(Feedback.nps >= low, Feedback.nps <= high)
    if filters.csat is not None:
        statement = statement.where(Feedback.csat == filters.csat)
    if filters.sentiment == "positive":
        statement = statement.where(Feedback.sentiment >= POSITIVE_THRESHOLD)
    elif filters.sentiment == "negative":
        statement = statement.where(Feedback.sentiment <= NEGATIVE_THRESHOLD)
    elif filters.sentiment == "neutral":
        statement = statement.where(Feedback.sentiment > NEGATIVE_THRESHOLD, Feedback.sentiment < POSITIVE_THRESHOLD)
    if filters.topic:
        statement = statement.where(Feedback.topic == filters.topic)
    if filters.status is not None:
        statement = statement.where(Feedback.status == filters.status)
    if filters.submitted_from is not None:
        statement = statement.where(Feedback.submitted_at >= datetime.combine(filters.submitted_from, time(), tzinfo=UTC))
    if filters.submitted_to is not None:
        end = datetime.combine(filters.submitted_to + timedelta(days=1), time(), tzinfo=UTC)
        statement = statement.where(Feedback.submitted_at < end)
    if filters.owner_id is not None:
        statement = statement.where(Customer.owner_id == filters.owner_id)
    return statement


def inbox_page(*, session: Session, actor: Actor, filters: FeedbackFilters, page: int = 1) -> InboxPage:
    """One page of answers, newest first, plus the scores of the whole filtered set for the summary."""
    base = select(Feedback.id).outerjoin(Customer, Customer.id == Feedback.customer_id).where(visible_to(actor))
    base = _filtered(base, filters)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    assignee = User.__table__.alias("assignee")
    rows = session.exec(
        _filtered(
            select(Feedback, Customer.name, assignee.c.full_name)
            .outerjoin(Customer, Customer.id == Feedback.customer_id)
            .outerjoin(assignee, assignee.c.id == Feedback.assignee_id)
            .where(visible_to(actor)),
            filters,
        )
        .order_by(Feedback.submitted_at.desc(), Feedback.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    scores = pd.DataFrame(
        session.exec(
            _filtered(
                select(Feedback.csat, Feedback.nps, Feedback.topic)
                .outerjoin(Customer, Customer.id == Feedback.customer_id)
                .where(visible_to(actor)),
                filters,
            )
        ).all(),
        columns=["csat", "nps", "topic"],
    )
    return InboxPage(
        rows=[
            InboxRow(id=f.id, submitted_at=f.submitted_at, csat=f.csat, nps=f.nps, comment=f.comment,
                     sentiment=f.sentiment, topic=f.topic, status=f.status, customer_id=f.customer_id,
                     customer_name=name, assignee_name=assignee_name)
            for f, name, assignee_name in rows
        ],
        total=total, page=page, pages=pages, scores=scores,
    )


@dataclass(frozen=True)
class AnswersPreview:
    """How many answers the inbox shows for a filter, and the newest few (without the inbox's score summary)."""

    total: int
    newest: list[InboxRow]


def answers_preview(*, session: Session, actor: Actor, filters: FeedbackFilters, limit: int) -> AnswersPreview:
    """The inbox's count for `filters` and its first `limit` rows (newest first), in two bounded statements."""
    total = session.exec(_filtered(
        select(func.count()).select_from(Feedback).outerjoin(Customer, Customer.id == Feedback.customer_id)
        .where(visible_to(actor)), filters)).one()
    rows = session.exec(
        _filtered(select(Feedback, Customer.name).outerjoin(Customer, Customer.id == Feedback.customer_id)
                  .where(visible_to(actor)), filters)
        .order_by(Feedback.submitted_at.desc(), Feedback.id.desc()).limit(limit)
    ).all()
    return AnswersPreview(total=int(total), newest=[
        InboxRow(id=f.id, submitted_at=f.submitted_at, csat=f.csat, nps=f.nps, comment=f.comment,
                 sentiment=f.sentiment, topic=f.topic, status=f.status, customer_id=f.customer_id,
                 customer_name=name, assignee_name=None)
        for f, name in rows])


def readable_feedback(session: Session, actor: Actor, feedback_id: int) -> Feedback:
    """The answer when the actor may read it (`_visible_to`); NotFound otherwise."""
    row = session.exec(
        select(Feedback).outerjoin(Customer, Customer.id == Feedback.customer_id)
        .where(Feedback.id == feedback_id, visible_to(actor))
    ).first()
    if row is None:
        raise NotFound(gettext("No such feedback."))
    return row


def _require_writer(actor: Actor) -> None:
    if not actor.writes_records:
        raise PermissionDenied(gettext("Executives and marketers read feedback; admins and sales reps handle it."))


_WORKFLOW = ("status", "assignee_id")


def update_feedback(
    *, session: Session, actor: Actor, feedback_id: int, status: FeedbackStatus | None = None,
    assignee_id: int | None = None,
) -> Feedback:
    """Move an answer through New -> In progress -> Resolved and/or assign it to an active staff member."""
    _require_writer(actor)
    feedback = readable_feedback(session, actor, feedback_id)
    old = snapshot(feedback, _WORKFLOW)
    if status is not None:
        feedback.status = status
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.is_active:
            raise NotFound(gettext("No such active user to assign."))
        feedback.assignee_id = assignee_id
    session.add(feedback)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="feedback", entity_id=feedback.id,
                  action="update", old=old, new=snapshot(feedback, _WORKFLOW))
    return feedback


def add_note(*, session: Session, actor: Actor, feedback_id: int, body: str) -> FeedbackNote:
    _require_writer(actor)
    feedback = readable_feedback(session, actor, feedback_id)
    note = FeedbackNote(feedback_id=feedback.id, author_id=actor.id, body=body)
    session.add(note)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="feedback", entity_id=feedback.id,
                  action="note", new={"note_id": note.id})
    return note


def notes_for(*, session: Session, actor: Actor, feedback_id: int) -> list[tuple[FeedbackNote, str]]:
    feedback = readable_feedback(session, actor, feedback_id)
    return list(session.exec(
        select(FeedbackNote, User.full_name).join(User, User.id == FeedbackNote.author_id)
        .where(FeedbackNote.feedback_id == feedback.id).order_by(FeedbackNote.created_at, FeedbackNote.id)
    ).all())


def refit_topics(*, session: Session, n_topics: int = 6) -> ModelRun:
    """Fit the topic model on every comment, tag each answer with its main topic and record the run."""
    started = time_module.perf_counter()
    comments = pd.DataFrame(
        session.exec(select(Feedback.id, Feedback.comment).where(Feedback.comment.is_not(None))).all(),
        columns=["id", "comment"],
    )
    model = fit_topics(comments.set_index("id")["comment"], n_topics=n_topics)
    store_topics(session=session, topics=model.assignments)
    return record_model_run(
        session=session, model="feedback_topics", rows=model.n_comments,
        seconds=time_module.perf_counter() - started, summary={"topics": model.names},
    )


def store_topics(*, session: Session, topics: pd.Series) -> int:
    """Write each comment's main topic (index: feedback id); returns the rows changed."""
    session.execute(update(Feedback).values(topic=None))
    assigned = topics.dropna()
    changed = 0
    for topic, ids in assigned.groupby(assigned).groups.items():
        ids = [int(i) for i in ids]
        for start in range(0, len(ids), 5000):  # stay under SQLite's bound-parameter limit
            changed += session.execute(
                update(Feedback).where(Feedback.id.in_(ids[start:start + 5000])).values(topic=str(topic))
            ).rowcount
    return changed
