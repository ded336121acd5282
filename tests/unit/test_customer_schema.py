"""What the customer form accepts: normalised email and E.164 phone, one message per bad field."""

from __future__ import annotations

import pytest

from crm_app.data.models import CustomerCreate
from crm_app.states.forms import parse_form

FIELDS = tuple(CustomerCreate.model_fields)

VALID = {"name": "  Ada   Lovelace ", "company": " ", "email": " Ada@Engines.Example.COM", "phone": "+1 (415) 555-2671",
         "region": "EMEA", "segment": "SMB", "acquisition_channel": "event", "consent_email": "on"}


def test_a_valid_form_is_normalised():
    customer, errors = parse_form(CustomerCreate, VALID, FIELDS)
    assert errors == {}
    assert customer.model_dump() == {
        "name": "Ada Lovelace", "company": None, "email": "ada@engines.example.com", "phone": "+14155552671",
        "region": "EMEA", "segment": "SMB", "acquisition_channel": "event", "consent_email": True,
        "consent_phone": False, "owner_id": None,
    }


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "   ", "Enter the customer's name."),
        ("name", "x" * 201, "Keep this to 200 characters or fewer."),
        ("name", ["Ada"], "Enter text here."),
        ("email", "ada@@engines.example.com", "Enter a valid email address"),
        ("email", "ada.engines.example.com", "Enter a valid email address"),
        ("phone", "0207 946 0958", "Enter the number with its country code, like +44 20 7946 0958."),
        ("phone", "+44 20 7946", "This is not a valid phone number."),
        ("region", "Mars", "Choose one of: EMEA, North America, LATAM, APAC."),
        ("segment", None, "Choose one of: Enterprise, Mid-Market, SMB, Consumer."),
        ("owner_id", "7; drop table", "Choose an owner from the list."),
        ("owner_id", True, "Choose an owner from the list."),
    ],
)
def test_each_bad_field_gets_its_own_message(field, value, message):
    customer, errors = parse_form(CustomerCreate, {**VALID, field: value}, FIELDS)
    assert customer is None
    assert list(errors) == [field]
    assert errors[field].startswith(message)


def test_an_owner_id_arrives_as_a_number_or_none():
    assert parse_form(CustomerCreate, {**VALID, "owner_id": "42"}, FIELDS)[0].owner_id == 42
    assert parse_form(CustomerCreate, {**VALID, "owner_id": "none"}, FIELDS)[0].owner_id is None
