"""The mention finder: where free text names a person, with spans counted by hand."""

from __future__ import annotations

import pytest

from crm_app.data.mentions import Mention, Person, e164_of, find_mentions, redact, redact_json

ZELDA = Person.of(names=["Zelda Quixote-Marsh"], emails=["zelda.qm@privacy-test.example"],
                  phones=["+1 415-853-4038"], references=["CRM-00042"])


@pytest.mark.parametrize(("text", "span"), [
    ("Call +1 415-853-4038 today", (5, 20)),
    ("Call (415) 853-4038 today", (5, 19)),
    ("Call 4158534038 today", (5, 15)),
    ("Call +14158534038 today", (5, 17)),
    ("Call 415.853.4038 today", (5, 17)),
    ("Call 1-415-853-4038 today", (5, 19)),
    ("Call me (+1 415-853-4038) today", (9, 24)),  # the brackets around the number stay
    ("Call 001 415 853 4038 today", (9, 21)),  # the US matcher refuses the 001 prefix; the digits are hers
])
def test_her_phone_is_found_in_every_format(text, span):
    assert find_mentions(text, ZELDA) == [Mention(*span, "phone")]


@pytest.mark.parametrize("text", [
    "Call +1 415-853-4039 today",  # another number
    "Invoice 14158534038999",  # her digits inside a longer number
    "Call +44 415 853 4038",  # the same digits in another country
])
def test_other_numbers_are_not_her_phone(text):
    assert find_mentions(text, ZELDA) == []


def test_name_email_and_reference_in_any_case_and_spacing():
    text = "ZELDA  quixote-marsh\n(Zelda.QM@Privacy-Test.Example.) ref crm-00042"
    assert find_mentions(text, ZELDA) == [
        Mention(0, 20, "name"), Mention(22, 51, "email"), Mention(58, 67, "reference")]


def test_a_longer_word_or_address_is_not_her():
    text = "Zelda Quixote-Marshall, xzelda.qm@privacy-test.example, zelda.qm@privacy-test.example.org"
    assert find_mentions(text, ZELDA) == []


def test_overlapping_mentions_become_one():
    person = Person.of(names=["Quixote Ltd", "Ltd Zelda"])
    assert find_mentions("At Quixote Ltd Zelda's desk", person) == [Mention(3, 20, "name")]


def test_redact_replaces_each_mention_and_keeps_the_rest():
    assert redact("Rang Zelda Quixote-Marsh on (415) 853-4038, ask for Zelda", ZELDA) == (
        "Rang [erased] on [erased], ask for Zelda")


def test_redact_json_redacts_keys_and_nested_strings_and_keeps_numbers():
    value = {"top": [{"customer_id": 7, "name": "Zelda Quixote-Marsh", "clv": 812.5}],
             "zelda.qm@privacy-test.example": 1, "note": None}
    assert redact_json(value, ZELDA) == {"top": [{"customer_id": 7, "name": "[erased]", "clv": 812.5}],
                                         "[erased]": 1, "note": None}


def test_person_of_drops_blanks_short_values_and_numbers_without_country_code():
    person = Person.of(names=["Al", "  Zelda   Quixote-Marsh ", None, ""], emails=["z@x.io"],
                       phones=["(415) 853-4038", "+44 20 7946 0958", None], companies=["Quixotic Ltd"])
    assert person == Person(names=("Zelda Quixote-Marsh",), companies=("Quixotic Ltd",), emails=("z@x.io",),
                            phones=("+442079460958",))
    assert person.without_companies().companies == ()
    assert e164_of("+1 (415) 853-4038") == "+14158534038"
