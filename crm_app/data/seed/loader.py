"""Loading the demo company: `seed_demo_company` generates it and loads the frames in one transaction with
SQLAlchemy Core executemany, which binds rows in batches instead of building one ORM object per row. Each table is
stored while the next is drawn, on another thread.

On SQLite the secondary indexes and triggers are dropped for the load and made again from their own SQL after it,
in the same transaction: each index is then built by one sort instead of updated for every row, and what the
triggers keep (the write counters of `data_version`, the customers' and deals' search indexes) is brought up to
date once, to the values the triggers would have reached row by row (benchmarks/seed.py).
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from crm_app.data.models import User
from crm_app.data.search import rebuild_sqlite_index
from crm_app.data.security import hash_password
from crm_app.data.seed.company import SeedSummary, python_values
from crm_app.data.seed.generator import DEFECTS, demo_company_parts
from crm_app.data.seed.market import DEFAULT_AS_OF, DEMO_LOGINS


# --- loading -----------------------------------------------------------------------------

_ROWS_PER_INSERT = 20_000


def seed_demo_company(
    *, engine: Engine, seed: int = 7, customers: int = 2_000, orders: int = 20_000, as_of: date = DEFAULT_AS_OF
) -> SeedSummary:
    """Generate the demo company and load it into a migrated database that has no users yet, in one transaction.

    Raises RuntimeError when the database already has users, so a real CRM is never mixed with demo data.
    """
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.info["write"] = True  # db.py's hook: take SQLite's write lock before checking emptiness
        try:
            with _sqlite_bulk_load(connection), connection.begin():
                _refuse_unless_empty(connection)
                with _DrawnAlongside(demo_company_parts(seed=seed, customers=customers, orders=orders,
                                                        as_of=as_of)) as parts:
                    rows = _insert_company(connection, parts)
        finally:
            connection.info.pop("write", None)
    return SeedSummary(rows=rows, generate_seconds=parts.seconds, seconds=time.perf_counter() - started)


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
def _sqlite_bulk_load(connection: Connection) -> Iterator[None]:
    """SQLite's settings for one large load, outside its transaction; each is given back afterwards.

    - A rollback journal instead of the write-ahead log, when no other connection has the file open: into an
      empty database the journal holds next to nothing, and each page is written once, in place, where the WAL
      writes it again every time the cache spills it and then once more into the file when it is checkpointed
      (10 million orders: 7.4 GB written instead of 24 GB; the load is bound by the CPU, so the time hardly
      moved). The load is just as atomic; an interrupted one is rolled back when the file is next opened.
    - A 256 MiB page cache, and the index builds' sorts in memory instead of temporary files, on every core.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.dbapi_connection  # through SQLAlchemy a PRAGMA would begin a transaction first
    saved = {name: driver.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "temp_store", "threads")}
    driver.execute("PRAGMA cache_size=-262144")
    driver.execute("PRAGMA temp_store=MEMORY")
    driver.execute(f"PRAGMA threads={os.cpu_count() or 1}")
    busy_timeout = driver.execute("PRAGMA busy_timeout").fetchone()[0]
    driver.execute("PRAGMA busy_timeout=0")  # no waiting: a connection open elsewhere keeps the WAL
    try:
        journal = driver.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        journal = None
    finally:
        driver.execute(f"PRAGMA busy_timeout={int(busy_timeout)}")
    try:
        yield
    finally:
        if journal is not None:
            driver.execute("PRAGMA journal_mode=WAL")
        for name, value in saved.items():
            driver.execute(f"PRAGMA {name}={int(value)}")


def _refuse_unless_empty(connection: Connection) -> None:
    users = connection.execute(sa.select(sa.func.count()).select_from(User.__table__)).scalar_one()
    if users:
        raise RuntimeError(
            f"The database already has {users} user(s); the demo company only loads into an empty, migrated database."
        )


def _insert_company(connection: Connection, parts: Iterable[tuple[str, pd.DataFrame]]) -> dict[str, int]:
    """Insert every table as it comes, in foreign-key order; returns the rows inserted per table."""
    rows: dict[str, int] = {}
    with _indexes_and_triggers_after(connection, rows):
        for name, frame in parts:
            if name == DEFECTS:  # the generator's ground truth, not a table
                continue
            if name == User.__tablename__:
                frame = _with_password_hashes(frame)
            _bulk_insert(connection, SQLModel.metadata.tables[name], frame)
            _advance_id_sequence(connection, name, frame)
            rows[name] = len(frame)
    return rows


# The write counters the per-row triggers of data_version move (migrations 0003, 0004), each by one per row.
_COUNTERS = ("version", "order_writes")


