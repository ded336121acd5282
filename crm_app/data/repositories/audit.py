"""The audit trail: one row per change, written in the same transaction as the change."""

from __future__ import annotations

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
        old_values=old, new_values=new,
    )
    session.add(row)
    return row
