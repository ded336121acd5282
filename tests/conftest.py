"""Shared test fixtures: throw-away migrated databases on SQLite and on the running PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from crm_app.data.db import engine_for
from crm_app.data.models import Role, User
from crm_app.settings import PROJECT_ROOT

# The admin connection used to create and drop throw-away databases.
POSTGRES_ADMIN_URL = os.environ.get(
    "CRM_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


T = TypeVar("T")


def run_async(coroutine: Coroutine[object, object, T]) -> T:
    """Run a coroutine to its end on a fresh event loop in its own thread. asyncio.run() on the main thread fails
    once the e2e tests have started Playwright's sync API, which leaves its loop marked running there."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    return config


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


class PostgresDatabases:
    """Creates databases with unique names on the test server and drops them afterwards."""

    def __init__(self, admin_url: str) -> None:
        self._admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self._created: list[str] = []

    def create(self) -> str:
        name = f"crm_test_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for name in self._created:
            engine_for.cache_clear()
            with self._admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(POSTGRES_ADMIN_URL)
    yield databases
    databases.drop_all()


def empty_database_url(kind: str, tmp_path: Path, postgres_databases: PostgresDatabases) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    return postgres_databases.create()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path, postgres_databases) -> str:
    """The URL of a new, empty database: SQLite in tmp_path, or a throw-away PostgreSQL database."""
    return empty_database_url(request.param, tmp_path, postgres_databases)


@pytest.fixture
def engine(empty_database: str) -> Iterator[Engine]:
    """An engine on a freshly migrated database, through the app's own engine seam (pragmas included)."""
    migrate(empty_database)
    engine = engine_for(empty_database)
    yield engine
    engine.dispose()


def serve_api_on(monkeypatch, url: str):
    """A TestClient of the JSON API with the app pointed at `url`, the survey's rate limit out of the way and no
    Redis; clear rate_limit._limiter's cache when done."""
    from fastapi.testclient import TestClient

    from crm_app import rate_limit
    from crm_app.api import api
    from crm_app.settings import get_settings

    settings = get_settings()
    monkeypatch.setattr(settings, "database_url", url)
    monkeypatch.setattr(settings, "feedback_rate_limit", "1000/minute")
    monkeypatch.setattr(settings, "redis_url", None)
    rate_limit._limiter.cache_clear()
    return TestClient(api)


@pytest.fixture
def api_client(engine, monkeypatch):
    """serve_api_on the `engine` fixture's database."""
    from crm_app import rate_limit

    yield serve_api_on(monkeypatch, engine.url.render_as_string(hide_password=False))
    rate_limit._limiter.cache_clear()


def add_staff(session: Session) -> dict[str, User]:
    """An admin, an executive and two sales reps ("rep" and "other"), flushed so they have ids."""
    people = {name: User(email=f"{name}@example.com", full_name=name.title(), role=role, password_hash="x")
              for name, role in [("admin", Role.admin), ("exec", Role.executive), ("rep", Role.sales_rep),
                                 ("other", Role.sales_rep)]}
    session.add_all(people.values())
    session.flush()
    return people
