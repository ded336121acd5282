"""Customer data quality: completeness, validity of emails and phones, duplicate candidates, freshness, a score."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from crm_app.analytics._common import DAY, utc, utc_column

Moment = datetime | date | str | pd.Timestamp

# How much each customer field weighs in the field part of the overall score (normalised to sum to 1).
FIELD_WEIGHTS: dict[str, float] = {
    "name": 2.0, "email": 2.0, "phone": 1.0, "company": 1.0,
    "region": 1.0, "segment": 1.0, "acquisition_channel": 1.0, "owner_id": 1.0,
}
# overall = 0.5 × weighted field score + 0.25 × uniqueness + 0.25 × freshness
OVERALL_WEIGHTS: dict[str, float] = {"fields": 0.5, "uniqueness": 0.25, "freshness": 0.25}


def _present(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return values.notna() & text.ne("").fillna(False)


def completeness(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.Series:
    """Share of rows (fraction) where each column is present: not missing and, for text, not blank."""
    columns = list(frame.columns) if columns is None else columns
    if frame.empty:
        return pd.Series(np.nan, index=columns, dtype=float, name="completeness")
    return pd.Series({c: float(_present(frame[c]).mean()) for c in columns}, name="completeness", dtype=float)


def _valid_email(value: object) -> bool:
    try:
        validate_email(str(value).strip(), check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _e164(value: object, default_region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(str(value).strip(), default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_validity(emails: pd.Series) -> pd.Series:
    """True when the address is syntactically valid (email-validator, no DNS lookup), False when not,
    <NA> when missing or blank."""
    present = _present(emails)
    result = pd.Series(pd.NA, index=emails.index, dtype="boolean")
    result[present] = emails[present].map(_valid_email).astype(bool)
    return result


def normalised_phone(phones: pd.Series, *, default_region: str | None = None) -> pd.Series:
    """The number in E.164 (+14155550123) when phonenumbers finds it valid, else <NA>. Without a
    `default_region` only numbers written in international form (+country code) can be valid."""
    present = _present(phones)
    result = pd.Series(pd.NA, index=phones.index, dtype="string")
    result[present] = phones[present].map(lambda v: _e164(v, default_region))
    return result


def phone_validity(phones: pd.Series, *, default_region: str | None = None) -> pd.Series:
    """True when phonenumbers.is_valid_number accepts the number, False when not, <NA> when missing."""
    present = _present(phones)
    result = pd.Series(pd.NA, index=phones.index, dtype="boolean")
    result[present] = normalised_phone(phones, default_region=default_region)[present].notna()
    return result


def freshness(frame: pd.DataFrame, as_of: Moment, *, days: int = 365, updated_col: str = "updated_at") -> float:
    """Share of rows (fraction) with updated_at >= as_of − days; NaN for no rows."""
    if frame.empty:
        return float("nan")
    return float((utc_column(frame[updated_col]) >= utc(as_of) - days * DAY).mean())


def _pairs(ids: pd.Series, keys: pd.Series) -> list[tuple]:
    pairs = []
    for _, members in ids[keys.notna()].groupby(keys[keys.notna()]):
        pairs.extend(itertools.combinations(sorted(members), 2))
    return pairs


def exact_duplicates(
    customers: pd.DataFrame,
    *,
    id_col: str = "id",
    email_col: str = "email",
    phone_col: str = "phone",
    default_region: str | None = None,
) -> pd.DataFrame:
    """Pairs (id_a < id_b) sharing the same email (trimmed, lower-cased) or the same valid phone in E.164,
    with `reason` "email" or "phone" (a pair matching on both appears twice)."""
    emails = customers[email_col].astype("string").str.strip().str.lower().replace("", pd.NA)
    phones = normalised_phone(customers[phone_col], default_region=default_region)
    rows = [(a, b, "email") for a, b in _pairs(customers[id_col], emails)]
    rows += [(a, b, "phone") for a, b in _pairs(customers[id_col], phones)]
    return pd.DataFrame(rows, columns=["id_a", "id_b", "reason"]).sort_values(
        ["id_a", "id_b", "reason"], ignore_index=True
    )


def _sorted_tokens(text: str) -> str:
    return " ".join(sorted(re.sub(r"[^\w\s]", " ", text.lower()).split()))


def fuzzy_duplicates(
    customers: pd.DataFrame,
    *,
    threshold: float = 90.0,
    block_prefix: int = 2,
    id_col: str = "id",
    name_col: str = "name",
    company_col: str = "company",
) -> pd.DataFrame:
    """Pairs (id_a < id_b) whose "name company" texts score >= threshold on rapidfuzz's token_sort_ratio
    (0-100: the normalised Indel similarity of the texts with their words sorted), with that `score`.

    Texts are lower-cased, punctuation removed and words sorted; only rows whose sorted text shares the
    first `block_prefix` characters are compared (blocking), so the cost is Σ block² rather than n² —
    a typo in those first characters hides a pair. Sorted by descending score.
    """
    text = (customers[name_col].fillna("").astype(str) + " " + customers[company_col].fillna("").astype(str))
    keys = text.map(_sorted_tokens)
    ids = customers[id_col].to_numpy()
    usable = keys.str.len() > 0
    rows = []
    for _, block in keys[usable].groupby(keys[usable].str[:block_prefix]):
        if len(block) < 2:
            continue
        scores = cdist(block.tolist(), block.tolist(), scorer=fuzz.token_sort_ratio, score_cutoff=threshold,
                       dtype=np.float64, workers=-1)
        first, second = np.nonzero(np.triu(scores, k=1) >= threshold)
        positions = customers.index.get_indexer(block.index)
        for i, j in zip(first, second):
            a, b = sorted((ids[positions[i]], ids[positions[j]]))
            rows.append((a, b, float(scores[i, j])))
    frame = pd.DataFrame(rows, columns=["id_a", "id_b", "score"])
    return frame.sort_values(["score", "id_a", "id_b"], ascending=[False, True, True], ignore_index=True)


@dataclass(frozen=True)
class DataQuality:
    """`fields`: per field completeness, validity (share of present values that are valid; 1 without a
    rule), score = completeness × validity and weight; the rest are fractions and the candidate pairs."""

    fields: pd.DataFrame
    field_score: float
    uniqueness: float
    freshness: float
    overall: float
    exact_duplicates: pd.DataFrame
    fuzzy_duplicates: pd.DataFrame


def data_quality(
    customers: pd.DataFrame,
    as_of: Moment,
    *,
    field_weights: dict[str, float] | None = None,
    fresh_days: int = 365,
    fuzzy_threshold: float = 90.0,
    default_region: str | None = None,
    id_col: str = "id",
    updated_col: str = "updated_at",
) -> DataQuality:
    """Quality of the customer table.

    field score_f = completeness_f × validity_f (emails and phones have validity rules); field_score =
    Σ w_f score_f / Σ w_f with `field_weights` (default FIELD_WEIGHTS, fields missing from the frame skipped);
    uniqueness = 1 − share of customers in at least one exact or fuzzy duplicate pair;
    freshness = share updated within `fresh_days` of as_of;
    overall = 0.5 field_score + 0.25 uniqueness + 0.25 freshness (OVERALL_WEIGHTS). All fractions in [0, 1].
    """
    weights = {f: w for f, w in (field_weights or FIELD_WEIGHTS).items() if f in customers.columns}
    complete = completeness(customers, list(weights))
    validity = pd.Series(1.0, index=list(weights), dtype=float)
    rules = {"email": email_validity, "phone": lambda s: phone_validity(s, default_region=default_region)}
    for field, rule in rules.items():
        if field in weights:
            valid = rule(customers[field]).dropna()
            validity[field] = float(valid.mean()) if len(valid) else 1.0
    fields = pd.DataFrame({"completeness": complete, "validity": validity})
    fields["score"] = fields.completeness * fields.validity
    fields["weight"] = pd.Series(weights, dtype=float) / sum(weights.values())
    fields.index.name = "field"
    field_score = float((fields.score * fields.weight).sum())

    exact = exact_duplicates(customers, id_col=id_col, default_region=default_region)
    fuzzy = fuzzy_duplicates(customers, threshold=fuzzy_threshold, id_col=id_col)
    involved = set(exact.id_a) | set(exact.id_b) | set(fuzzy.id_a) | set(fuzzy.id_b)
    uniqueness = 1 - len(involved) / len(customers) if len(customers) else float("nan")
    fresh = freshness(customers, as_of, days=fresh_days, updated_col=updated_col)
    overall = (OVERALL_WEIGHTS["fields"] * field_score + OVERALL_WEIGHTS["uniqueness"] * uniqueness
               + OVERALL_WEIGHTS["freshness"] * fresh)
    return DataQuality(fields=fields, field_score=field_score, uniqueness=uniqueness, freshness=fresh,
                       overall=overall, exact_duplicates=exact, fuzzy_duplicates=fuzzy)
