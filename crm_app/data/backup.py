"""The database as a whole: create it when missing, back it up while the app runs, restore it.

SQLite is copied page by page through its online backup API (readers and writers carry on meanwhile);
PostgreSQL goes through pg_dump / pg_restore in the custom format. Both produce one file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
# pg_dump and pg_restore run from argument lists, never through a shell.
import subprocess  # nosec B404
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from crm_app.data.db import engine_for

# Tables Alembic keeps for itself; a database holding only these counts as empty.
_BOOKKEEPING_TABLES = {"alembic_version"}


class DatabaseNotEmpty(RuntimeError):
    """The restore target already holds data; the message tells how to overwrite it on purpose."""


class BackupFailed(RuntimeError):
    """pg_dump, pg_restore or SQLite refused; the message carries their explanation."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int

    def describe(self) -> str:
        return f"Backed up to {self.path} ({self.bytes:,} bytes)."


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupFailed("Only a SQLite database in a file can be backed up or restored.")
    return Path(url.database)


def create_database_if_missing(database_url: str) -> bool:
    """Create the PostgreSQL database named in the URL when the server does not have it yet; True if created.

    SQLite creates its file on first use, so nothing is done for it.
    """
    url = make_url(database_url)
    if _is_sqlite(url):
        return False
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with server.connect() as connection:
            if connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": url.database}).first():
                return False
            # Identifiers cannot be bound parameters; the dialect's preparer quotes the name safely.
            name = server.dialect.identifier_preparer.quote_identifier(url.database)
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
            return True
    finally:
        server.dispose()


def table_row_counts(database_url: str) -> dict[str, int]:
    """Rows per application table (Alembic's bookkeeping left out), for comparing a backup with its source."""
    engine = engine_for(database_url)
    inspector = sa.inspect(engine)
    tables = sorted(set(inspector.get_table_names()) - _BOOKKEEPING_TABLES)
    with engine.connect() as connection:
        return {name: connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
                for name in tables}


def is_empty(database_url: str) -> bool:
    """True when no application table holds a row (a freshly migrated database is empty)."""
    return not any(table_row_counts(database_url).values())


# --- backup ------------------------------------------------------------------------------------


def backup_database(*, database_url: str, target: Path) -> BackupResult:
    """Write a consistent copy of the whole database to `target` while the app keeps running."""
    url = make_url(database_url)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    # Write beside the target and rename at the end, so a failed backup never leaves a half file under its name.
    if _is_sqlite(url):
        _sqlite_backup(_sqlite_path(url), partial)
    else:
        _run_postgres_tool("pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                           f"--file={partial}", url=url)
    partial.replace(target)
    return BackupResult(path=target, bytes=target.stat().st_size)


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupFailed(f"There is no database file at {source}.")
    target.unlink(missing_ok=True)
    with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(target)) as copy:
        # The whole copy in one step holds a read snapshot only; writers in WAL mode are never blocked.
        live.backup(copy)
        _check_sqlite_integrity(copy, target)


def _check_sqlite_integrity(connection: sqlite3.Connection, path: Path) -> None:
    if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        raise BackupFailed(f"{path} is not an intact SQLite database.")


# --- restore -----------------------------------------------------------------------------------


def restore_database(*, database_url: str, source: Path, force: bool = False) -> dict[str, int]:
    """Replace the database's contents with the backup in `source`; returns the restored rows per table.

    Refuses (DatabaseNotEmpty) when the database already holds data, unless `force` is set.
    """
    url = make_url(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupFailed(f"There is no backup file at {source}.")
    create_database_if_missing(database_url)
    if not force and _holds_data(database_url):
        raise DatabaseNotEmpty("The database already holds data; restore with --force to overwrite it.")
    if _is_sqlite(url):
        _sqlite_restore(source, _sqlite_path(url))
    else:
        _run_postgres_tool("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                           "--single-transaction", "--exit-on-error", f"--dbname={_libpq_dsn(url)}", str(source),
                           url=url, database_flag=False)
    engine_for(database_url).dispose()  # pooled connections may still point at the replaced schema
    return table_row_counts(database_url)


def _holds_data(database_url: str) -> bool:
    url = make_url(database_url)
    if _is_sqlite(url) and not _sqlite_path(url).exists():
        return False
    return not is_empty(database_url)


def _sqlite_restore(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as backup, closing(sqlite3.connect(target, timeout=30)) as live:
        _check_sqlite_integrity(backup, source)
        # The backup API replaces every page of the target in one go, under its write lock.
        backup.backup(live)


# --- PostgreSQL client tools -------------------------------------------------------------------


def _libpq_dsn(url: URL) -> str:
    """The URL in libpq's own form (no SQLAlchemy driver suffix, no password: that goes in PGPASSWORD)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run_postgres_tool(tool: str, *args: str, url: URL, database_flag: bool = True) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupFailed(f"{tool} is not installed; install the PostgreSQL client tools (postgresql-client).")
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # kept out of the command line, which other users can read
    command = [executable, *args]
    if database_flag:
        command.append(f"--dbname={_libpq_dsn(url)}")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # nosec B603
    if done.returncode != 0:
        raise BackupFailed(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}")
