"""What the schemas accept from users, and the passwords and tokens kept for them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crm_app.data import security
from crm_app.data.models import Role, UserCreate
from crm_app.data.security import hash_password, password_needs_rehash, token_digest, verify_password
from crm_app.domain import STAGE_PROBABILITY, DealStage
from crm_app.states.forms import as_id, parse_form

VALID = {"email": "New.Rep@Example.com ", "full_name": "  New Rep ", "role": "sales_rep", "password": "long-enough-1"}


def test_user_create_normalises_email_and_name():
    user = UserCreate.model_validate(VALID)
    assert (user.email, user.full_name, user.role) == ("new.rep@example.com", "New Rep", Role.sales_rep)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "not-an-email", "valid email address"),
        ("email", "jane.doe@@example.com", "valid email address"),
        ("password", "short", "at least 10 characters"),
        ("role", "superuser", "Choose one of: 'admin', 'executive', 'sales_rep', 'marketer'."),
        ("full_name", "   ", "Enter a name"),
    ],
)
def test_user_create_names_the_bad_field(field, value, message):
    user, errors = parse_form(UserCreate, {**VALID, field: value}, tuple(VALID))
    assert user is None
    assert list(errors) == [field]
    assert message in errors[field]


def test_parse_form_survives_hostile_payloads():
    for payload in (None, "x", 42, ["email"], {"email": {"$ne": 1}}):
        user, errors = parse_form(UserCreate, payload, tuple(VALID))
        assert user is None and errors


@pytest.mark.parametrize("value, expected", [(7, 7), ("7", 7), (True, None), (0, None), (-3, None),
                                             ("7; drop", None), (2**70, None), ({"id": 1}, None), (1.5, None)])
def test_as_id_accepts_only_positive_integers(value, expected):
    assert as_id(value) == expected


def test_passwords_hash_with_argon2id_and_verify():
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "Correct horse battery")
    assert not verify_password(None, "correct horse battery")
    assert not verify_password("garbage", "correct horse battery")


def test_an_unknown_email_costs_as_much_as_a_wrong_password():
    # The dummy hash verified for an unknown email has the hasher's own parameters (memory, passes, lanes).
    assert not password_needs_rehash(security._DUMMY_HASH)


def test_token_digest_is_sha256_hex():
    # echo -n abc | sha256sum
    assert token_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_stage_probabilities_rise_through_the_pipeline():
    open_stages = [DealStage.lead, DealStage.qualified, DealStage.proposal, DealStage.negotiation]
    assert [STAGE_PROBABILITY[s] for s in open_stages] == [0.10, 0.25, 0.50, 0.75]
    assert (STAGE_PROBABILITY[DealStage.won], STAGE_PROBABILITY[DealStage.lost]) == (1.0, 0.0)
