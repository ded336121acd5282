"""Data quality of five hand-built customers."""

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from crm_app.analytics.quality import (
    completeness,
    data_quality,
    email_validity,
    exact_duplicates,
    freshness,
    fuzzy_duplicates,
    phone_validity,
)

T = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731

CUSTOMERS = pd.DataFrame(
    {
        "id": [1, 2, 3, 4, 5],
        "name": ["John Smith", "Smith, John", "Jane Doe", "Jon Smith", "Bob Stone"],
        "company": ["Acme Corp", "ACME Corp.", None, "Acme Corp", "Globex"],
        "email": ["John@Example.com ", "john@example.com", "not-an-email", None, "bob@globex.com"],
        "phone": ["+14155552671", "+1 415-555-2671", "12345", "+44 20 7946 0958", None],
        "region": ["west", "west", "east", "east", None],
        "segment": ["smb", "smb", None, "", "mid"],
        "updated_at": [T("2024-05-01"), T("2023-01-01"), T("2024-06-01"), T("2024-06-10"), T("2024-06-20")],
    }
)


def test_completeness_counts_blank_text_as_missing():
    # segment: "smb", "smb", None, "", "mid" -> 3 of 5
    assert_series_equal(
        completeness(CUSTOMERS, ["name", "segment", "company"]),
        pd.Series({"name": 1.0, "segment": 0.6, "company": 0.8}, name="completeness"),
    )


def test_email_and_phone_validity():
    assert email_validity(CUSTOMERS.email).tolist() == [True, True, False, pd.NA, True]
    # "12345" has no country code and is too short; the UK and US numbers are valid in E.164
    assert phone_validity(CUSTOMERS.phone).tolist() == [True, True, False, True, pd.NA]
    # without a default region a national number cannot be read; with one it can
    assert phone_validity(pd.Series(["020 7946 0958"])).tolist() == [False]
    assert phone_validity(pd.Series(["020 7946 0958"]), default_region="GB").tolist() == [True]


def test_exact_duplicates_on_normalised_email_and_phone():
    expected = pd.DataFrame({"id_a": [1, 1], "id_b": [2, 2], "reason": ["email", "phone"]})
    assert_frame_equal(exact_duplicates(CUSTOMERS), expected)


def test_fuzzy_duplicates_on_name_and_company():
    # sorted words: 1 and 2 -> "acme corp john smith" (100); 4 -> "acme corp jon smith":
    # Indel similarity 1 - 1/39 = 97.44 against both
    expected = pd.DataFrame({"id_a": [1, 1, 2], "id_b": [2, 4, 4], "score": [100.0, 100 * 38 / 39, 100 * 38 / 39]})
    assert_frame_equal(fuzzy_duplicates(CUSTOMERS), expected)
    assert fuzzy_duplicates(CUSTOMERS, threshold=99).shape[0] == 1


def test_freshness():
    # within 365 days of 2024-07-01 (from 2023-07-02): all but customer 2 -> 4/5
    assert freshness(CUSTOMERS, "2024-07-01") == 0.8


def test_overall_score_by_hand():
    quality = data_quality(CUSTOMERS, "2024-07-01")
    # fields present: name 2, email 2, phone 1, company 1, region 1, segment 1 (weights, sum 8)
    # completeness 1, .8, .8, .8, .8, .6; validity email 3/4, phone 3/4
    expected = pd.DataFrame(
        {
            "completeness": [1.0, 0.8, 0.8, 0.8, 0.8, 0.6],
            "validity": [1.0, 0.75, 0.75, 1.0, 1.0, 1.0],
            "score": [1.0, 0.6, 0.6, 0.8, 0.8, 0.6],
            "weight": [0.25, 0.25, 0.125, 0.125, 0.125, 0.125],
        },
        index=pd.Index(["name", "email", "phone", "company", "region", "segment"], name="field"),
    )
    assert_frame_equal(quality.fields, expected)
    # (2·1 + 2·0.6 + 0.6 + 0.8 + 0.8 + 0.6) / 8 = 6/8
    assert quality.field_score == pytest.approx(0.75)
    # customers 1, 2, 4 are in a duplicate pair -> 1 - 3/5
    assert quality.uniqueness == pytest.approx(0.4)
    assert quality.freshness == 0.8
    # 0.5 · 0.75 + 0.25 · 0.4 + 0.25 · 0.8 = 0.675
    assert quality.overall == pytest.approx(0.675)
