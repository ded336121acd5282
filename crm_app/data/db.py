"""The single engine/session seam. Every query in the app opens its session here.

It also tells the faults of the database apart (`database_fault`): unreachable, read-only, or neither (a query or
its data was wrong: a bug or bad input, never to be reported as an outage). A connection that meets a read-only
database is discarded with every other pooled one, so writes resume by themselves once it accepts them again
(a SQLite connection opened while the file was read-only stays read-only; so does a PostgreSQL session opened
while `default_transaction_read_only` was on).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from enum import StrEnum
from functools import lru_cache

import sqlalchemy.exc
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, ExceptionContext, make_url
from sqlmodel import Session, create_engine

from crm_app.settings import get_settings

_log = logging.getLogger(__name__)


def apply_sqlite_settings(cursor, *, busy_timeout_ms: int) -> None:
    """The settings of every SQLite connection the app opens, through a DB-API cursor (sqlite3's, or the ADBC
    driver's that loads the demo company)."""
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Freed space is overwritten with zeros, so an edited or erased value leaves no stale copy in the file's
    # free space (Debian's SQLite does this by default; other builds do not).
    cursor.execute("PRAGMA secure_delete=ON")


def _prepare_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        apply_sqlite_settings(cursor, busy_timeout_ms=busy_timeout_ms)
        cursor.close()

    # pysqlite's own transaction handling defers BEGIN; take the write lock up front
    # so two writers queue on busy_timeout instead of failing with "database is locked".
    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")


@contextmanager
def writer_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose transactions are writes from their start: on SQLite they take the write lock as they
    begin (BEGIN IMMEDIATE, the hook above), so a writer queues on busy_timeout. A transaction that reads first
    and writes later fails at its first write, at once ("database is locked"), when another connection committed
    in between: SQLite cannot move its snapshot forward."""
    with engine.connect() as connection:
        connection.info["write"] = True
        try:
            yield connection
        finally:
            connection.info.pop("write", None)


class DatabaseFault(StrEnum):
    unreachable = "unreachable"  # down, cut off, out of connections, or locked past the wait
    read_only = "read_only"  # answers, but takes no write (read-only file or transaction, full disk)


# SQLite's primary result codes (https://sqlite.org/rescode.html) and PostgreSQL's SQLSTATEs that are faults.
_SQLITE_FAULTS = {5: DatabaseFault.unreachable, 6: DatabaseFault.unreachable, 8: DatabaseFault.read_only,
                  10: DatabaseFault.unreachable, 13: DatabaseFault.read_only, 14: DatabaseFault.unreachable,
                  15: DatabaseFault.unreachable, 26: DatabaseFault.unreachable}
_POSTGRES_FAULTS = {"25006": DatabaseFault.read_only, "53100": DatabaseFault.read_only,
                    "53200": DatabaseFault.unreachable, "53300": DatabaseFault.unreachable}
_POSTGRES_FAULT_CLASSES = {"08": DatabaseFault.unreachable, "57P": DatabaseFault.unreachable}


def _driver_fault(error: BaseException) -> DatabaseFault | None:
    """The fault a driver's own exception reports, if it is one."""
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return None if code is None else _SQLITE_FAULTS.get(code & 0xFF)
    pgcode = getattr(error, "pgcode", None)
    if pgcode:
        return _POSTGRES_FAULTS.get(pgcode) or _POSTGRES_FAULT_CLASSES.get(pgcode[:3]) \
            or _POSTGRES_FAULT_CLASSES.get(pgcode[:2])
    return None


def database_fault(error: BaseException | None) -> DatabaseFault | None:
    """Why `error` (or an error it was raised from) failed, when the database is at fault; None when the query
    or its data was wrong, which is a bug or bad input and never an outage."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, sqlalchemy.exc.DBAPIError):
            fault = _driver_fault(error.orig)
            if fault is not None:
                return fault
            # A lost connection, or psycopg2's OperationalError without a SQLSTATE: it never reached the server.
            if error.connection_invalidated or (isinstance(error, sqlalchemy.exc.OperationalError)
                                                and not isinstance(error.orig, sqlite3.Error)
                                                and not getattr(error.orig, "pgcode", None)):
                return DatabaseFault.unreachable
            return None
        if isinstance(error, (sqlalchemy.exc.DisconnectionError, sqlalchemy.exc.TimeoutError)):
            return DatabaseFault.unreachable
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


def _discard_read_only_connections(engine: Engine) -> None:
    @event.listens_for(engine, "handle_error")
    def _read_only_is_a_disconnect(context: ExceptionContext) -> None:
        # Treated like a lost connection: this one is closed and every pooled one is replaced on its next use.
        if _driver_fault(context.original_exception) == DatabaseFault.read_only:
            context.is_disconnect = True


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per database URL for the life of the process."""
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "isolation_level": None},
        )
        _prepare_sqlite(engine, get_settings().sqlite_busy_timeout_ms)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    _discard_read_only_connections(engine)
    return engine


@lru_cache(maxsize=8)
def _sqlite_writer_lock(url: str) -> threading.Lock:
    return threading.Lock()


