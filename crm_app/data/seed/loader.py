"""Loading the demo company: `seed_demo_company` generates it and loads the frames in one transaction, each table
stored while the next is drawn, on another thread. On SQLite through Apache Arrow's ADBC driver, whole columns at
a time, with the indexes and triggers made again after the load (sqlite_ingest); on PostgreSQL with SQLAlchemy
Core executemany, which binds rows in batches instead of building one ORM object per row.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from crm_app.data.db import writer_connection
from crm_app.data.models import User
from crm_app.data.security import hash_password
from crm_app.data.seed.company import SeedSummary, python_values
from crm_app.data.seed.generator import DEFECTS, demo_company_parts
from crm_app.data.seed.market import DEFAULT_AS_OF, DEMO_LOGINS
from crm_app.data.seed.sqlite_ingest import SqliteIngest, sqlite_ingest
from crm_app.settings import get_settings


# --- loading -----------------------------------------------------------------------------

_ROWS_PER_INSERT = 20_000


def seed_demo_company(
    *, engine: Engine, seed: int = 7, customers: int = 2_000, orders: int = 20_000, as_of: date = DEFAULT_AS_OF
) -> SeedSummary:
    """Generate the demo company and load it into a migrated database that has no users yet, in one transaction.

    Raises RuntimeError when the database already has users, so a real CRM is never mixed with demo data.
    """
    started = time.perf_counter()
    with _loading(engine) as load:
        _refuse_unless_empty(load.users(User.__table__))
        with _DrawnAlongside(demo_company_parts(seed=seed, customers=customers, orders=orders, as_of=as_of)) as parts:
            rows = _insert_company(load, parts)
    return SeedSummary(rows=rows, generate_seconds=parts.seconds, seconds=time.perf_counter() - started)


def _loading(engine: Engine) -> AbstractContextManager[SqliteIngest | _SqlAlchemyLoad]:
    """The load's one transaction, holding the database's write lock from the emptiness check on.

    On SQLite the engine's pooled connections are closed first: the ADBC driver brings its own copy of SQLite, and
    two copies in one process do not see each other's locks (POSIX locks belong to the process), so a connection
    of the sqlite3 module left open on the file would go unnoticed, keep a write-ahead log the load has left, and
    lose the locks it holds when the load closes the file. The load's process must keep no other connection to the
    file open meanwhile (`crm-app seed` and `setup` keep none); other processes' connections are seen as usual."""
    if engine.dialect.name == "sqlite":
        engine.dispose()
        return sqlite_ingest(engine.url.database, busy_timeout_ms=get_settings().sqlite_busy_timeout_ms)
    return _sqlalchemy_load(engine)


class _DrawnAlongside:
    """The demo company's frames drawn on a thread of their own while the caller stores those drawn before: numpy
    draws and SQLite writes with the GIL released, so generating and loading share the two cores instead of
    taking turns. A failure while drawing is raised where the caller reads the next frame; when the caller
    stops, drawing stops after the frame at hand."""

    _DONE = object()

    def __init__(self, parts: Iterator[tuple[str, pd.DataFrame]]):
        self._parts, self._drawn, self._stop = parts, queue.SimpleQueue(), threading.Event()
        self._thread = threading.Thread(target=self._draw, name="seed-draw", daemon=True)
        self.seconds = 0.0  # drawing's own time, alongside the load

    def _draw(self) -> None:
        started = time.perf_counter()
        try:
            for part in self._parts:
                if self._stop.is_set():
                    return
                self._drawn.put(part)
            self._drawn.put(self._DONE)
        except BaseException as failure:  # noqa: BLE001 - raised again on the caller's thread
            self._drawn.put(failure)
        finally:
            self.seconds = time.perf_counter() - started

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        while (part := self._drawn.get()) is not self._DONE:
            if isinstance(part, BaseException):
                raise part
            yield part

    def __enter__(self) -> _DrawnAlongside:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def _sqlalchemy_load(engine: Engine) -> Iterator[_SqlAlchemyLoad]:
    # On SQLite, the write lock taken before checking emptiness.
    with writer_connection(engine) as connection, connection.begin():
        yield _SqlAlchemyLoad(connection)


@dataclass(frozen=True)
class _SqlAlchemyLoad:
    """The open load through SQLAlchemy: `insert` stores a frame, `users` counts the sign-ins already there."""

    connection: Connection

    def users(self, table: sa.Table) -> int:
        return self.connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()

    def insert(self, table: sa.Table, frame: pd.DataFrame) -> None:
        """executemany in slices, so memory stays flat and the driver batches rows (insertmanyvalues on
        PostgreSQL); then PostgreSQL's id sequence is moved past the explicit ids so the app's inserts don't
        collide."""
        statement = table.insert()
        for start in range(0, len(frame), _ROWS_PER_INSERT):
            self.connection.execute(statement, list(_records(frame.iloc[start:start + _ROWS_PER_INSERT])))
        if self.connection.dialect.name == "postgresql" and len(frame):
            self.connection.execute(sa.text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last_id)"),
                                    {"table": table.name, "last_id": int(frame["id"].max())})


def _refuse_unless_empty(users: int) -> None:
    if users:
        raise RuntimeError(
            f"The database already has {users} user(s); the demo company only loads into an empty, migrated database."
        )


def _insert_company(load: SqliteIngest | _SqlAlchemyLoad, parts: Iterable[tuple[str, pd.DataFrame]]
                    ) -> dict[str, int]:
    """Insert every table as it comes, in foreign-key order; returns the rows inserted per table."""
    rows: dict[str, int] = {}
    for name, frame in parts:
        if name == DEFECTS:  # the generator's ground truth, not a table
            continue
        if name == User.__tablename__:
            frame = _with_password_hashes(frame)
        load.insert(SQLModel.metadata.tables[name], frame)
        rows[name] = len(frame)
    return rows


def _with_password_hashes(users: pd.DataFrame) -> pd.DataFrame:
    passwords = {login.email: login.password for login in DEMO_LOGINS}
    return users.assign(password_hash=users["email"].map(lambda email: hash_password(passwords[email])))


def _records(frame: pd.DataFrame) -> Iterator[dict]:
    columns = {name: python_values(frame[name]) for name in frame.columns}
    for values in zip(*columns.values()):
        yield dict(zip(columns, values))
