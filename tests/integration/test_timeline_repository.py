"""Timelines on SQLite and PostgreSQL: who may read and write them, the merge order, keyset pages under inserts,
field changes in words, edit and delete audited, and a follow-up task written with its entry or not at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy.exc
from sqlmodel import Session, func, select

from crm_app.data.db import write_session
from crm_app.data.models import (Activity, ActivityKind, AuditLog, Campaign, CampaignTarget, Customer, Deal, Feedback,
                                 LoggedActivity, Order)
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import timeline
from crm_app.data.repositories.tasks import TaskDraft
from crm_app.data.repositories.timeline import ActivityDraft, Cursor
from crm_app.data.repositories.users import actor_of
from crm_app.domain import DealStage, OrderStatus, SalesChannel
from crm_app.settings import get_settings
from tests.conftest import add_staff

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def book(engine):
    """A rep's customer with one entry of every kind at hand-placed moments, and another rep's customer."""
    with Session(engine) as session:
        people = add_staff(session)
        rep, other = people["rep"], people["other"]
        rep.full_name = "Riley Rep"
        mine = Customer(name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event", owner_id=rep.id)
        theirs = Customer(name="Grace Hopper", region="EMEA", segment="SMB", acquisition_channel="event",
                          owner_id=other.id)
        session.add_all([mine, theirs])
        session.flush()
        deal = Deal(title="Laptops", customer_id=mine.id, owner_id=rep.id, amount=100, stage=DealStage.proposal)
        campaign = Campaign(name="Spring mailing", channel="email", start_date=date(2026, 3, 2),
                            end_date=date(2026, 3, 31), cost=10)
        session.add_all([deal, campaign])
        session.flush()
        session.add_all([
            LoggedActivity(kind="call", body="Talked budgets", outcome="Connected", duration_minutes=15,
                           customer_id=mine.id, author_id=rep.id, occurred_at=at(10)),
            LoggedActivity(kind="note", body="Prefers email", customer_id=mine.id, author_id=rep.id,
                           occurred_at=at(10)),  # the same moment as the call: kind decides (note after call)
            Activity(kind=ActivityKind.task, subject="Send quote", customer_id=mine.id, owner_id=rep.id,
                     due_at=at(12), created_at=at(9), done=True, done_at=at(11)),
            Order(customer_id=mine.id, status=OrderStatus.paid, channel=SalesChannel.online, ordered_at=at(8),
                  total_amount=1234.5),
            AuditLog(actor_id=rep.id, entity="deal", entity_id=deal.id, action="stage_move", at=at(7),
                     old_values={"stage": "Qualified"}, new_values={"stage": "Proposal"}),
            Feedback(customer_id=mine.id, nps=9, csat=5, comment="Great service", submitted_at=at(6)),
            CampaignTarget(campaign_id=campaign.id, customer_id=mine.id),
            AuditLog(actor_id=people["admin"].id, entity="customer", entity_id=mine.id, action="update", at=at(1),
                     old_values={"owner_id": None, "phone": "+14155550123", "external_ref": None},
                     new_values={"owner_id": rep.id, "phone": "+442079460958", "external_ref": None}),
            LoggedActivity(kind="note", body="Their secret", customer_id=theirs.id, author_id=other.id,
                           occurred_at=at(10)),
        ])
        session.commit()
        return {name: actor_of(user) for name, user in people.items()} | {"mine": mine.id, "theirs": theirs.id,
                                                                          "deal": deal.id}


def _page(engine, actor, **kwargs):
    with Session(engine) as session:
        return timeline.timeline_page(session=session, actor=actor, **kwargs)


def test_the_feed_merges_every_source_newest_first(engine, book):
    page = _page(engine, book["rep"], customer_id=book["mine"])
    assert [(e.kind, e.title, e.body, e.changes, e.who) for e in page.entries] == [
        ("task_done", "Task done: Send quote", "", (), "Riley Rep"),
        ("note", "Note", "Prefers email", (), "Riley Rep"),
        ("call", "Call · Connected · 15 min", "Talked budgets", (), "Riley Rep"),
        ("task_created", "Task created: Send quote (due Mar 12, 2026, 9:00\u202fAM)", "", (), "Riley Rep"),
        ("order", f"Order #{page.entries[4].id} · Paid · $1,234.50", "", (), None),
        ("stage_move", "Laptops: Qualified -> Proposal", "", (), "Riley Rep"),
        ("feedback", "Survey answer: NPS 9, CSAT 5", "Great service", (), None),
        ("campaign", "Contacted by campaign Spring mailing", "", (), None),
        ("change", "Details changed", "", ("Phone: +14155550123 -> +442079460958", "Owner: - -> Riley Rep"), "Admin"),
    ]
    assert page.next_cursor is None
    assert page.entries[5].deal_id == book["deal"] and page.entries[4].order_id == page.entries[4].id


def test_times_in_titles_are_on_the_readers_clock(engine, book):
    in_berlin = replace(book["rep"], time_zone="Europe/Berlin")  # 09:00 UTC is 10:00 in Berlin in March (CET)
    page = _page(engine, in_berlin, customer_id=book["mine"], kinds={"task"})
    assert [e.title for e in page.entries] == ["Task done: Send quote",
                                               "Task created: Send quote (due Mar 12, 2026, 10:00\u202fAM)"]


def test_filters_by_kind(engine, book):
    page = _page(engine, book["rep"], customer_id=book["mine"], kinds={"task", "note"})
    assert [e.kind for e in page.entries] == ["task_done", "note", "task_created"]
    with pytest.raises(ValueError):
        _page(engine, book["rep"], customer_id=book["mine"], kinds={"owner_id"})


def test_a_deal_timeline_holds_its_own_entries(engine, book):
    with Session(engine) as session:
        timeline.log_activity(session=session, actor=book["rep"], draft=ActivityDraft(kind="meeting", body="Demo"),
                              now=at(13), deal_id=book["deal"])
        session.commit()
    page = _page(engine, book["rep"], deal_id=book["deal"])
    assert [(e.kind, e.title) for e in page.entries] == [("meeting", "Meeting"),
                                                         ("stage_move", "Laptops: Qualified -> Proposal")]
    assert [e.title for e in _page(engine, book["rep"], customer_id=book["mine"], kinds={"meeting"}).entries] == [
        "Meeting"]


def test_a_rep_neither_reads_nor_writes_another_reps_timeline(engine, book):
    with pytest.raises(NotFound):
        _page(engine, book["rep"], customer_id=book["theirs"])
    with Session(engine) as session:
        with pytest.raises(NotFound):
            timeline.log_activity(session=session, actor=book["rep"], draft=ActivityDraft(kind="note", body="x"),
                                  now=NOW, customer_id=book["theirs"])
        with pytest.raises(PermissionDenied):
            timeline.log_activity(session=session, actor=book["exec"], draft=ActivityDraft(kind="note", body="x"),
                                  now=NOW, customer_id=book["mine"])
        theirs = session.exec(select(LoggedActivity.id).where(LoggedActivity.customer_id == book["theirs"])).one()
        for change in (lambda: timeline.delete_activity(session=session, actor=book["rep"], activity_id=theirs),
                       lambda: timeline.edit_activity(session=session, actor=book["rep"], activity_id=theirs,
                                                      draft=ActivityDraft(kind="note", body="mine now"), now=NOW)):
            with pytest.raises(NotFound):
                change()
    # Executives and admins read every timeline.
    assert [e.body for e in _page(engine, book["exec"], customer_id=book["theirs"]).entries] == ["Their secret"]
    assert [e.own for e in _page(engine, book["other"], customer_id=book["theirs"]).entries] == [True]


def test_edit_and_delete_of_ones_own_entry_are_audited(engine, book):
    with Session(engine) as session:
        entry = timeline.log_activity(session=session, actor=book["rep"], now=NOW, customer_id=book["mine"],
                                      draft=ActivityDraft(kind="call", body="Left a message", outcome="No answer"))
        timeline.edit_activity(session=session, actor=book["rep"], activity_id=entry.id, now=NOW + timedelta(hours=1),
                               draft=ActivityDraft(kind="call", body="Left a message", outcome="Left voicemail",
                                                   duration_minutes="2"))
        session.commit()
        newest = _page(engine, book["rep"], customer_id=book["mine"]).entries[0]
        assert (newest.title, newest.edited, newest.own) == ("Call · Left voicemail · 2 min", True, True)
        timeline.delete_activity(session=session, actor=book["rep"], activity_id=entry.id)
        session.commit()
        audit = session.exec(select(AuditLog.action, AuditLog.old_values, AuditLog.new_values)
                             .where(AuditLog.entity == "logged_activity").order_by(AuditLog.id)).all()
    assert [(action, old and sorted(old), new and sorted(new)) for action, old, new in audit] == [
        ("create", None, ["body", "customer_id", "deal_id", "duration_minutes", "kind", "occurred_at", "outcome"]),
        ("update", ["duration_minutes", "outcome"], ["duration_minutes", "outcome"]),
        ("delete", ["body", "customer_id", "deal_id", "duration_minutes", "kind", "occurred_at", "outcome"], None),
    ]
    assert audit[1][2] == {"duration_minutes": 2, "outcome": "Left voicemail"}
    assert audit[2][1]["body"] == "Left a message"


def test_keyset_pages_skip_and_repeat_nothing_while_entries_are_added(engine, book):
    with Session(engine) as session:
        for minute in range(23):  # three entries share each of some minutes: the kind and id order them
            moment = at(2) + timedelta(minutes=minute // 3)
            session.add(LoggedActivity(kind=("note", "call", "email")[minute % 3], body=f"entry {minute}",
                                       customer_id=book["mine"], author_id=book["rep"].id, occurred_at=moment))
        session.commit()
    everything = [(e.kind, e.id) for e in _page(engine, book["rep"], customer_id=book["mine"], limit=500).entries]
    seen, cursor, added = [], None, 0
    while True:
        page = _page(engine, book["rep"], customer_id=book["mine"], after=cursor, limit=7)
        seen += [(e.kind, e.id) for e in page.entries]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        with Session(engine) as session:  # newer entries land above the pages already read
            session.add(LoggedActivity(kind="note", body=f"added {added}", customer_id=book["mine"],
                                       author_id=book["rep"].id, occurred_at=NOW + timedelta(minutes=added)))
            session.commit()
        added += 1
    assert seen == everything
    assert len(everything) == 9 + 23


def test_a_cursor_at_a_shared_moment_resumes_between_entries_of_that_moment(engine, book):
    page = _page(engine, book["rep"], customer_id=book["mine"], after=Cursor(at=at(10), kind="note", id=0))
    assert [e.kind for e in page.entries[:2]] == ["call", "task_created"]


def test_a_follow_up_task_is_written_with_its_entry(engine, book, monkeypatch):
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    follow_up = TaskDraft(subject="Send the contract", due_on="2026-03-16", due_time="10:00")
    with write_session() as session:
        timeline.log_activity(session=session, actor=book["rep"], now=NOW, customer_id=book["mine"],
                              draft=ActivityDraft(kind="call", body="Agreed terms", outcome="Connected",
                                                  duration_minutes=20), follow_up=follow_up)
    page = _page(engine, book["rep"], customer_id=book["mine"])
    assert [e.title for e in page.entries[:2]] == ["Task created: Send the contract (due Mar 16, 2026, 10:00\u202fAM)",
                                                   "Call · Connected · 20 min"]


def test_a_failing_follow_up_leaves_no_partial_rows(engine, book, monkeypatch):
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))

    def counts():
        with Session(engine) as session:
            return [session.exec(select(func.count()).select_from(model)).one()
                    for model in (LoggedActivity, Activity, AuditLog)]

    before = counts()
    # A task the database refuses (no subject) after the entry and its audit row were flushed.
    broken = TaskDraft.model_construct(subject=None, kind=ActivityKind.task, due_on=date(2026, 3, 16),
                                       due_time=time(9), notes=None)
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        with write_session() as session:
            timeline.log_activity(session=session, actor=book["rep"], now=NOW, customer_id=book["mine"],
                                  draft=ActivityDraft(kind="note", body="Half written"), follow_up=broken)
    assert counts() == before


@pytest.mark.parametrize("fields, errors", [
    ({"kind": "fax", "body": "x"}, {"kind": "Choose note, call, email or meeting."}),
    ({"kind": "note", "body": "   "}, {"body": "Write what happened."}),
    ({"kind": "call", "body": "x", "outcome": "Great"},
     {"outcome": "Choose one of: Connected, Left voicemail, No answer, Wrong number."}),
    ({"kind": "meeting", "body": "x", "duration_minutes": "1441"},
     {"duration_minutes": "Enter the minutes it took, from 1 to 1,440."}),
    ({"kind": "call", "body": "x", "duration_minutes": ["1"]},
     {"duration_minutes": "Enter the minutes it took, from 1 to 1,440."}),
    ({"kind": "note", "body": "x" * 10_001}, {"body": "Keep it to 10,000 characters or fewer (it has 10,001)."}),
])
def test_drafts_are_checked_with_messages_per_field(fields, errors):
    from pydantic import ValidationError

    from crm_app.data.validation import field_errors

    with pytest.raises(ValidationError) as caught:
        ActivityDraft.model_validate(fields)
    assert field_errors(caught.value) == errors


def test_a_note_keeps_its_line_breaks_and_drops_call_fields():
    draft = ActivityDraft(kind="note", body="  first\r\nsecond\n\nthird  ", outcome="Connected", duration_minutes=5)
    assert (draft.body, draft.outcome, draft.duration_minutes) == ("first\nsecond\n\nthird", None, None)
