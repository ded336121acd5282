"""Finding where free text mentions a person: their name, email, phone (in any format) or reference.

A privacy erase redacts these mentions wherever staff wrote them, on the person's records and on anyone else's.
Phones are found with libphonenumber's matcher (numbers without a country code read as one of the person's own
countries) and compared as E.164, so `+1 415-853-4038`, `(415) 853-4038` and `4158534038` are all the person's
`+14158534038`; the digits of the national number with any separators between them are caught too, for the
formats the matcher refuses (`001 415 853 4038` read as a US number), unless they are part of another number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import phonenumbers

REDACTED = "[erased]"
# Identifiers shorter than this are too common to redact wherever they appear (a two-letter "company").
SHORTEST_IDENTIFIER = 3
# National numbers shorter than this are matched only by the phone matcher: a bare run of five or six digits is
# more often an amount or an order number than the person's phone.
SHORTEST_BARE_NUMBER = 7
# What may stand between the digits of a phone number written by hand.
PHONE_SEPARATORS = " \t\n\r-.()/"


@dataclass(frozen=True, order=True)
class Mention:
    """Where `text[start:end]` names the person, and by what (name, company, email, phone or reference)."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Person:
    """Everything that identifies one person in free text. Phones are E.164 (`+14158534038`)."""

    names: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    @classmethod
    def of(cls, *, names: Iterable[str | None] = (), companies: Iterable[str | None] = (),
           emails: Iterable[str | None] = (), phones: Iterable[str | None] = (),
           references: Iterable[str | None] = ()) -> Person:
        """A person from raw values: blanks and too-short values dropped, phones parsed to E.164."""
        return cls(names=_usable(names), companies=_usable(companies), emails=_usable(emails),
                   phones=tuple(sorted({e164 for e164 in map(e164_of, phones) if e164})),
                   references=_usable(references))

    def without_companies(self) -> Person:
        """The same person, without the companies: colleagues on other records keep the company's name."""
        return Person(names=self.names, emails=self.emails, phones=self.phones, references=self.references)

    def words(self) -> tuple[str, ...]:
        """Every identifier searched for as written (names, companies, emails, references)."""
        return self.names + self.companies + self.emails + self.references

    def national_numbers(self) -> tuple[str, ...]:
        """The national significant number of each phone (`4158534038`), to find the phone however written."""
        return tuple(phonenumbers.national_significant_number(phonenumbers.parse(phone)) for phone in self.phones)

    @cached_property
    def text_patterns(self) -> tuple[tuple[re.Pattern[str], str], ...]:
        patterns = [(_words_pattern(value), "name") for value in self.names]
        patterns += [(_words_pattern(value), "company") for value in self.companies]
        patterns += [(_email_pattern(value), "email") for value in self.emails]
        patterns += [(_words_pattern(value), "reference") for value in self.references]
        patterns += [(_digits_pattern(number), "phone") for number in self.national_numbers()
                     if len(number) >= SHORTEST_BARE_NUMBER]
        return tuple(patterns)

    @cached_property
    def phone_regions(self) -> tuple[str, ...]:
        # A number written without its country code is read as one of the person's own countries.
        return tuple(sorted({phonenumbers.region_code_for_number(phonenumbers.parse(phone)) or "ZZ"
                             for phone in self.phones}))


def e164_of(value: str | None) -> str | None:
    """`value` as an E.164 number when it is a phone number with its country code, else None."""
    if not value or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _usable(values: Iterable[str | None]) -> tuple[str, ...]:
    kept = {" ".join(value.split()) for value in values if value}
    return tuple(sorted(value for value in kept if len(value) >= SHORTEST_IDENTIFIER))


def _words_pattern(value: str) -> re.Pattern[str]:
    """`value` as whole words, any case, with any run of spaces or line breaks between its words."""
    words = [re.escape(word) for word in value.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def _email_pattern(email: str) -> re.Pattern[str]:
    """`email` in any case, not part of a longer address (a full stop after it may end the sentence)."""
    return re.compile(r"(?<![\w.+-])" + re.escape(email) + r"(?![\w@-]|\.\w)", re.IGNORECASE)


def _digits_pattern(national_number: str) -> re.Pattern[str]:
    """The digits of `national_number` in order, any separators between them, not inside a longer number."""
    gap = "[" + re.escape(PHONE_SEPARATORS) + "]*"
    return re.compile(r"(?<!\d)" + gap.join(national_number) + r"(?!\d)")


def find_mentions(text: str, person: Person) -> list[Mention]:
    """Where `text` mentions `person`, in order and without overlaps (a longer mention wins over one inside it)."""
    if not text:
        return []
    found = [Mention(match.start(), match.end(), kind)
             for pattern, kind in person.text_patterns for match in pattern.finditer(text)]
    other_numbers = []
    for region in person.phone_regions:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
            if phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164) in person.phones:
                found.append(Mention(_without_open_bracket(text, match.start, match.end), match.end, "phone"))
            else:
                other_numbers.append((match.start, match.end))
    # Her national number's digits inside a number the matcher read as someone else's (`+44 415 853 4038`) are not her.
    found = [mention for mention in found if not any(
        mention.kind == "phone" and start <= mention.start and mention.end <= end for start, end in other_numbers)]
    kept: list[Mention] = []
    for mention in sorted(found, key=lambda mention: (mention.start, -mention.end)):
        if kept and mention.start < kept[-1].end:
            if mention.end > kept[-1].end:  # overlapping, not inside: one mention spans both
                kept[-1] = Mention(kept[-1].start, mention.end, kept[-1].kind)
            continue
        kept.append(mention)
    return kept


def _without_open_bracket(text: str, start: int, end: int) -> int:
    """The start of a matched phone past a bracket it does not close: "(+1 415-853-4038)" leaves "(" and ")"."""
    span = text[start:end]
    return start + 1 if span.startswith("(") and span.count("(") > span.count(")") else start


def redact(text: str | None, person: Person) -> str | None:
    """`text` with every mention of `person` replaced by REDACTED."""
    if not text:
        return text
    for mention in reversed(find_mentions(text, person)):
        text = text[:mention.start] + REDACTED + text[mention.end:]
    return text


def redact_json(value: Any, person: Person) -> Any:
    """A JSON value (dicts, lists, strings, numbers) with every string, keys included, redacted."""
    if isinstance(value, dict):
        return {redact(key, person) if isinstance(key, str) else key: redact_json(item, person)
                for key, item in value.items()}
    if isinstance(value, list):
        return [redact_json(item, person) for item in value]
    if isinstance(value, str):
        return redact(value, person)
    return value
