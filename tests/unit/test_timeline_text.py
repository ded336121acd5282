"""What people wrote, shown on a timeline: web addresses become links, everything else stays text, line breaks kept;
the audit trail in words."""

from __future__ import annotations

from crm_app.data.change_text import change_lines
from crm_app.states.timeline import TextPart, text_parts


def test_addresses_become_links_and_the_rest_stays_text():
    assert text_parts("See https://example.com/q?id=7.\nOr www.example.org, <b>not html</b>") == [
        TextPart("See "), TextPart("https://example.com/q?id=7", "https://example.com/q?id=7"), TextPart(".\nOr "),
        TextPart("www.example.org", "https://www.example.org"), TextPart(", <b>not html</b>"),
    ]


def test_only_web_addresses_are_links():
    assert text_parts("javascript:alert(1) and data:text/html,x") == [TextPart("javascript:alert(1) and data:text/html,x")]
    assert text_parts("") == []


def test_changes_read_as_words_never_as_columns():
    names = {7: "Riley Rep"}.get
    assert change_lines({"owner_id": None, "external_ref": None, "consent_email": False, "probability": 0.25},
                        {"owner_id": 7, "external_ref": None, "consent_email": True, "probability": 0.5}, names) == [
        "Owner: - -> Riley Rep", "Email consent: no -> yes", "Probability: 25% -> 50%"]
    assert change_lines({"closed_at": None, "merged_customer_id": 3}, {"closed_at": "2026-03-14T15:00:00+00:00",
                                                                       "merged_customer_id": 4}, names) == [
        "Closed: - -> Mar 14, 2026, 3:00\u202fPM"]  # the company's locale (en_US by default), see formatting
    # On the reader's own clock: 15:00 UTC is 16:00 in Berlin in March (CET).
    assert change_lines({"closed_at": None}, {"closed_at": "2026-03-14T15:00:00+00:00"}, names, "Europe/Berlin") == [
        "Closed: - -> Mar 14, 2026, 4:00\u202fPM"]
    assert change_lines({"amount": 1200}, {"amount": 1234.5}, names) == ["Amount: $1,200.00 -> $1,234.50"]
    assert change_lines({"external_ref": ""}, {"external_ref": None}, names) == []
