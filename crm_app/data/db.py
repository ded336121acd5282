"""The single engine/session seam. Every query in the app opens its session here."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from crm_app.settings import get_settings


def _prepare_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # pysqlite's own transaction handling defers BEGIN; take the write lock up front
    # so two writers queue on busy_timeout instead of failing with "database is locked".
    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per database URL for the life of the process."""
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "isolation_level": None},
        )
        _prepare_sqlite(engine, get_settings().sqlite_busy_timeout_ms)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@lru_cache(maxsize=8)
def _sqlite_writer_lock(url: str) -> threading.Lock:
    return threading.Lock()


def _writer_turn(engine: Engine):
    """SQLite takes one writer at a time: this process's writers queue on a lock, in turn, instead of polling the
    file lock (busy_timeout backs off up to 100 ms a try, so under load one writer can starve past its timeout).
    Writers in other processes still meet on busy_timeout. PostgreSQL needs no turn."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    return _sqlite_writer_lock(engine.url.render_as_string(hide_password=False))


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for queries; nothing it does is committed."""
    with Session(get_engine()) as session:
        yield session


@contextmanager
def write_session() -> Iterator[Session]:
    """A session whose work is committed at the end of the block, or rolled back entirely on error."""
    engine = get_engine()
    with _writer_turn(engine), engine.connect() as connection:
        connection.info["write"] = True
        try:
            with Session(bind=connection) as session, connection.begin():
                yield session
                session.flush()
        finally:
            connection.info.pop("write", None)
