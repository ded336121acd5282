"""Validation errors in words a user can act on, one per field, never echoing the value sent."""

from __future__ import annotations

from pydantic import ValidationError


def field_errors(error: ValidationError) -> dict[str, str]:
    """One message per field, in the words pydantic gives, without its 'Value error, ' prefix."""
    messages: dict[str, str] = {}
    for item in error.errors(include_input=False, include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "form"
        message = "This answer is required." if item["type"] == "missing" else item["msg"]
        messages.setdefault(field, message.removeprefix("Value error, "))
    return messages
