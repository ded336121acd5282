"""What users send, checked: validation errors in words a user can act on (one per field, never echoing the
value sent), text the database cannot store refused, search terms cleaned."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator

from crm_app.i18n import N_, gettext


def whole_number(value: Any, *, max_digits: int = 18) -> int | None:
    """A non-negative integer a client wrote in ASCII digits, or None.

    `str.isdigit()` also accepts digits `int()` refuses ('²', '①'); parsing with it let Python's own
    "invalid literal for int()" reach users. Eighteen digits keep every value under 2**63.
    """
    if isinstance(value, str) and 0 < len(value) <= max_digits and value.isascii() and value.isdigit():
        return int(value)
    return None


def field_errors(error: ValidationError) -> dict[str, str]:
    """One message per field, in the words pydantic gives, without its 'Value error, ' prefix (a missing answer in
    the reader's language; the validators' own messages are translated where they are raised)."""
    messages: dict[str, str] = {}
    for item in error.errors(include_input=False, include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "form"
        message = gettext("This answer is required.") if item["type"] == "missing" else item["msg"]
        messages.setdefault(field, message.removeprefix("Value error, "))
    return messages


# PostgreSQL's text cannot hold NUL, and UTF-8 cannot encode a lone surrogate (half of a UTF-16 pair, which a
# JSON "\ud800" or a broken client can send): either would fail the write with an error instead of a message.
UNSTORABLE_TEXT = N_("This text contains an invisible character that cannot be saved (a NUL or a broken "
                      "surrogate): remove it and try again.")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# What a search term keeps: no control characters (NUL included) and no lone surrogates.
_NOT_SEARCHABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def unstorable(value: Any) -> bool:
    """Whether `value` is text holding a character the database cannot store (see UNSTORABLE_TEXT)."""
    return isinstance(value, str) and _UNSTORABLE.search(value) is not None


def storable_text(text: str) -> str:
    """`text` with each character the database cannot store replaced by U+FFFD, for text kept as evidence (an
    audit row of what a visitor typed) rather than refused."""
    return _UNSTORABLE.sub("\ufffd", text)


def storable(value: Any) -> Any:
    """`value` unchanged, or ValueError(UNSTORABLE_TEXT in the reader's language) when it is text the database
    cannot store."""
    if unstorable(value):
        raise ValueError(gettext(UNSTORABLE_TEXT))
    return value


class UserInput(BaseModel):
    """Base of every schema validating what a user, a form or an API client sends: no field may hold text the
    database cannot store, whatever other checks the schema adds (its own 'before' checks run first)."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return storable(value)


def search_term(text: Any, *, limit: int = 100) -> str:
    """A search box's text made safe to search with: control characters (NUL included) and lone surrogates
    dropped, runs of spaces made one, trimmed, cut to `limit` characters. "" when nothing is left."""
    if not isinstance(text, str):
        return ""
    return " ".join(_NOT_SEARCHABLE.sub("", text).split())[:limit]
