"""Numbers typed by clients: a digit Python's int() refuses ('²' passes str.isdigit()) gets the app's own
message or is ignored, never Python's "invalid literal for int()" and never a crashed handler."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crm_app.data.models import CustomerCreate, FeedbackSubmission
from crm_app.data.repositories.imports import _Bad, _quantity
from crm_app.data.validation import field_errors, whole_number
from crm_app.states.forms import as_id
from crm_app.states.url_filters import as_month

CUSTOMER = {"name": "Ada", "region": "EMEA", "segment": "SMB", "acquisition_channel": "referral"}


@pytest.mark.parametrize("value, expected", [("0", 0), ("42", 42), ("²", None), ("①", None), ("٣", None),
                                             ("", None), (" 4", None), ("-4", None), ("9" * 19, None), (4, None)])
def test_whole_number_reads_ascii_digits_only(value, expected):
    assert whole_number(value) == expected


def test_a_survey_score_in_superscript_gets_the_surveys_own_message():
    with pytest.raises(ValidationError) as refused:
        FeedbackSubmission.model_validate({"csat": "²", "nps": "¹⁰", "submission_id": "sub-00000001"})
    assert field_errors(refused.value) == {"csat": "Choose how satisfied you are, from 1 to 5.",
                                           "nps": "Choose how likely you are to recommend us, from 0 to 10."}


def test_a_survey_score_sent_as_an_integral_float_is_that_integer():
    """JSON Schema's "integer" (the survey's published schema) includes 3.0 and 10.0; 3.5 is no score."""
    answer = FeedbackSubmission.model_validate({"csat": 3.0, "nps": 10.0, "submission_id": "sub-00000001"})
    assert (answer.csat, answer.nps) == (3, 10) and type(answer.csat) is int
    with pytest.raises(ValidationError) as refused:
        FeedbackSubmission.model_validate({"csat": 3.5, "nps": float("nan"), "submission_id": "sub-00000001"})
    assert set(field_errors(refused.value)) == {"csat", "nps"}


def test_an_owner_id_in_superscript_is_asked_for_again():
    with pytest.raises(ValidationError) as refused:
        CustomerCreate.model_validate(CUSTOMER | {"owner_id": "²"})
    assert field_errors(refused.value)["owner_id"] == "Choose an owner from the list."


def test_ids_months_and_quantities_in_other_digits_are_refused_quietly():
    assert as_id("²") is None
    assert as_month("2026-1²") == ""
    assert as_month("2026-11") == "2026-11"
    with pytest.raises(_Bad, match="must be a whole number from 1 to"):
        _quantity("²")
