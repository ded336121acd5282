"""Which database errors are faults of the database (unreachable, read-only) and which are a query's own error."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy.exc

from crm_app.data.db import DatabaseFault, database_fault


def _sqlite(code: int, message: str) -> sqlalchemy.exc.DBAPIError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return sqlalchemy.exc.OperationalError("INSERT ...", {}, error)


class _PostgresError(Exception):
    def __init__(self, pgcode: str | None) -> None:
        super().__init__(pgcode)
        self.pgcode = pgcode


def _postgres(pgcode: str | None, kind=sqlalchemy.exc.OperationalError) -> sqlalchemy.exc.DBAPIError:
    return kind("INSERT ...", {}, _PostgresError(pgcode))


@pytest.mark.parametrize(
    "error, fault",
    [
        (_sqlite(8, "attempt to write a readonly database"), DatabaseFault.read_only),
        (_sqlite(8 | (1 << 8), "attempt to write a readonly database (extended code)"), DatabaseFault.read_only),
        (_sqlite(13, "database or disk is full"), DatabaseFault.read_only),
        (_sqlite(5, "database is locked"), DatabaseFault.unreachable),
        (_sqlite(14, "unable to open database file"), DatabaseFault.unreachable),
        (_sqlite(1, "fts5: syntax error near \"\""), None),
        (_sqlite(1, "no such column: x"), None),
        (_postgres("25006", sqlalchemy.exc.InternalError), DatabaseFault.read_only),
        (_postgres("08006"), DatabaseFault.unreachable),
        (_postgres("57P01"), DatabaseFault.unreachable),
        (_postgres("53300"), DatabaseFault.unreachable),
        (_postgres(None), DatabaseFault.unreachable),  # connection refused: no SQLSTATE, the server never answered
        (_postgres("57014"), None),  # statement timeout: this query's fault
        (_postgres("22P02", sqlalchemy.exc.DataError), None),
        (_postgres("23505", sqlalchemy.exc.IntegrityError), None),
        (sqlalchemy.exc.TimeoutError("QueuePool limit reached"), DatabaseFault.unreachable),
        (ValueError("A string literal cannot contain NUL (0x00) characters."), None),
        (None, None),
    ],
)
def test_database_faults_are_told_apart(error, fault):
    assert database_fault(error) == fault


def test_a_fault_is_found_behind_the_errors_raised_from_it():
    try:
        try:
            raise _sqlite(8, "attempt to write a readonly database")
        except sqlalchemy.exc.DBAPIError as error:
            raise RuntimeError("the event failed") from error
    except RuntimeError as wrapped:
        assert database_fault(wrapped) == DatabaseFault.read_only
