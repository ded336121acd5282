"""The audit trail in words for people: field labels and how each value reads, in one place.

"Owner: - -> Riley Rep", "Phone: +14155550123 -> +442079460958"; never a column name (owner_id), never Python's
None. A field without a label here (ids, counters an action adds) is not shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from crm_app import formatting
from crm_app.counts import count_of

NOTHING = "-"

FIELD_LABELS: dict[str, str] = {
    "name": "Name", "company": "Company", "email": "Email", "phone": "Phone", "region": "Region",
    "segment": "Segment", "acquisition_channel": "Acquired through", "owner_id": "Owner",
    "consent_email": "Email consent", "consent_phone": "Phone consent", "external_ref": "External reference",
    "title": "Title", "amount": "Amount", "stage": "Stage", "probability": "Probability",
    "expected_close_date": "Expected close", "closed_at": "Closed", "lost_reason": "Lost reason",
    "kind": "Kind", "body": "Text", "outcome": "Outcome", "duration_minutes": "Duration (minutes)",
    "occurred_at": "When", "campaign": "Campaign",
}
# Fields holding a user's id, shown as that user's name.
PERSON_FIELDS = frozenset({"owner_id"})

# What an audited action on a record reads as on its timeline.
ACTION_TITLES: dict[tuple[str, str], str] = {
    ("customer", "create"): "Customer added",
    ("customer", "update"): "Details changed",
    ("customer", "merge"): "A duplicate was merged into this customer",
    ("customer", "erase"): "Personal data erased",
    ("customer", "reassign"): "Owner changed",
    ("customer", "campaign_add"): "Added to a campaign's audience",
    ("deal", "create"): "Deal opened",
    ("deal", "update"): "Deal changed",
}


def _moment(value: str, time_zone: str | None) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return formatting.moment(parsed, time_zone)


def value_text(field: str, value: Any, person_name: Callable[[int], str | None], time_zone: str | None = None) -> str:
    """One audited value as a person reads it; a stored instant (UTC) on the reader's clock in `time_zone`."""
    if value is None or value == "":
        return NOTHING
    if field in PERSON_FIELDS and isinstance(value, int):
        return person_name(value) or f"user #{value}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field == "probability" and isinstance(value, (int, float)):
        return formatting.percent(value, decimals=0)
    if field == "amount" and isinstance(value, (int, float)):
        return formatting.money(value)
    if isinstance(value, str) and len(value) > 10 and value[4:5] == "-" and value[10:11] == "T":
        return _moment(value, time_zone)
    if isinstance(value, datetime):
        return formatting.moment(value, time_zone)
    if isinstance(value, date):
        return formatting.day(value)
    return str(value)


def batch_note(batch_size: int | None) -> str:
    """What a change made by a bulk action adds to its title: ' (bulk action on 12 customers)'."""
    if isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size > 0:
        return f" (bulk action on {count_of(batch_size, 'customer')})"
    return ""


def change_lines(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
                 person_name: Callable[[int], str | None], time_zone: str | None = None) -> list[str]:
    """'Label: before -> after' for each labelled field whose shown value changed, in FIELD_LABELS' order; times on
    the reader's clock in `time_zone`."""
    old, new = old or {}, new or {}
    lines = []
    for field, label in FIELD_LABELS.items():
        if field not in old and field not in new:
            continue
        before = value_text(field, old.get(field), person_name, time_zone)
        after = value_text(field, new.get(field), person_name, time_zone)
        if before != after:
            lines.append(f"{label}: {before} -> {after}")
    return lines


def people_in(values: list[Mapping[str, Any] | None]) -> set[int]:
    """The user ids a set of audited values names, to look their names up at once."""
    return {value for row in values if row for field, value in row.items()
            if field in PERSON_FIELDS and isinstance(value, int)}
