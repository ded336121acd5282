"""The audit trail: one row per change, written in the same transaction as the change."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session

from crm_app.data.models import AuditLog


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The audited fields of a record as JSON-ready values."""
    return {name: _jsonable(getattr(record, name)) for name in fields}


_BATCH = "audit_batch_id"


@contextmanager
def audit_batch(session: Session) -> Iterator[str]:
    """Within the block, every audit row the session records shares one new batch id: a bulk action is one batch,
    each record keeping its own row (so each timeline shows its change) that names the batch it was part of."""
    if _BATCH in session.info:
        raise RuntimeError("audit batches do not nest")
    session.info[_BATCH] = batch_id = uuid.uuid4().hex
    try:
        yield batch_id
    finally:
        session.info.pop(_BATCH, None)


def record_change(
    *,
    session: Session,
    actor_id: int | None,
    entity: str,
    entity_id: int,
    action: str,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit row for a change; only the fields that differ are kept for updates."""
    if old is not None and new is not None:
        changed = {key for key in new if old.get(key) != new.get(key)}
        old = {key: old.get(key) for key in changed}
        new = {key: new[key] for key in changed}
    row = AuditLog(
        actor_id=actor_id, entity=entity, entity_id=entity_id, action=action,
        old_values=old, new_values=new, batch_id=session.info.get(_BATCH),
    )
    session.add(row)
    return row
