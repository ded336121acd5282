"""pydantic's own checks said in the reader's language (crm_app/data/validation.py PYDANTIC_MESSAGES, issue 16):
a form's inline message for a too-long name, a number that is not one or an unknown choice reads in Chinese to a
Chinese reader, with the schema's limit in it, and never echoes the value sent."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from crm_app import i18n
from crm_app.data.models import CustomerCreate, FeedbackSubmission, UserCreate, UserUpdate
from crm_app.data.repositories.budget_planner import PlannerBudget
from crm_app.data.repositories.campaigns import CampaignDraft
from crm_app.data.repositories.deals import DealDetails
from crm_app.data.repositories.orders import OrderLineDraft
from crm_app.data.repositories.tasks import TaskDraft
from crm_app.data.repositories.timeline import ActivityDraft
from crm_app.data.validation import PYDANTIC_MESSAGES, field_errors

SCHEMAS = (CustomerCreate, FeedbackSubmission, UserCreate, UserUpdate, PlannerBudget, CampaignDraft, DealDetails,
           OrderLineDraft, TaskDraft, ActivityDraft)
# What a hostile or careless client may put in any field.
ODD_VALUES = ("x" * 100_000, "abc", "", -10**30, 10**30, float("nan"), float("inf"), -1, 1.5, None, [], {},
              "2026-13-45", True, "1e400")


def _errors(schema, data, language=i18n.ENGLISH) -> dict[str, str]:
    with i18n.speaking(language), pytest.raises(ValidationError) as refused:
        schema.model_validate(data)
    with i18n.speaking(language):
        return field_errors(refused.value)


def test_pydantics_checks_read_in_the_readers_language_with_their_limits():
    user = {"email": "a@example.com", "full_name": "Ada", "role": "boss", "password": "short"}
    assert _errors(UserCreate, user) == {"role": "Choose one of: 'admin', 'executive', 'sales_rep', 'marketer'.",
                                         "password": "Use at least 10 characters."}
    assert _errors(UserCreate, user, i18n.CHINESE) == {
        "role": "请从以下选项中选择一个：'admin'、'executive'、'sales_rep'、'marketer'。",
        "password": "请至少使用 10 个字符。"}
    draft = {"name": "Spring", "channel": "phone", "start_date": "2026-12-01", "end_date": "someday", "cost": "abc",
             "attribution_days": 1.5}
    assert _errors(CampaignDraft, draft, i18n.CHINESE) == {"end_date": "请输入日期，例如 2026-12-31。",
                                                           "cost": "请输入数字。", "attribution_days": "请输入整数。"}


@pytest.mark.parametrize(("address", "english", "chinese"), [
    ("ab", "An email address must have an @-sign.", "电子邮箱地址必须包含 @ 符号。"),
    ("a b@c.com", "The email address contains invalid characters before the @-sign: SPACE.", "@ 符号前包含无效字符：SPACE。"),
    ("a＠b.com", 'The email address has the "full-width" at-sign (@) character instead of a regular at-sign.',
     "电子邮箱地址使用了全角 @ 符号，请改用普通的半角 @ 符号。"),
    # A reason the catalogue does not know is left out for a Chinese reader, not shown in English.
    ("a@" + "b" * 64 + ".com", "After the @-sign, periods cannot be separated by so many characters (1 character too many).",
     ""),
])
def test_an_email_address_is_refused_with_email_validators_reason_in_the_readers_language(address, english, chinese):
    customer = {"name": "Ada", "email": address, "region": "EMEA", "segment": "SMB", "acquisition_channel": "event"}
    assert _errors(CustomerCreate, customer) == {"email": f"Enter a valid email address, like name@example.com. {english}"}
    assert _errors(CustomerCreate, customer, i18n.CHINESE) == {"email": f"请输入有效的电子邮箱地址，例如 name@example.com。{chinese}"}
    # The survey and a new user's address go through the same check.
    assert _errors(FeedbackSubmission, {"csat": 5, "nps": 9, "email": address, "submission_id": "abcdefgh"},
                   i18n.CHINESE) == {"email": f"请输入有效的电子邮箱地址，例如 name@example.com。{chinese}"}


def test_a_too_long_text_names_the_limit_and_not_the_text():
    errors = _errors(UserUpdate, {"full_name": "y" * 500}, i18n.CHINESE)
    assert errors == {"full_name": "请最多使用 120 个字符。"}


def test_a_campaigns_own_checks_are_chinese_too():
    draft = {"name": " ", "channel": "fax", "start_date": "2026-12-01", "end_date": "2026-12-31"}
    assert _errors(CampaignDraft, draft, i18n.CHINESE) == {"name": "请输入不超过 200 个字符的名称。",
                                                           "channel": "请从以下选项中选择一个：'email'、'phone'、'event'、'ads'。"}


def test_no_odd_value_in_any_field_leaves_a_chinese_reader_with_english():
    """Every field of every form schema, given each odd value: its message is a catalogue message (no run of two
    English words outside the quoted codes), and the schema refuses with a ValidationError, never a crash."""
    english = re.compile(r"[A-Za-z]+ [A-Za-z]+")
    unlisted: set[str] = set()
    said: dict[tuple[str, str], str] = {}
    for schema in SCHEMAS:
        for name in schema.model_fields:
            for value in ODD_VALUES:
                with i18n.speaking(i18n.CHINESE):
                    try:
                        schema.model_validate({name: value})
                    except ValidationError as refused:
                        unlisted |= {item["type"] for item in refused.errors() if item["type"] != "value_error"
                                     and item["loc"] and item["loc"][0] == name} - set(PYDANTIC_MESSAGES)
                        message = field_errors(refused).get(name)
                        if message is not None and english.search(re.sub(r"'[^']*'", "", message)):
                            said[(schema.__name__, name)] = message
    assert unlisted == set()
    assert said == {}
