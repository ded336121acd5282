"""Text the database cannot store (a NUL, a lone surrogate) is refused by every schema with one message, and
search terms are cleaned of it."""

from __future__ import annotations

import pytest

from crm_app.data.models import CustomerCreate, CustomerUpdate, FeedbackSubmission, UserCreate, UserUpdate
from crm_app.data.repositories.deals import DealCreate
from crm_app.data.repositories.orders import OrderLineDraft
from crm_app.data.repositories.tasks import TaskDraft
from crm_app.data.validation import UNSTORABLE_TEXT, UserInput, search_term, unstorable
from crm_app.states.forms import parse_form

CUSTOMER = {"name": "Ada Lovelace", "region": "EMEA", "segment": "SMB", "acquisition_channel": "event"}
VALID = [
    (CustomerCreate, CUSTOMER),
    (CustomerUpdate, CUSTOMER),
    (FeedbackSubmission, {"csat": 4, "nps": 9, "comment": "Fine", "submission_id": "sub-00000001"}),
    (UserCreate, {"email": "new@example.com", "full_name": "New Person", "role": "sales_rep",
                  "password": "a long enough secret"}),
    (UserUpdate, {"full_name": "New Name"}),
    (DealCreate, {"title": "Renewal", "customer_id": 1, "amount": "100", "expected_close_date": "2026-03-31"}),
    (TaskDraft, {"subject": "Call back", "due_on": "2026-03-31", "notes": "About the invoice"}),
    (OrderLineDraft, {"product_id": "1", "quantity": "2", "unit_price": "9.50"}),
]
# Fields where any text is allowed, so the unstorable character is the only thing wrong.
FREE_TEXT = {"name", "comment", "email", "submission_id", "full_name", "password", "title", "subject", "notes"}


def test_every_schema_of_user_input_refuses_unstorable_text():
    assert all(issubclass(schema, UserInput) for schema, _ in VALID)


@pytest.mark.parametrize("schema, values", VALID, ids=lambda value: getattr(value, "__name__", ""))
@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "half a pair \ud83d"])
def test_each_field_refuses_unstorable_text_and_free_text_says_why(schema, values, bad):
    for field in values:
        model, errors = parse_form(schema, {**values, field: f"{values[field]}{bad}"}, tuple(values))
        assert model is None, field
        if field in FREE_TEXT:  # numbers, dates and choices say what they expect instead
            assert errors == {field: UNSTORABLE_TEXT}, field


@pytest.mark.parametrize("schema, values", VALID, ids=lambda value: getattr(value, "__name__", ""))
def test_valid_input_still_passes(schema, values):
    model, errors = parse_form(schema, values, tuple(values))
    assert errors == {} and model is not None


def test_other_control_characters_and_emoji_are_storable():
    assert not unstorable("tab\there, bell \x07, emoji \U0001f600, accents é")
    assert unstorable("\x00") and unstorable("\udfff") and not unstorable(None) and not unstorable(7)


@pytest.mark.parametrize(
    "typed, cleaned",
    [
        ("a\x00b", "ab"),
        ("\x00", ""),
        ("  smith\t\n jones ", "smith jones"),
        ("half \ud800 pair", "half pair"),
        ("\x7f\x85", ""),
        ("Zoë 100%_", "Zoë 100%_"),
        ("x" * 150, "x" * 100),
        (None, ""),
        (["a"], ""),
    ],
)
def test_search_terms_are_cleaned(typed, cleaned):
    assert search_term(typed) == cleaned
