"""Every stored code has one human label, next to its enum, and shared codes read the same everywhere."""

from __future__ import annotations

from crm_app import labels
from crm_app.data.models import ACTIVITY_KIND_LABELS, FEEDBACK_STATUS_LABELS, ROLE_LABELS, ActivityKind, FeedbackStatus, Role
from crm_app.domain import (
    ACQUISITION_CHANNEL_LABELS, ACQUISITION_CHANNELS, LOGGED_KIND_LABELS, ORDER_STATUS_LABELS, SALES_CHANNEL_LABELS,
    LoggedKind, OrderStatus, SalesChannel,
)


def test_every_member_of_every_vocabulary_has_a_label():
    for vocabulary, codes in ((ROLE_LABELS, Role), (ORDER_STATUS_LABELS, OrderStatus), (SALES_CHANNEL_LABELS, SalesChannel),
                              (ACQUISITION_CHANNEL_LABELS, ACQUISITION_CHANNELS), (ACTIVITY_KIND_LABELS, ActivityKind),
                              (LOGGED_KIND_LABELS, LoggedKind), (FEEDBACK_STATUS_LABELS, FeedbackStatus)):
        assert list(vocabulary) == [str(code) for code in codes]


def test_codes_shared_by_two_vocabularies_read_the_same():
    seen: dict[str, str] = {}
    for vocabulary in labels.VOCABULARIES:
        for code, text in vocabulary.items():
            assert seen.setdefault(str(code), text) == text, code


def test_labels_people_read():
    assert [labels.label(code) for code in ("sales_rep", "paid_search", "in_progress", Role.admin, "EMEA", "Won")] == [
        "Sales rep", "Paid search", "In progress", "Admin", "EMEA", "Won"]
    assert labels.choices(ROLE_LABELS) == [("admin", "Admin"), ("executive", "Executive"), ("sales_rep", "Sales rep"),
                                           ("marketer", "Marketer")]