def _writer_turn(engine: Engine, timeout: float = -1):
    """SQLite takes one writer at a time: this process's writers queue on a lock, in turn, instead of polling the
    file lock (busy_timeout backs off up to 100 ms a try, so under load one writer can starve past its timeout).
    Writers in other processes still meet on busy_timeout. PostgreSQL needs no turn.
    With a `timeout` (seconds), _TurnTaken when the turn does not come by then."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    return _Turn(_sqlite_writer_lock(engine.url.render_as_string(hide_password=False)), timeout)


class _TurnTaken(Exception):
    """Another writer of this process kept SQLite's turn past the wait."""


class _Turn:
    def __init__(self, lock: threading.Lock, timeout: float) -> None:
        self._lock, self._timeout = lock, timeout

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=self._timeout):
            raise _TurnTaken

    def __exit__(self, *_exc) -> None:
        self._lock.release()


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for queries; nothing it does is committed."""
    with Session(get_engine()) as session:
        yield session


@contextmanager
def write_session(*, overwrite_freed: bool = False) -> Iterator[Session]:
    """A session whose work is committed at the end of the block, or rolled back entirely on error.

    `overwrite_freed` leaves no old copy of what the block changed in the database files (a privacy erase):
    SQLite, which overwrites freed space with zeros on every connection (secure_delete), copies the WAL into the
    database after the commit and truncates it; PostgreSQL rewrites every table the block wrote (VACUUM FULL)
    after the commit, dropping the dead row versions an UPDATE leaves behind."""
    engine = get_engine()
    with _writer_turn(engine), writer_connection(engine) as connection:
        sqlite = engine.dialect.name == "sqlite"
        with Session(bind=connection) as session, connection.begin():
            written = _tables_written(session) if overwrite_freed else set()
            yield session
            session.flush()
            if overwrite_freed and not sqlite:
                xid = connection.exec_driver_sql("SELECT pg_current_xact_id()::xid::text").scalar_one()
        if overwrite_freed and sqlite:
            _truncate_wal(connection)
        elif overwrite_freed:
            _rewrite_tables(connection, sorted(written), after_xid=xid)


def _tables_written(session: Session) -> set[str]:
    """The names of the tables the session inserts into, updates or deletes from, filled in as it flushes."""
    written: set[str] = set()

    @event.listens_for(session, "before_flush")
    def _note(flushing: Session, _context, _instances) -> None:
        written.update(row.__table__.name for row in (*flushing.new, *flushing.dirty, *flushing.deleted))

    return written


def _truncate_wal(connection: Connection) -> None:
    """Copy the WAL into the database file and empty it: the old page versions in it go."""
    # On the driver connection: through SQLAlchemy the PRAGMA would begin a transaction first.
    busy, _, _ = connection.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        _log.warning("The WAL could not be truncated (a reader held it past the busy timeout): the old page copies "
                     "in it stay until later writes overwrite them.")


# How long a rewrite waits for the transactions that were running when its writes committed.
OLDER_TRANSACTIONS_WAIT_SECONDS = 30.0


def _rewrite_tables(connection: Connection, tables: list[str], *, after_xid: str) -> None:
    """VACUUM FULL each table once no transaction older than `after_xid` runs: until then PostgreSQL keeps the
    dead row versions such a transaction might still read (and keeps them through a VACUUM FULL too)."""
    if not tables:
        return
    older = text("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                    "AND greatest(age(backend_xid), age(backend_xmin)) >= age(CAST(:xid AS xid))")
    deadline = time.monotonic() + OLDER_TRANSACTIONS_WAIT_SECONDS
    while connection.execute(older, {"xid": after_xid}).scalar_one():
        connection.rollback()
        if time.monotonic() > deadline:
            _log.warning("Transactions older than the erase still run: VACUUM FULL may keep old row versions that "
                         "the next vacuum removes.")
            break
        time.sleep(0.1)
    connection.rollback()
    vacuuming = connection.execution_options(isolation_level="AUTOCOMMIT")
    preparer = connection.dialect.identifier_preparer
    for table in tables:
        # ANALYZE too: the planner's statistics sample column values, the erased ones among them.
        vacuuming.exec_driver_sql(f"VACUUM (FULL, ANALYZE) {preparer.quote(table)}")


# Needs the write lock on SQLite and is refused in a read-only PostgreSQL transaction, yet changes no row and
# waits on no row lock.
_WRITE_PROBE = text("UPDATE data_version SET version = version WHERE 1 = 0")


def probe_write(*, turn_timeout: float = 2.0) -> None:
    """Begin a write, run a statement that writes nothing, roll back: raises what a real write would raise now.

    A connection opened while the database was read-only fails the probe once and is discarded with the rest of
    the pool; the probe then asks again on a fresh connection, so a database writable again is reported so.
    When this process's SQLite writers hold the turn past `turn_timeout` seconds, one of them is writing: the
    probe returns without waiting longer."""
    engine = get_engine()
    for attempt in range(2):
        try:
            with _writer_turn(engine, turn_timeout), writer_connection(engine) as connection, \
                    connection.begin() as transaction:
                connection.execute(_WRITE_PROBE)
                transaction.rollback()
            return
        except _TurnTaken:
            return
        except sqlalchemy.exc.DBAPIError as error:
            if attempt or database_fault(error) != DatabaseFault.read_only:
                raise
