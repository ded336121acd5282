"""Tasks on SQLite and PostgreSQL: overdue/today/upcoming around an explicit now, ownership, done and undo, audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from crm_app.data.models import Activity, ActivityKind, AuditLog, Customer, Deal, Role, User
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import tasks
from crm_app.data.repositories.tasks import TaskDraft
from crm_app.data.repositories.users import actor_of
from crm_app.domain import DealStage
from crm_app.due_times import Reschedule
from tests.conftest import add_staff

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def desk(engine):
    """A rep and another rep with a customer and a deal each, and hand-placed tasks around NOW (14 March, 15:00)."""
    with Session(engine) as session:
        people = add_staff(session)
        mine = Customer(name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event",
                        owner_id=people["rep"].id)
        theirs = Customer(name="Grace Hopper", region="Americas", segment="SMB", acquisition_channel="web",
                          owner_id=people["other"].id)
        session.add_all([mine, theirs])
        session.flush()
        my_deal = Deal(title="Laptops", customer_id=mine.id, owner_id=people["rep"].id, amount=100,
                       stage=DealStage.proposal)
        their_deal = Deal(title="Chairs", customer_id=theirs.id, owner_id=people["other"].id, amount=100)
        session.add_all([my_deal, their_deal])
        session.flush()
        rep, other = people["rep"].id, people["other"].id

        def task(subject, owner, due, done_at=None, customer=mine.id, deal=None):
            row = Activity(kind=ActivityKind.call, subject=subject, owner_id=owner, customer_id=customer,
                           deal_id=deal, due_at=due, done=done_at is not None, done_at=done_at)
            session.add(row)
            return row

        rows = {
            "last week": task("last week", rep, at(7)),
            "yesterday 23:59": task("yesterday 23:59", rep, at(13, 23, 59)),
            "today 00:00": task("today 00:00", rep, at(14, 0), deal=my_deal.id),
            "today 18:00": task("today 18:00", rep, at(14, 18)),
            "tomorrow 00:00": task("tomorrow 00:00", rep, at(15, 0)),
            "next month": task("next month", rep, datetime(2026, 4, 2, 9, tzinfo=UTC)),
            "done yesterday": task("done yesterday", rep, at(13), done_at=at(13, 10)),
            "done long ago": task("done long ago", rep, at(1), done_at=at(1, 10)),
            "other's today": task("other's today", other, at(14, 10), customer=theirs.id),
        }
        # An activity without a due date is a log entry, not a task.
        session.add(Activity(kind=ActivityKind.email, subject="sent brochure", owner_id=rep, customer_id=mine.id))
        session.commit()
        return {name: actor_of(user) for name, user in people.items()} | {
            "mine": mine.id, "theirs": theirs.id, "my_deal": my_deal.id, "their_deal": their_deal.id,
            "tasks": {name: row.id for name, row in rows.items()},
        }


def _board(engine, actor, **kwargs):
    with Session(engine) as session:
        board = tasks.task_board(session=session, actor=actor, now=NOW, **kwargs)
    return {name: ([row.subject for row in bucket.rows], bucket.total)
            for name, bucket in vars(board).items()}


def test_buckets_around_an_explicit_now(engine, desk):
    assert _board(engine, desk["rep"]) == {
        "overdue": (["yesterday 23:59", "last week"], 2),
        "today": (["today 00:00", "today 18:00"], 2),
        "upcoming": (["tomorrow 00:00", "next month"], 2),
        "recently_done": (["done yesterday"], 1),
    }


def test_a_bucket_shows_its_first_rows_and_counts_them_all(engine, desk):
    assert _board(engine, desk["rep"], limit=1)["overdue"] == (["yesterday 23:59"], 2)


def test_buckets_are_paged_by_the_database_overdue_newest_first(engine, desk):
    with Session(engine) as session:
        session.add_all(Activity(kind=ActivityKind.task, subject=f"old {n:03}", owner_id=desk["rep"].id,
                                 customer_id=desk["mine"], due_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n))
                        for n in range(1, 121))  # hourly from 1 January 01:00 UTC
        session.commit()

    def page(number):
        with Session(engine) as session:
            bucket = tasks.task_board(session=session, actor=desk["rep"], now=NOW,
                                      pages={"overdue": number}).overdue
        return [row.subject for row in bucket.rows], bucket.total, bucket.page

    first, second, third = page(0), page(1), page(2)
    assert first == (["yesterday 23:59", "last week"] + [f"old {n:03}" for n in range(120, 72, -1)], 122, 0)
    assert second == ([f"old {n:03}" for n in range(72, 22, -1)], 122, 1)
    assert third == ([f"old {n:03}" for n in range(22, 0, -1)], 122, 2)
    # A page past the end (tasks done meanwhile) shows the last one; a hostile page number the first.
    assert page(9) == third
    assert page(-3)[2] == page("1")[2] == 0


def test_executives_and_admins_read_everyones_tasks_or_one_owners(engine, desk):
    assert _board(engine, desk["exec"])["today"] == (["today 00:00", "other's today", "today 18:00"], 3)
    assert _board(engine, desk["admin"], owner_id=desk["other"].id)["today"] == (["other's today"], 1)
    # A rep cannot widen their view with an owner id.
    assert _board(engine, desk["rep"], owner_id=desk["other"].id)["today"] == (["today 00:00", "today 18:00"], 2)


def test_rows_name_the_customer_and_the_deal(engine, desk):
    with Session(engine) as session:
        row = tasks.task_board(session=session, actor=desk["rep"], now=NOW).today.rows[0]
    assert (row.customer_name, row.deal_title, row.owner_name, row.due_at) == ("Ada Lovelace", "Laptops", "Rep",
                                                                                at(14, 0))


def _draft(**changes):
    return TaskDraft.model_validate({"subject": "Call about the quote", "kind": "call", "due_on": "2026-03-16",
                                     "due_time": "10:30", "notes": ""} | changes)


def test_a_rep_creates_tasks_on_their_own_customers_and_deals(engine, desk):
    with Session(engine) as session:
        on_deal = tasks.create_task(session=session, actor=desk["rep"], draft=_draft(), deal_id=desk["my_deal"])
        on_customer = tasks.create_task(session=session, actor=desk["rep"], draft=_draft(due_time=""),
                                        customer_id=desk["mine"])
        session.commit()
        assert (on_deal.customer_id, on_deal.deal_id, on_deal.owner_id) == (desk["mine"], desk["my_deal"],
                                                                             desk["rep"].id)
        assert session.get(Activity, on_deal.id).due_at == datetime(2026, 3, 16, 10, 30, tzinfo=UTC)
        assert session.get(Activity, on_customer.id).due_at == datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
        created = session.exec(select(AuditLog).where(AuditLog.entity == "task").order_by(AuditLog.id)).all()
        assert [(a.entity_id, a.action) for a in created] == [(on_deal.id, "create"), (on_customer.id, "create")]
        assert created[0].new_values["subject"] == "Call about the quote"


def test_nobody_creates_tasks_on_what_they_do_not_own_and_executives_create_none(engine, desk):
    with Session(engine) as session:
        for target in ({"customer_id": desk["theirs"]}, {"deal_id": desk["their_deal"]},
                       {"customer_id": desk["mine"], "deal_id": desk["their_deal"]},
                       {"customer_id": desk["theirs"], "deal_id": desk["my_deal"]}):
            with pytest.raises(NotFound):
                tasks.create_task(session=session, actor=desk["rep"], draft=_draft(), **target)
        with pytest.raises(PermissionDenied):
            tasks.create_task(session=session, actor=desk["exec"], draft=_draft(), customer_id=desk["mine"])
        with pytest.raises(ValueError):
            tasks.create_task(session=session, actor=desk["rep"], draft=_draft())
        session.rollback()
        assert session.exec(select(AuditLog)).all() == []


def test_done_undo_and_delete_are_the_owners_and_audited(engine, desk):
    task_id = desk["tasks"]["today 18:00"]
    with Session(engine) as session:
        for actor, refusal in (("other", NotFound), ("exec", PermissionDenied)):
            with pytest.raises(refusal):
                tasks.set_task_done(session=session, actor=desk[actor], task_id=task_id, done=True, now=NOW)
        tasks.set_task_done(session=session, actor=desk["rep"], task_id=task_id, done=True, now=NOW)
        session.commit()
    assert _board(engine, desk["rep"])["recently_done"] == (["today 18:00", "done yesterday"], 2)
    with Session(engine) as session:
        tasks.set_task_done(session=session, actor=desk["rep"], task_id=task_id, done=False, now=NOW)
        with pytest.raises(NotFound):
            tasks.delete_task(session=session, actor=desk["other"], task_id=task_id)
        tasks.delete_task(session=session, actor=desk["admin"], task_id=desk["tasks"]["last week"])
        session.commit()
        audit = session.exec(select(AuditLog).where(AuditLog.entity == "task").order_by(AuditLog.id)).all()
    assert [(a.action, a.old_values, a.new_values) for a in audit[:2]] == [
        ("update", {"done": False, "done_at": None}, {"done": True, "done_at": NOW.isoformat()}),
        ("update", {"done": True, "done_at": NOW.isoformat()}, {"done": False, "done_at": None}),
    ]
    assert (audit[2].action, audit[2].old_values["subject"], audit[2].actor_id) == ("delete", "last week",
                                                                                  desk["admin"].id)
    board = _board(engine, desk["rep"])
    assert board["today"] == (["today 00:00", "today 18:00"], 2)
    assert board["overdue"] == (["yesterday 23:59"], 1)


@pytest.mark.parametrize("field, value", [
    ("subject", "   "), ("subject", "x" * 201), ("subject", None), ("kind", "party"), ("due_on", ""),
    ("due_on", "2026-02-30"), ("due_on", "1900-01-01"), ("due_time", "25:00"), ("due_time", "noon"),
    ("notes", "x" * 4001),
])
def test_bad_task_values_are_refused_on_their_field(field, value):
    with pytest.raises(ValidationError) as refused:
        _draft(**{field: value})
    assert [error["loc"] for error in refused.value.errors()] == [(field,)]


def test_a_due_day_without_a_time_is_at_nine():
    assert _draft(due_time=None).due_at_in(None) == datetime.combine(date(2026, 3, 16), time(9), tzinfo=UTC)


def _in_zone(actor, time_zone):
    return replace(actor, time_zone=time_zone)


def test_due_times_are_typed_on_the_users_clock_and_stored_in_utc(engine, desk):
    berlin = _in_zone(desk["rep"], "Europe/Berlin")
    with Session(engine) as session:
        task = tasks.create_task(session=session, actor=berlin, draft=_draft(), customer_id=desk["mine"])
        session.commit()
        # 16 March is CET (UTC+1): 10:30 in Berlin is 09:30 UTC.
        assert session.get(Activity, task.id).due_at == datetime(2026, 3, 16, 9, 30, tzinfo=UTC)
    # "Today" follows the clock `now` is given on: 14 March 00:00 UTC is yesterday in New York.
    new_york_now = NOW.astimezone(ZoneInfo("America/New_York"))
    assert _board(engine, desk["rep"])["today"][0][0] == "today 00:00"
    with Session(engine) as session:
        board = tasks.task_board(session=session, actor=desk["rep"], now=new_york_now)
    assert [row.subject for row in board.overdue.rows][:1] == ["today 00:00"]


def test_a_task_is_edited_by_its_owner_or_an_admin_and_audited(engine, desk):
    task_id = desk["tasks"]["today 18:00"]
    changed = _draft(subject="Send the quote", kind="email", due_on="2026-03-20", due_time="14:15",
                     notes="They asked twice")
    with Session(engine) as session:
        for actor, refusal in (("other", NotFound), ("exec", PermissionDenied)):
            with pytest.raises(refusal):
                tasks.update_task(session=session, actor=desk[actor], task_id=task_id, draft=changed)
        with pytest.raises(NotFound):  # a logged activity without a due date is no task
            tasks.update_task(session=session, actor=desk["admin"], task_id=10**6, draft=changed)
        tasks.update_task(session=session, actor=_in_zone(desk["rep"], "Europe/Berlin"), task_id=task_id,
                          draft=changed)
        session.commit()
        task = session.get(Activity, task_id)
        assert (task.subject, task.kind, task.notes, task.due_at) == (
            "Send the quote", "email", "They asked twice", datetime(2026, 3, 20, 13, 15, tzinfo=UTC))
        audit = session.exec(select(AuditLog).where(AuditLog.entity == "task")).one()
    assert (audit.action, audit.old_values, audit.new_values) == (
        "update",
        {"kind": "call", "subject": "today 18:00", "notes": None, "due_at": at(14, 18).isoformat()},
        {"kind": "email", "subject": "Send the quote", "notes": "They asked twice",
         "due_at": datetime(2026, 3, 20, 13, 15, tzinfo=UTC).isoformat()},
    )


def test_one_click_reschedule_is_on_the_users_clock(engine, desk):
    task_id = desk["tasks"]["last week"]
    with Session(engine) as session:
        with pytest.raises(NotFound):
            tasks.reschedule_task(session=session, actor=desk["other"], task_id=task_id,
                                  choice=Reschedule.tomorrow, now=NOW)
        # NOW is Saturday 14 March 15:00 UTC = 08:00 in Los Angeles (PDT): tomorrow 09:00 there is 16:00 UTC.
        tasks.reschedule_task(session=session, actor=_in_zone(desk["rep"], "America/Los_Angeles"),
                              task_id=task_id, choice=Reschedule.tomorrow, now=NOW)
        session.commit()
        assert session.get(Activity, task_id).due_at == datetime(2026, 3, 15, 16, 0, tzinfo=UTC)
    assert _board(engine, desk["rep"])["upcoming"][0][:2] == ["tomorrow 00:00", "last week"]


def test_only_admins_hand_a_task_to_an_active_rep_or_admin(engine, desk):
    task_id = desk["tasks"]["today 18:00"]
    with Session(engine) as session:
        for actor, refusal in (("rep", PermissionDenied), ("other", PermissionDenied), ("exec", PermissionDenied)):
            with pytest.raises(refusal):
                tasks.reassign_task(session=session, actor=desk[actor], task_id=task_id, owner_id=desk["other"].id)
        for owner in (desk["exec"].id, 10**6):
            with pytest.raises(NotFound):
                tasks.reassign_task(session=session, actor=desk["admin"], task_id=task_id, owner_id=owner)
        session.get(User, desk["other"].id).is_active = False
        session.flush()
        with pytest.raises(NotFound):
            tasks.reassign_task(session=session, actor=desk["admin"], task_id=task_id, owner_id=desk["other"].id)
        session.rollback()
        tasks.reassign_task(session=session, actor=desk["admin"], task_id=task_id, owner_id=desk["other"].id)
        session.commit()
        audit = session.exec(select(AuditLog).where(AuditLog.entity == "task")).one()
    assert (audit.old_values, audit.new_values) == ({"owner_id": desk["rep"].id}, {"owner_id": desk["other"].id})
    assert "today 18:00" not in _board(engine, desk["rep"])["today"][0]
    assert _board(engine, desk["other"])["today"] == (["other's today", "today 18:00"], 2)