@contextmanager
def _indexes_and_triggers_after(connection: Connection, rows: dict[str, int]) -> Iterator[None]:
    """On SQLite, within: the tables' secondary indexes and triggers are gone; after: made again from their SQL, the
    search index rebuilt and each write counter moved by the rows (`rows`, per table, filled within) its insert
    triggers would have counted."""
    if connection.dialect.name != "sqlite":
        yield
        return
    saved = connection.exec_driver_sql(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"
    ).all()
    for kind, name, _, _ in saved:
        connection.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    yield
    for _, _, _, sql in saved:
        connection.exec_driver_sql(sql)
    counted = dict.fromkeys(_COUNTERS, 0)
    for kind, _, table, sql in saved:
        if kind == "trigger" and " AFTER INSERT " in f" {sql.upper()} ":
            for counter in _COUNTERS:
                counted[counter] += rows.get(table, 0) if f"{counter} = {counter} + 1" in sql else 0
    connection.exec_driver_sql("UPDATE data_version SET version = version + ?, order_writes = order_writes + ? "
                               "WHERE id = 1", tuple(counted.values()))
    rebuild_sqlite_index(connection)


def _with_password_hashes(users: pd.DataFrame) -> pd.DataFrame:
    passwords = {login.email: login.password for login in DEMO_LOGINS}
    return users.assign(password_hash=users["email"].map(lambda email: hash_password(passwords[email])))


def _bulk_insert(connection: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """executemany in slices, so memory stays flat and the driver batches rows (insertmanyvalues on PostgreSQL).

    With a positional driver (SQLite's) the rows go to it as tuples, each column converted by its type's own bind
    processor in one pass and a column the frame leaves out given its scalar default, instead of a dict per row
    whose every value SQLAlchemy looks up and converts (200,000 orders: 12.5 -> 11.6 s; benchmarks/seed.py)."""
    statement = table.insert()
    insert = statement.compile(dialect=connection.dialect, column_keys=[column.key for column in table.c])
    direct = insert.positional and not any(column.default is not None and not column.default.is_scalar
                                           for column in table.c if column.key not in frame.columns)
    for start in range(0, len(frame), _ROWS_PER_INSERT):
        part = frame.iloc[start:start + _ROWS_PER_INSERT]
        if direct:
            connection.exec_driver_sql(insert.string, list(zip(*_bound_columns(insert, table, part))))
        else:
            connection.execute(statement, list(_records(part)))


def _bound_columns(insert: sa.sql.compiler.SQLCompiler, table: sa.Table, frame: pd.DataFrame) -> list[list]:
    """Each parameter's values in the statement's order, as the driver takes them."""
    columns = []
    for key in insert.positiontup:
        convert = insert._bind_processors.get(key)
        if key in frame.columns:
            stored = _sqlite_datetime_text(frame[key], convert) if convert else None
            if stored is not None:
                columns.append(stored)
                continue
            values = python_values(frame[key])
        else:
            default = table.c[key].default
            values = [default.arg if default is not None else None] * len(frame)
        columns.append([convert(value) for value in values] if convert else values)
    return columns


def _sqlite_datetime_text(column: pd.Series, convert) -> list | None:
    """An aware datetime column as the text SQLite's DATETIME stores ("2026-01-31 09:15:00.000000", UTC), written
    by numpy for the whole column at once: three times faster than a datetime object per value through the type's
    processors (10 million orders: about 50 million values). None for any other column, or when the column's
    processor writes a value differently (checked on the first one), so those take the processors' path."""
    if not isinstance(column.dtype, pd.DatetimeTZDtype) or not column.notna().any():
        return None
    utc = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    text = np.datetime_as_string(utc, unit="us")  # "2026-01-31T09:15:00.000000"
    text.view(np.uint32).reshape(len(text), -1)[:, 10] = ord(" ")
    first = int(column.notna().to_numpy().argmax())
    if convert(column.iloc[first].to_pydatetime()) != text[first]:
        return None
    stored = text.astype(object)
    stored[column.isna().to_numpy()] = None
    return stored.tolist()


def _records(frame: pd.DataFrame) -> Iterator[dict]:
    columns = {name: python_values(frame[name]) for name in frame.columns}
    for values in zip(*columns.values()):
        yield dict(zip(columns, values))


def _advance_id_sequence(connection: Connection, table: str, frame: pd.DataFrame) -> None:
    """Rows went in with explicit ids; move PostgreSQL's id sequence past them so the app's inserts don't collide."""
    if connection.dialect.name != "postgresql" or not len(frame):
        return
    connection.execute(sa.text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last_id)"),
                       {"table": table, "last_id": int(frame["id"].max())})
