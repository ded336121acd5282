"""What users send, checked: validation errors in words a user can act on (one per field, never echoing the
value sent), text the database cannot store refused, search terms cleaned."""

from __future__ import annotations

import re
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ValidationError, field_validator

from crm_app.i18n import ENGLISH, N_, catalogue, current_language, gettext


def whole_number(value: Any, *, max_digits: int = 18) -> int | None:
    """A non-negative integer a client wrote in ASCII digits, or None.

    `str.isdigit()` also accepts digits `int()` refuses ('²', '①'); parsing with it let Python's own
    "invalid literal for int()" reach users. Eighteen digits keep every value under 2**63.
    """
    if isinstance(value, str) and 0 < len(value) <= max_digits and value.isascii() and value.isdigit():
        return int(value)
    return None


# What pydantic's own checks say, by the error's type, in the catalogue's words with the limits of its context
# ({max_length}, {ge}, ...): its English would otherwise reach every reader. The schemas' validators raise messages
# already translated (type value_error); a type not listed keeps pydantic's words.
PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": N_("This answer is required."),
    "string_type": N_("Enter text."),
    "string_too_short": N_("Use at least {min_length} characters."),
    "string_too_long": N_("Use at most {max_length} characters."),
    **dict.fromkeys(("int_type", "int_parsing", "int_from_float"), N_("Enter a whole number.")),
    **dict.fromkeys(("float_type", "float_parsing", "decimal_type", "decimal_parsing"), N_("Enter a number.")),
    "finite_number": N_("Enter a finite number."),
    "greater_than": N_("Enter a number greater than {gt}."),
    "greater_than_equal": N_("Enter a number of at least {ge}."),
    "less_than": N_("Enter a number less than {lt}."),
    "less_than_equal": N_("Enter a number of at most {le}."),
    **dict.fromkeys(("bool_type", "bool_parsing"), N_("Choose yes or no.")),
    **dict.fromkeys(("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"),
                    N_("Enter a date like 2026-12-31.")),
    **dict.fromkeys(("datetime_type", "datetime_parsing", "datetime_from_date_parsing"),
                    N_("Enter a date and time like 2026-12-31 14:30.")),
    **dict.fromkeys(("enum", "literal_error"), N_("Choose one of: {choices}.")),
}


def field_errors(error: ValidationError) -> dict[str, str]:
    """One message per field in the reader's language (PYDANTIC_MESSAGES), never echoing the value sent."""
    messages: dict[str, str] = {}
    for item in error.errors(include_input=False, include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "form"
        messages.setdefault(field, _said(item))
    return messages


def _said(item: Any) -> str:
    message = PYDANTIC_MESSAGES.get(item["type"])
    if message is None:
        return str(item["msg"]).removeprefix("Value error, ")
    limits = {name: str(value) for name, value in (item.get("ctx") or {}).items()}
    if "expected" in limits:  # "'email', 'phone' or 'event'": the codes to send, listed as the other choices are
        limits["choices"] = gettext(", ").join(re.split(r", | or ", limits.pop("expected")))
    return gettext(message, **limits)


# PostgreSQL's text cannot hold NUL, and UTF-8 cannot encode a lone surrogate (half of a UTF-16 pair, which a
# JSON "\ud800" or a broken client can send): either would fail the write with an error instead of a message.
UNSTORABLE_TEXT = N_("This text contains an invisible character that cannot be saved (a NUL or a broken "
                      "surrogate): remove it and try again.")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# What a search term keeps: no control characters (NUL included) and no lone surrogates.
_NOT_SEARCHABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def valid_email(value: Any) -> str:
    """An email address as email_validator normalises it, lower-cased; ValueError saying why in the reader's
    language otherwise."""
    try:
        return validate_email(str(storable(value)).strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError(gettext("Enter a valid email address, like name@example.com. {reason}",
                                 reason=email_reason(error)).strip()) from None


# An email_validator reason that names what it found ends in ": <the characters>." ("... before the @-sign: SPACE.").
_FOUND = re.compile(r"(?P<sentence>.+): (?P<found>.+)\.")


def email_reason(error: EmailNotValidError) -> str:
    """Why email_validator refused an address, in the reader's language: its sentence as the catalogue translates it
    (the found characters as a value); to a reader of another language, "" for a reason the catalogue does not
    know, rather than English (the message around it says what is wanted)."""
    text = str(error)
    if current_language() == ENGLISH:
        return text
    known = catalogue(current_language())
    if text in known:
        return known[text]
    if (found := _FOUND.fullmatch(text)) and (template := found["sentence"] + ": {found}.") in known:
        return known[template].format(found=found["found"])
    return ""


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
