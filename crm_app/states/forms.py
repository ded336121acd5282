"""Turning what a form sends into validated schemas, and validation errors into inline messages."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from crm_app.data.validation import field_errors, whole_number

# A list filter's value when it filters nothing ("Any" in its menu, left out of the URL).
ANY = "any"


def parse_form(schema: type[BaseModel], form_data: Any, fields: tuple[str, ...]) -> tuple[Any, dict[str, str]]:
    """Validate the named fields of a submitted form; returns (model, {}) or (None, errors)."""
    form = form_data if isinstance(form_data, dict) else {}
    values = {name: form.get(name) for name in fields}
    try:
        return schema.model_validate(values), {}
    except ValidationError as error:
        return None, field_errors(error)


def as_id(value: Any) -> int | None:
    """A record id sent by a client, or None when it is not a positive integer."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = whole_number(value)
    return value if isinstance(value, int) and 0 < value < 2**63 else None


def as_day(value: Any) -> date | None:
    """A YYYY-MM-DD from the client, within the years the app's dates can hold (date and pandas arithmetic
    overflow near 0001 and 9999: a range ending 9999-12-31 has no next day); None otherwise."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None
    return day if day is not None and 1900 <= day.year <= 2200 else None
