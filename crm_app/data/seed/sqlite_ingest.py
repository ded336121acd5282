"""Storing the demo company into SQLite through Apache Arrow's ADBC driver, in one transaction on one connection.

The driver binds whole Arrow columns in C, with the GIL released, where sqlite3's executemany takes a Python tuple
per row: the frames become Arrow columns holding exactly what SQLAlchemy's path binds on SQLite (the datetime
columns written as SQLite's DATETIME text, booleans as 0/1, JSON as its text), so the stored rows are the same
(tests/integration/test_seed_db.py compares them with that path's, value for value). Two million order lines:
6.0 s as tuples through executemany, 2.4 s as Arrow columns.

For the load the secondary indexes and triggers are dropped and made again from their own SQL afterwards, in the
same transaction: each index is then built by one sort instead of updated for every row, and what the triggers keep
(the write counters of `data_version`, the customers' and deals' search indexes) is brought up to date once, to
the values the triggers would have reached row by row (benchmarks/seed.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import adbc_driver_sqlite.dbapi
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from crm_app.data.db import apply_sqlite_settings
from crm_app.data.search import rebuild_sqlite_indexes
from crm_app.data.seed.company import python_values

_DIALECT = sqlite.dialect()
_ROWS_PER_INGEST = 500_000  # each slice's Arrow columns are built, stored and freed in turn: memory stays flat

# The write counters the per-row triggers of data_version move (migrations 0003, 0004), each by one per row.
_COUNTERS = ("version", "order_writes")


@dataclass
class SqliteIngest:
    """The open load: `insert` stores a frame, `users` counts the sign-ins already there."""

    cursor: adbc_driver_sqlite.dbapi.Cursor
    rows: dict[str, int] = field(default_factory=dict)  # per table, for the write counters

    def users(self, table: sa.Table) -> int:
        self.cursor.execute(f'SELECT count(*) FROM "{table.name}"')
        return self.cursor.fetchone()[0]

    def insert(self, table: sa.Table, frame: pd.DataFrame) -> None:
        columns = [column for column in table.c if column.key in frame.columns or column.default is not None]
        for start in range(0, len(frame), _ROWS_PER_INGEST):
            part = frame.iloc[start:start + _ROWS_PER_INGEST]
            arrow = pa.table({column.key: _bound(column, part) for column in columns})
            self.cursor.adbc_ingest(table.name, arrow, mode="append")
        self.rows[table.name] = self.rows.get(table.name, 0) + len(frame)


@contextmanager
def sqlite_ingest(path: str, *, busy_timeout_ms: int) -> Iterator[SqliteIngest]:
    """One transaction on an ADBC connection to the SQLite file at `path`, committed when the block ends, rolled
    back entirely when it raises; the file keeps its write-ahead log afterwards.

    The connection has the app's settings (db.apply_sqlite_settings: foreign keys checked, ...) and, for the load:
    - a rollback journal instead of the write-ahead log, when no other connection has the file open: into an
      empty database the journal holds next to nothing, and each page is written once, in place, where the WAL
      writes it again every time the cache spills it and then once more into the file when it is checkpointed
      (10 million orders: 7.4 GB written instead of 24 GB). The load is just as atomic; an interrupted one is
      rolled back when the file is next opened.
    - a 256 MiB page cache, and the index builds' sorts in memory instead of temporary files, on every core.
    It takes SQLite's write lock up front (BEGIN IMMEDIATE), so no other writer comes between the check that the
    database is empty and the load."""
    connection = adbc_driver_sqlite.dbapi.connect(path, autocommit=True)  # the transaction is begun by hand below
    try:
        cursor = connection.cursor()
        apply_sqlite_settings(cursor, busy_timeout_ms=busy_timeout_ms)
        for setting in ("cache_size=-262144", "temp_store=MEMORY", f"threads={os.cpu_count() or 1}"):
            cursor.execute(f"PRAGMA {setting}")
        journal = _rollback_journal_if_alone(cursor, busy_timeout_ms)
        try:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                load = SqliteIngest(cursor)
                with _indexes_and_triggers_after(cursor, load.rows):
                    yield load
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        finally:
            if journal:
                cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def _rollback_journal_if_alone(cursor, busy_timeout_ms: int) -> bool:
    """Switch the file to a rollback journal unless another connection has it open (then it keeps the WAL, which
    SQLite only leaves when no one else uses it); True when switched."""
    cursor.execute("PRAGMA busy_timeout=0")  # no waiting: a connection open elsewhere keeps the WAL
    try:
        cursor.execute("PRAGMA journal_mode=DELETE")
        switched = cursor.fetchone()[0] == "delete"
    except adbc_driver_sqlite.dbapi.Error:
        switched = False
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    return switched


@contextmanager
def _indexes_and_triggers_after(cursor, rows: dict[str, int]) -> Iterator[None]:
    """Within: the tables' secondary indexes and triggers are gone; after: made again from their SQL, the search
    indexes rebuilt and each write counter moved by the rows (`rows`, per table, filled within) its insert
    triggers would have counted."""
    cursor.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL")
    saved = cursor.fetchall()
    for kind, name, _, _ in saved:
        cursor.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for _, _, _, sql in saved:
        cursor.execute(sql)
    counted = dict.fromkeys(_COUNTERS, 0)
    for kind, _, table, sql in saved:
        if kind == "trigger" and " AFTER INSERT " in f" {sql.upper()} ":
            for counter in _COUNTERS:
                counted[counter] += rows.get(table, 0) if f"{counter} = {counter} + 1" in sql else 0
    cursor.execute("UPDATE data_version SET version = version + ?, order_writes = order_writes + ? WHERE id = 1",
                   tuple(counted.values()))
    rebuild_sqlite_indexes(cursor)


def _bound(column: sa.Column, frame: pd.DataFrame) -> pa.Array:
    """`column`'s values in `frame` as SQLAlchemy binds them on SQLite, as one Arrow array: its type's bind
    processor applied (aware datetimes to DATETIME text, booleans to 0/1, dates to ISO text, JSON to its text),
    None for a missing value, and a column the frame leaves out given its scalar default.

    Numbers and datetimes are converted by Arrow or numpy for the whole column at once: each is checked to come
    out as the processor writes it on the first value, and any other column goes through the processor one
    value at a time."""
    convert = column.type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
    if column.key not in frame.columns:
        if not column.default.is_scalar:
            raise ValueError(f"{column}: the frame must give a column whose default is computed per row")
        values = pd.Series([column.default.arg] * len(frame), dtype=object)
    else:
        values = frame[column.key]
    if convert is None:
        return pa.array(values, from_pandas=True)
    fast = _sqlite_datetime_text(values, convert) if isinstance(values.dtype, pd.DatetimeTZDtype) \
        else _numbers(values, convert)
    return fast if fast is not None else pa.array([convert(value) for value in python_values(values)])


def _numbers(column: pd.Series, convert: Callable) -> pa.Array | None:
    """A bool, int or float column as Arrow binds it: a float as itself, a bool as 0/1, NaN as NULL, which is what
    SQLite's processors (float(), int()) write; None for any other column, or when the processor writes the first
    value differently."""
    if column.dtype.kind not in "bif" or not len(column) or column.isna().all():
        return None
    arrow = pa.array(column, from_pandas=True)
    first = int(column.notna().to_numpy().argmax())
    written = convert(column.iloc[first].item())
    return arrow if type(written) in (int, float) and written == arrow[first].as_py() else None


def _sqlite_datetime_text(column: pd.Series, convert: Callable) -> pa.Array | None:
    """An aware datetime column as the text SQLite's DATETIME stores ("2026-01-31 09:15:00.000000", UTC), its
    digits written by numpy for the whole column at once: ten times faster than numpy's datetime_as_string and
    thirty than a datetime object per value through the type's processors (10 million orders: about 50 million
    values). None for any other column, or when the column's processor writes a value differently (checked on the
    first one), so those take the processors' path."""
    if not isinstance(column.dtype, pd.DatetimeTZDtype) or not column.notna().any():
        return None
    missing = column.isna().to_numpy()
    utc = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    utc = np.where(missing, np.datetime64(0, "us"), utc)  # NaT has no digits; these are masked below
    days, years, months = (utc.astype(f"datetime64[{unit}]") for unit in ("D", "Y", "M"))
    micros = (utc - days).astype(np.int64)
    fields = [(years.astype(np.int64) + 1970, 4, "-"), ((months - years).astype(np.int64) + 1, 2, "-"),
              ((days - months).astype(np.int64) + 1, 2, " "), (micros // 3_600_000_000, 2, ":"),
              (micros // 60_000_000 % 60, 2, ":"), (micros // 1_000_000 % 60, 2, "."), (micros % 1_000_000, 6, "")]
    width = sum(digits + len(after) for _, digits, after in fields)
    text = np.empty((len(utc), width), dtype=np.uint8)
    at = 0
    for value, digits, after in fields:
        for place in range(digits):
            text[:, at + digits - 1 - place] = ord("0") + value // 10 ** place % 10
        at += digits
        if after:
            text[:, at] = ord(after)
            at += 1
    offsets = np.arange(0, (len(utc) + 1) * width, width, dtype=np.int64)
    stored = pa.LargeStringArray.from_buffers(len(utc), pa.py_buffer(offsets), pa.py_buffer(text))
    first = int((~missing).argmax())
    if convert(column.iloc[first].to_pydatetime()) != stored[first].as_py():
        return None
    return pc.if_else(pa.array(~missing), stored, pa.scalar(None, pa.large_string())) if missing.any() else stored
