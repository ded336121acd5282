"""`crm-app backup` / `restore`: a copy taken while the app writes restores into a fresh database, every row intact."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from crm_app.cli import main
from crm_app.data.backup import DatabaseNotEmpty, backup_database, restore_database, table_row_counts
from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Feedback
from crm_app.data.seed import seed_demo_company
from crm_app.settings import get_settings
from tests.conftest import empty_database_url

SIZES = dict(seed=5, customers=60, orders=400)
COMPARED_TABLES = ("app_user", "customer", "sales_order", "order_line", "deal", "feedback", "audit_log")


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _fresh_database(engine: Engine, tmp_path, postgres_databases) -> str:
    """A new, empty (not even migrated) database of the same kind as `engine`'s."""
    kind = "sqlite" if engine.dialect.name == "sqlite" else "postgresql"
    return empty_database_url(kind, tmp_path / "restored", postgres_databases)


def _rows(url: str, table: str) -> list[tuple]:
    columns = SQLModel.metadata.tables[table]
    with engine_for(url).connect() as connection:
        return [tuple(row) for row in connection.execute(sa.select(columns).order_by(columns.c.id))]


def _keep_writing_feedback(engine: Engine, stop: threading.Event, written: list[int]) -> None:
    """The app at work: one answer after another until told to stop."""
    while not stop.is_set():
        with Session(engine) as session:
            session.add(Feedback(csat=4, nps=9, comment=f"written during the backup {len(written)}"))
            session.commit()
        written.append(1)


def test_backup_taken_while_writing_restores_every_row(engine, tmp_path, postgres_databases):
    seed_demo_company(engine=engine, **SIZES)
    source = _url(engine)
    seeded = table_row_counts(source)
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_keep_writing_feedback, args=(engine, stop, written))
    writer.start()
    try:
        while len(written) < 20:  # the backup starts with the writer in full flow
            threading.Event().wait(0.01)
        result = backup_database(database_url=source, target=tmp_path / "crm.backup")
        written_by_end_of_backup = len(written)
    finally:
        stop.set()
        writer.join()
    target = _fresh_database(engine, tmp_path, postgres_databases)

    restored = restore_database(database_url=target, source=result.path)

    assert result.bytes > 0 and not (tmp_path / "crm.backup.partial").exists()
    assert {name: count for name, count in restored.items() if name != "feedback"} == {
        name: count for name, count in seeded.items() if name != "feedback"}
    # The copy is one consistent moment: every answer written before it, none half-written.
    assert seeded["feedback"] + 20 <= restored["feedback"] <= seeded["feedback"] + written_by_end_of_backup
    for table in COMPARED_TABLES:
        copied = _rows(target, table)
        assert copied == _rows(source, table)[:len(copied)], table


def test_restored_database_is_intact_and_takes_new_rows(engine, tmp_path, postgres_databases):
    seed_demo_company(engine=engine, **SIZES)
    backup = backup_database(database_url=_url(engine), target=tmp_path / "crm.backup").path
    target = _fresh_database(engine, tmp_path, postgres_databases)
    restore_database(database_url=target, source=backup)
    restored = engine_for(target)

    with restored.connect() as connection:
        if restored.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        foreign_keys = sum(len(sa.inspect(connection).get_foreign_keys(name)) for name in SQLModel.metadata.tables)
    assert foreign_keys == sum(len(table.foreign_keys) for table in SQLModel.metadata.tables.values())
    with Session(restored) as session:  # foreign keys are enforced, and ids carry on after the restored ones
        session.add(Feedback(csat=3, nps=5, customer_id=10_000))
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()
        session.rollback()
        customer = Customer(name="After restore", region="EMEA", segment="SMB", acquisition_channel="event")
        session.add(customer)
        session.commit()
        assert customer.id == SIZES["customers"] + 1


def test_restore_refuses_a_database_holding_data_unless_forced(engine, tmp_path):
    seed_demo_company(engine=engine, **SIZES)
    backup = backup_database(database_url=_url(engine), target=tmp_path / "crm.backup").path
    with Session(engine) as session:
        session.add(Customer(name="Added after the backup", region="EMEA", segment="SMB", acquisition_channel="event"))
        session.commit()

    with pytest.raises(DatabaseNotEmpty, match="--force"):
        restore_database(database_url=_url(engine), source=backup)
    assert table_row_counts(_url(engine))["customer"] == SIZES["customers"] + 1

    restored = restore_database(database_url=_url(engine), source=backup, force=True)
    assert restored["customer"] == SIZES["customers"]
    with Session(engine_for(_url(engine))) as session:
        assert session.exec(select(Customer).where(Customer.name == "Added after the backup")).first() is None


def test_cli_backs_up_and_refuses_to_overwrite_without_force(engine, tmp_path, monkeypatch):
    seed_demo_company(engine=engine, **SIZES)
    monkeypatch.setattr(get_settings(), "database_url", _url(engine))
    runner = CliRunner()
    backup_file = tmp_path / "nightly.backup"

    backed_up = runner.invoke(main, ["backup", str(backup_file)])
    refused = runner.invoke(main, ["restore", str(backup_file)])
    forced = runner.invoke(main, ["restore", str(backup_file), "--force"])

    assert backed_up.exit_code == 0 and backed_up.output.startswith(f"Backed up to {backup_file} (")
    assert refused.exit_code == 1 and "already holds data; restore with --force" in refused.output
    rows = table_row_counts(_url(engine))
    assert forced.exit_code == 0
    assert forced.output == f"Restored {sum(rows.values()):,} rows in {len(rows)} tables from {backup_file}.\n"
