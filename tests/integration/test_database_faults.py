"""A database that answers but takes no write is reported as such, and writes resume by themselves once it takes
them again (no restart); a query error is never reported as an outage.

SQLite: the database file is made immutable (`chattr +i`: the tests run as root, whom a chmod does not stop).
PostgreSQL: the throw-away database gets `default_transaction_read_only`, which every session opened from then on
takes (as after a failover to a standby) and keeps for its life."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlmodel import Session, func, select

from crm_app import rate_limit
from crm_app.data.db import DatabaseFault, database_fault, engine_for, write_session
from crm_app.data.models import Customer, Feedback
from crm_app.serving import DATABASE_AWAY, DATABASE_READ_ONLY, report_backend_error
from tests.conftest import POSTGRES_ADMIN_URL, migrate, serve_api_on


def _answer(n: int) -> dict:
    return {"csat": 4, "nps": 9, "comment": "Fine", "submission_id": f"faults-answer-{n:03d}"}


def _add_customer(name: str) -> None:
    with write_session() as session:
        session.add(Customer(name=name, region="EMEA", segment="SMB", acquisition_channel="event"))


def _count(url: str, model) -> int:
    with Session(engine_for(url)) as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def app_on(monkeypatch) -> Iterator:
    """Point the app at a migrated database URL; returns a TestClient of the API."""
    engines = []

    def point(url: str) -> TestClient:
        migrate(url)
        engines.append(engine_for(url))
        return serve_api_on(monkeypatch, url)

    yield point
    for engine in engines:
        engine.dispose()
    rate_limit._limiter.cache_clear()


def _read_only_then_writable_again(client: TestClient, url: str, make_read_only, make_writable) -> None:
    """The journey both databases must pass; `make_read_only` leaves the app's engine as a running worker's."""
    assert client.get("/api/health").json() == {"status": "ok", "app": "ok", "database": "ok"}
    assert client.post("/api/feedback", json=_answer(1)).status_code == 201

    make_read_only()
    health = client.get("/api/health")
    refused = client.post("/api/feedback", json=_answer(2))
    with pytest.raises(sa.exc.DBAPIError) as write_failed:
        _add_customer("Refused while read-only")
    assert (health.status_code, health.json()) == (503, {"status": "degraded", "app": "ok", "database": "read_only"})
    assert (refused.status_code, refused.json()) == (503, {"reason": "read_only"})
    assert database_fault(write_failed.value) == DatabaseFault.read_only
    toast = str(report_backend_error(write_failed.value))
    assert DATABASE_READ_ONLY in toast and DATABASE_AWAY not in toast

    make_writable()  # and nothing restarted
    health = client.get("/api/health")
    resent = client.post("/api/feedback", json=_answer(2))
    _add_customer("Saved once writable again")
    assert (health.status_code, health.json()["database"]) == (200, "ok")
    assert resent.status_code == 201
    assert (_count(url, Feedback), _count(url, Customer)) == (2, 1)


def _immutable(path: Path, on: bool) -> None:
    subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True)


def test_sqlite_file_made_read_only_mid_run_is_reported_and_recovered(app_on, tmp_path):
    database = tmp_path / "crm.sqlite3"
    url = f"sqlite:///{database}"
    client = app_on(url)

    def make_read_only() -> None:
        _immutable(database, True)
        # The connections a worker opens from now on (a respawned worker, a growing pool) open it read-only.
        engine_for(url).dispose()

    try:
        _read_only_then_writable_again(client, url, make_read_only, lambda: _immutable(database, False))
    finally:
        _immutable(database, False)


@pytest.mark.postgres
def test_postgresql_database_made_read_only_is_reported_and_recovered(app_on, postgres_databases):
    url = postgres_databases.create()
    name = make_url(url).database
    client = app_on(url)
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def read_only(on: bool) -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = '
                                       f'{"on" if on else "off"}')
            if on:  # a failover: the server drops every session; the app's pool reconnects on its own
                connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                           "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})

    try:
        _read_only_then_writable_again(client, url, lambda: read_only(True), lambda: read_only(False))
    finally:
        admin.dispose()


def test_a_query_error_is_not_reported_as_an_outage(engine):
    """SQLite's full-text index raised on a NUL in a search term; the page then said the database was away."""
    with Session(engine) as session, pytest.raises(sa.exc.DBAPIError) as failed:
        if engine.dialect.name == "sqlite":
            session.execute(sa.text("SELECT rowid FROM customer_search WHERE customer_search MATCH 'a\x00b'"))
        else:
            session.execute(sa.text("SELECT no_such_column FROM customer"))
    assert database_fault(failed.value) is None
    toast = str(report_backend_error(failed.value))
    assert "An error occurred." in toast and DATABASE_AWAY not in toast and DATABASE_READ_ONLY not in toast
