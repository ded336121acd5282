"""`crm-app privacy erase` leaves nothing of the person anywhere: not in stored model results, not as a phone
written another way, not in notes on other customers' records, not in the bytes of the SQLite database files and
not in dead row versions on PostgreSQL's pages (issue 13, item 7)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from crm_app.cli import main
from crm_app.data.db import engine_for
from crm_app.data.models import (
    Activity, ActivityKind, AuditLog, Customer, CustomerCreate, CustomerUpdate, Deal, DealStage, Feedback,
    FeedbackNote, LoggedActivity, ModelRun, Role, User,
)
from crm_app.data.repositories import customers
from crm_app.data.repositories.feedback import add_note
from crm_app.data.repositories.model_runs import record_model_run
from crm_app.data.repositories.tasks import TaskDraft, create_task
from crm_app.data.repositories.timeline import ActivityDraft, log_activity
from crm_app.data.repositories.users import actor_of
from crm_app.settings import get_settings
from tests.conftest import empty_database_url, migrate

NAME, EMAIL, OLD_EMAIL = "Zelda Quixote-Marsh", "zelda.qm@privacy-test.example", "zq@old-mailbox.example"
PHONE = "+14158534038"
PHONE_FORMATS = ("+1 415-853-4038", "(415) 853-4038", "4158534038", PHONE)
NATIONAL_NUMBER = "4158534038"


def _actor(session: Session, email: str):
    return actor_of(session.exec(select(User).where(User.email == email)).one())


@pytest.fixture
def zelda(engine: Engine) -> dict[str, int]:
    return _write_zelda(engine)


@pytest.fixture
def sqlite_engine(tmp_path, postgres_databases) -> Iterator[Engine]:
    url = empty_database_url("sqlite", tmp_path, postgres_databases)
    migrate(url)
    yield engine_for(url)
    engine_for(url).dispose()


@pytest.fixture
def postgres_engine(tmp_path, postgres_databases) -> Iterator[Engine]:
    url = empty_database_url("postgresql", tmp_path, postgres_databases)
    migrate(url)
    yield engine_for(url)
    engine_for(url).dispose()


def _write_zelda(engine: Engine) -> dict[str, int]:
    """Zelda and two other customers whose records mention her, written through the app where it has a way."""
    with Session(engine) as session:
        for email, role in (("admin@example.com", Role.admin), ("rep1@example.com", Role.sales_rep)):
            session.add(User(email=email, full_name=email.split("@")[0].title(), role=role, password_hash="x"))
        session.commit()
        rep = _actor(session, "rep1@example.com")
        details = {"region": "North America", "segment": "SMB", "acquisition_channel": "event"}
        her = customers.create_customer(session=session, actor=rep, customer_create=CustomerCreate(
            name=NAME, email=OLD_EMAIL, phone="+1 415-853-4038", **details))
        ada = customers.create_customer(session=session, actor=rep, customer_create=CustomerCreate(
            name="Ada Lovelace", email="ada@example.org", phone="+14155550199", **details))
        bob = customers.create_customer(session=session, actor=rep, customer_create=CustomerCreate(
            name="Bob Byron", email="bob@example.org", **details))
        session.commit()
        ids = {"zelda": her.id, "ada": ada.id, "bob": bob.id}
        customers.update_customer(session=session, actor=rep, customer_id=her.id, customer_update=CustomerUpdate(
            name=NAME, email=EMAIL, phone=PHONE, **details))
        # Her own tasks, each phone written another way (their audit rows copy the notes).
        for written in PHONE_FORMATS:
            create_task(session=session, actor=rep, customer_id=her.id, draft=TaskDraft(
                subject="Call back", due_on="2026-12-07", notes=f"Her mobile: {written}, ask for Zelda"))
        # Other customers' records that mention her.
        create_task(session=session, actor=rep, customer_id=ids["ada"], draft=TaskDraft(
            subject=f"Intro via {NAME}", due_on="2026-12-08",
            notes=f"Ada (+1 415-555-0199) knows zelda quixote-marsh: {EMAIL}, (415) 853-4038, old {OLD_EMAIL}."))
        log_activity(session=session, actor=rep, customer_id=ids["ada"], now=datetime(2026, 12, 1, tzinfo=UTC),
                     draft=ActivityDraft(kind="call", body=f"Ada says {NAME}\nis on (415) 853-4038"))
        session.add(Deal(title=f"Referral from {NAME}", customer_id=ids["bob"], owner_id=rep.id, amount=900,
                         stage=DealStage.lost, lost_reason=f"Went with {NAME}'s supplier; call 4158534038",
                         closed_at=datetime(2026, 11, 2, tzinfo=UTC)))
        answer = Feedback(customer_id=ids["bob"], nps=9, csat=5, comment=f"{NAME} recommended you (+1 415-853-4038)",
                          submitted_at=datetime(2026, 11, 3, tzinfo=UTC))
        session.add(answer)
        session.flush()
        add_note(session=session, actor=_actor(session, "admin@example.com"), feedback_id=answer.id,
                 body=f"Bob was referred by {NAME.upper()}, {EMAIL.upper()}")
        session.add(AuditLog(actor_id=rep.id, entity="task", entity_id=999, action="call",
                             new_values={"note": f"rang {PHONE} then +1 415-853-4038", "by": "rep1"}))
        # Stored model results: the CLV top list, the data-quality queue and the topic names.
        record_model_run(session=session, model="insights_clv", rows=3, seconds=0.1, summary={
            "report": "clv", "as_of": "2026-12-01", "top": [
                {"customer_id": her.id, "name": NAME, "clv": 812.5},
                {"customer_id": ids["ada"], "name": "Ada Lovelace", "clv": 640.0}]})
        record_model_run(session=session, model="insights_quality", rows=3, seconds=0.1, summary={
            "report": "quality", "queue": [{"customer_id": her.id, "name": NAME, "problems": f"phone {PHONE}"}]})
        record_model_run(session=session, model="feedback_topics", rows=1, seconds=0.1,
                         summary={"topics": {f"{EMAIL} (415) 853-4038": 1}})
        session.commit()
    return ids


def _text_values(engine: Engine) -> list[tuple[str, str]]:
    """(table.column, value as text) for every non-empty value of every string and JSON column of the schema."""
    found = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(getattr(column.type, "impl", column.type), (sa.String, sa.JSON)):  # AutoString too
                    values = connection.execute(sa.select(sa.cast(column, sa.Text)).where(column.is_not(None)))
                    found += [(f"{table.name}.{column.name}", value) for value in values.scalars()]
    return found


def _mentions_her(text: str) -> bool:
    lowered = text.lower()
    return (any(needle.lower() in lowered for needle in (NAME, EMAIL, OLD_EMAIL, *PHONE_FORMATS))
            or NATIONAL_NUMBER in re.sub(r"\D", "", text))


def _database_files(engine: Engine) -> list[Path]:
    database = Path(engine.url.database)
    return [path for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")) if path.exists()]


def _bytes_mentioning_her(data: bytes) -> list[str]:
    lowered = data.lower()
    return [needle for needle in (NAME, EMAIL, OLD_EMAIL, *PHONE_FORMATS) if needle.lower().encode() in lowered]


def _erase(engine: Engine, monkeypatch, customer_id: int) -> str:
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    erased = CliRunner().invoke(main, ["privacy", "erase", str(customer_id), "--yes"])
    assert erased.exit_code == 0, erased.output
    return erased.output


def test_no_text_column_holds_her_name_email_or_phone_in_any_format(engine, zelda, monkeypatch):
    assert {place for place, value in _text_values(engine) if _mentions_her(value)} >= {
        "customer.name", "customer.email", "customer.phone", "activity.notes", "activity.subject", "deal.title",
        "deal.lost_reason", "feedback.comment", "feedback_note.body", "audit_log.new_values", "model_run.summary",
        "logged_activity.body"}

    output = _erase(engine, monkeypatch, zelda["zelda"])

    assert [(place, value) for place, value in _text_values(engine) if _mentions_her(value)] == []
    # Redacted, not deleted: every other word, and the other people's details, stay.
    with Session(engine) as session:
        assert session.exec(select(Activity.subject, Activity.notes).where(
            Activity.customer_id == zelda["ada"])).one() == (
            "Intro via [erased]", "Ada (+1 415-555-0199) knows [erased]: [erased], [erased], old [erased].")
        assert session.exec(select(Activity.notes).where(Activity.customer_id == zelda["zelda"],
                                                         Activity.kind == ActivityKind.task)).all() == [
            "Her mobile: [erased], ask for Zelda"] * 4
        assert session.exec(select(Deal.title, Deal.lost_reason)).one() == (
            "Referral from [erased]", "Went with [erased]'s supplier; call [erased]")
        assert session.exec(select(Feedback.comment)).one() == "[erased] recommended you ([erased])"
        assert session.exec(select(FeedbackNote.body)).one() == "Bob was referred by [erased], [erased]"
        summaries = {run.model: run.summary for run in session.exec(select(ModelRun))}
        assert summaries["insights_clv"]["top"] == [
            {"customer_id": zelda["zelda"], "name": "[erased]", "clv": 812.5},
            {"customer_id": zelda["ada"], "name": "Ada Lovelace", "clv": 640.0}]
        assert summaries["insights_quality"]["queue"] == [
            {"customer_id": zelda["zelda"], "name": "[erased]", "problems": "phone [erased]"}]
        assert summaries["feedback_topics"] == {"topics": {"[erased] [erased]": 1}}
        assert session.get(Customer, zelda["ada"]).phone == "+14155550199"
        assert session.exec(select(LoggedActivity.body)).one() == "Ada says [erased]\nis on [erased]"
    # Her customer row, 4 tasks and their 4 audit rows, Ada's task and its audit row, the call logged on Ada and its
    # audit row, Bob's deal, answer and note, the call's audit row, the 3 model results.
    assert output == (f"Customer {zelda['zelda']} erased: 1 feedback answer, 1 feedback note, 1 deal, 5 tasks, "
                      "1 logged activity, 9 audit entries, 3 model results, 0 webhook events, 0 emails, 0 saved views, "
                      "and 0 API replies.\n")


def test_no_byte_of_the_sqlite_files_holds_her(sqlite_engine, monkeypatch):
    ids = _write_zelda(sqlite_engine)
    assert _bytes_mentioning_her(b"".join(path.read_bytes() for path in _database_files(sqlite_engine)))

    _erase(sqlite_engine, monkeypatch, ids["zelda"])

    # The files as a copy of the disk would show them while the app runs (its connections still open).
    assert {path.name: _bytes_mentioning_her(path.read_bytes()) for path in _database_files(sqlite_engine)} == {
        "crm.sqlite3": [], "crm.sqlite3-wal": [], "crm.sqlite3-shm": []}


@pytest.mark.postgres
def test_no_dead_row_version_on_postgresql_pages_holds_her(postgres_engine, monkeypatch):
    ids = _write_zelda(postgres_engine)
    assert _pages_mentioning_her(postgres_engine)

    _erase(postgres_engine, monkeypatch, ids["zelda"])

    assert _pages_mentioning_her(postgres_engine) == {}


def _pages_mentioning_her(engine: Engine) -> dict[str, list[str]]:
    """Every table, index and TOAST table of the app whose pages (read raw, dead row versions included) hold her."""
    found = {}
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pageinspect")
        relations = connection.exec_driver_sql(
            "SELECT c.oid::regclass::text, pg_relation_size(c.oid) / current_setting('block_size')::int "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 'i', 't') AND c.relpersistence = 'p'"
        ).all()
        for relation, pages in relations:
            data = b"".join(connection.execute(sa.text("SELECT get_raw_page(:relation, :page)"),
                                               {"relation": relation, "page": page}).scalar_one()
                            for page in range(pages))
            if needles := _bytes_mentioning_her(data):
                found[relation] = needles
        connection.rollback()
    return found


def test_a_name_in_letters_beyond_ascii_is_found_in_any_case_and_inside_stored_json(engine, monkeypatch):
    with Session(engine) as session:
        admin = User(email="admin@example.com", full_name="Admin", role=Role.admin, password_hash="x")
        zoe = Customer(name="Zoë Ångström", region="EMEA", segment="SMB", acquisition_channel="event")
        ada = Customer(name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event")
        session.add_all([admin, zoe, ada])
        session.flush()
        session.add(Activity(kind=ActivityKind.call, subject="Follow up", notes="Met ZOË ÅNGSTRÖM at the fair",
                             customer_id=ada.id, owner_id=admin.id, due_at=datetime(2026, 12, 7, tzinfo=UTC)))
        record_model_run(session=session, model="insights_clv", rows=2, seconds=0.1,
                         summary={"top": [{"customer_id": zoe.id, "name": "Zoë Ångström"}]})
        session.commit()
        zoe_id = zoe.id

    _erase(engine, monkeypatch, zoe_id)

    with Session(engine) as session:
        assert session.exec(select(Activity.notes)).one() == "Met [erased] at the fair"
        assert session.exec(select(ModelRun.summary)).one() == {"top": [{"customer_id": zoe_id, "name": "[erased]"}]}
