"""The company-wide cockpit columns in files every worker on the machine memory-maps (Apache Arrow IPC), so a
worker that starts opens them in milliseconds instead of reading and preparing every order, and the workers of
a machine hold one copy of them (the page cache's) instead of one each.

A database's snapshots live in `folder_for(url)`: one directory per snapshot, named by the data_version
counters it accounts for (`v<version>-<order_writes>-<order_rewrites>`), holding one Arrow IPC file per column
group and `snapshot.json` (labels, as_of, row counts, file sizes, the caller's own fields). A snapshot is written
into a temporary directory and renamed into place, so a reader finds a whole snapshot or none; one that does not
match its snapshot.json is refused (`UnreadableColumns`). Columns come back as read-only numpy views of the
mapped file (no copy); the two small campaign frames are copied into pandas. Holds no names, emails or phones:
only the cockpit's numbers and labels. The folder is the user's own (0700); a folder anyone else could write to
is not used, since its numbers would be shown as the company's. Files are never changed once written, only
replaced or deleted: a mapped file cut short under a worker would crash it (SIGBUS).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import URL

from crm_app.analytics.cockpit import CockpitFacts
from crm_app.settings import get_settings

logger = logging.getLogger(__name__)

FORMAT = 3  # bumped when the layout changes: older snapshots are then rebuilt, never misread (2: previous_ns,
#            3: categories stored category by category)
COLUMN_GROUPS = ("orders", "feedback", "deals", "customer_quality")
_NAME = re.compile(r"^v(\d+)-(\d+)-(\d+)$")


class UnreadableColumns(Exception):
    """A snapshot directory that is incomplete, damaged or of another format."""


class UnwritableColumns(Exception):
    """Columns Arrow could not write (the disk's own faults are OSError)."""


def folder_for(url: URL) -> Path | None:
    """Where `url`'s snapshots live: CRM_COCKPIT_COLUMNS_DIR, else next to the SQLite file, else under the
    system's temporary directory; one folder per database (a hash of its URL). None when shared columns are
    off, the database is in memory, or the folder is not this user's alone."""
    settings = get_settings()
    if not settings.cockpit_shared_columns:
        return None
    base = settings.cockpit_columns_dir
    if base is None:
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:":
                return None
            base = Path(url.database).resolve().parent / "cockpit-columns"
        else:
            base = Path(tempfile.gettempdir()) / f"crm_app-cockpit-columns-{os.getuid()}"
    folder = Path(base) / hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for checked in (Path(base), folder):
            status = checked.stat()
            if status.st_uid != os.getuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                logger.warning("Cockpit columns are not shared: %s is writable by another user", checked)
                return None
    except OSError as error:
        logger.warning("Cockpit columns are not shared: %s", error)
        return None
    return folder


def snapshot_name(version: int, order_writes: int, order_rewrites: int) -> str:
    return f"v{version}-{order_writes}-{order_rewrites}"


def newest(folder: Path) -> Path | None:
    """The snapshot directory with the highest `version` counter (the latest writes), if any."""
    named = [(int(match[1]), path) for path in folder.iterdir() if (match := _NAME.match(path.name))]
    return max(named)[1] if named else None


@contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Hold the folder's lock: one process at a time builds or writes a snapshot."""
    with open(folder / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _table(columns: dict[str, np.ndarray]) -> pa.Table:
    # Booleans as bytes: Arrow packs booleans into bits, which numpy cannot view without a copy.
    return pa.table({name: pa.array(values.view(np.uint8) if values.dtype == bool else values)
                     for name, values in columns.items()})


def _write_table(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def write(folder: Path, name: str, cockpit: CockpitFacts, fields: dict) -> Path:
    """Write `cockpit` (and the caller's json-able `fields`) as snapshot `name` in `folder`; hold `exclusive`.
    Leaves an existing snapshot of that name as it is."""
    for leftover in folder.glob(".writing-*"):  # a writer killed midway (only the lock's holder writes)
        shutil.rmtree(leftover, ignore_errors=True)
    target = folder / name
    if target.exists():
        return target
    staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=folder))
    groups = {group: getattr(cockpit, group) for group in COLUMN_GROUPS}
    # Category by category (CockpitFacts.categories is in Fortran order): read back as a view, no copy.
    groups["categories"] = {"amount": np.ascontiguousarray(cockpit.categories.T, dtype=float).reshape(-1)}
    groups["customer_ids"] = {"id": cockpit.customer_ids}
    try:
        tables = {group: _table(columns) for group, columns in groups.items()}
        tables["campaigns"] = pa.Table.from_pandas(cockpit.campaigns, preserve_index=False)
        tables["campaign_targets"] = pa.Table.from_pandas(cockpit.campaign_targets, preserve_index=False)
        for group, table in tables.items():
            _write_table(staging / f"{group}.arrow", table)
    except pa.ArrowException as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise UnwritableColumns(str(error)) from error
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    meta = {
        "format": FORMAT, "as_of": cockpit.as_of.isoformat(), "labels": cockpit.labels,
        "customers": cockpit.customers, "categories_shape": list(cockpit.categories.shape),
        "dtypes": {group: {column: values.dtype.str for column, values in groups[group].items()}
                   for group in (*COLUMN_GROUPS, "customer_ids")},
        "rows": {group: table.num_rows for group, table in tables.items()},
        "bytes": {group: (staging / f"{group}.arrow").stat().st_size for group in tables},
        "fields": fields,
    }
    (staging / "snapshot.json").write_text(json.dumps(meta))
    try:
        os.rename(staging, target)  # atomic: readers see the whole snapshot or none
    except OSError:  # written meanwhile under the same name (the lock was not held): theirs stands
        shutil.rmtree(staging, ignore_errors=True)
    return target


def discard(path: Path) -> None:
    """Delete one snapshot directory (an unreadable one)."""
    shutil.rmtree(path, ignore_errors=True)


def prune(folder: Path, keep: Path) -> None:
    """Delete the snapshots older than `keep`. Workers that mapped one keep reading it until they let it go."""
    kept = int(_NAME.match(keep.name)[1])
    for path in folder.iterdir():
        if (match := _NAME.match(path.name)) and int(match[1]) < kept:
            shutil.rmtree(path, ignore_errors=True)


def _mapped(path: Path, meta: dict, group: str) -> pa.Table:
    if (path / f"{group}.arrow").stat().st_size != meta["bytes"][group]:
        raise UnreadableColumns(f"{path.name}/{group}.arrow is not the size written")
    table = pa.ipc.open_file(pa.memory_map(str(path / f"{group}.arrow"), "r")).read_all()
    if table.num_rows != meta["rows"][group]:
        raise UnreadableColumns(f"{path.name}/{group}.arrow has {table.num_rows} rows, not {meta['rows'][group]}")
    return table


def _numpy(path: Path, meta: dict, group: str) -> dict[str, np.ndarray]:
    """A group's columns as numpy views of the mapped file, in the dtypes they were written with."""
    table = _mapped(path, meta, group)
    columns = {}
    for name, dtype in meta["dtypes"][group].items():
        chunks = table.column(name).chunks
        values = (chunks[0].to_numpy(zero_copy_only=True) if len(chunks) == 1
                  else table.column(name).to_numpy())  # an empty column comes as no chunk at all
        columns[name] = values.view(np.dtype(dtype)) if values.size else np.empty(0, np.dtype(dtype))
    return columns


def read(path: Path) -> tuple[CockpitFacts, dict]:
    """Snapshot `path` as CockpitFacts over the mapped files, and the `fields` it was written with;
    UnreadableColumns when it is incomplete, damaged or of another format."""
    try:
        meta = json.loads((path / "snapshot.json").read_text())
        if meta.get("format") != FORMAT:
            raise UnreadableColumns(f"{path.name} is of format {meta.get('format')}, not {FORMAT}")
        groups = {group: _numpy(path, meta, group) for group in (*COLUMN_GROUPS, "customer_ids")}
        amounts = _mapped(path, meta, "categories").column("amount").chunks
        categories = (amounts[0].to_numpy(zero_copy_only=True) if len(amounts) == 1 else np.empty(0, float))
        facts = CockpitFacts(
            as_of=pd.Timestamp(meta["as_of"]), labels=meta["labels"], customers=int(meta["customers"]),
            orders=groups["orders"], categories=categories.reshape(meta["categories_shape"][::-1]).T,
            feedback=groups["feedback"], deals=groups["deals"], customer_quality=groups["customer_quality"],
            campaigns=_mapped(path, meta, "campaigns").to_pandas(),
            campaign_targets=_mapped(path, meta, "campaign_targets").to_pandas(),
            customer_ids=groups["customer_ids"]["id"],
        )
        return facts, meta["fields"]
    except UnreadableColumns:
        raise
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as error:
        raise UnreadableColumns(f"{path.name}: {error}") from error
