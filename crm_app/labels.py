"""What people read for a stored code: "sales_rep" is "Sales rep", "paid_search" is "Paid search".

Each vocabulary keeps its labels next to its enum (domain.py, data/models.py); this module only looks them up,
so a page, a CSV or a chart never shows a raw code. Codes shared by two vocabularies ("email", "phone",
"partner") read the same in both, which tests/unit/test_labels.py checks."""

from __future__ import annotations

from crm_app.data.models import (ACTIVITY_KIND_LABELS, FEEDBACK_STATUS_LABELS, ROLE_LABELS, TOKEN_ACCESS_LABELS,
                                 TOKEN_STATUS_LABELS)
from crm_app.i18n import UntranslatedMessage, gettext, in_context, say
from crm_app.domain import ACQUISITION_CHANNEL_LABELS, LOGGED_KIND_LABELS, ORDER_STATUS_LABELS, SALES_CHANNEL_LABELS

VOCABULARIES: tuple[dict[str, str], ...] = (ROLE_LABELS, ORDER_STATUS_LABELS, SALES_CHANNEL_LABELS,
                                            ACQUISITION_CHANNEL_LABELS, ACTIVITY_KIND_LABELS, LOGGED_KIND_LABELS,
                                            FEEDBACK_STATUS_LABELS, TOKEN_ACCESS_LABELS, TOKEN_STATUS_LABELS)
LABELS: dict[str, str] = {str(code): text for vocabulary in VOCABULARIES for code, text in vocabulary.items()}


def label(code: object) -> str:
    """The human label of a stored code, in the acting user's language (crm_app/i18n.py); a value outside every vocabulary (a region, a stage) as it is."""
    text = str(code)
    found = LABELS.get(text)
    # Stages, regions, segments and categories are stored as their English names: shown translated too.
    return say(text) if found is None else gettext(found)


def choices(vocabulary: dict[str, str]) -> list[tuple[str, str]]:
    """(code, label) pairs of a vocabulary, in its order: the options of a select."""
    return [(str(code), text) for code, text in vocabulary.items()]


# An RFM segment (analytics/rfm.py SEGMENTS) shares its English word with other vocabularies ("Lost" and "New" are
# deal stages too), so each is translated in this context of the catalogue.
RFM_SEGMENT = "RFM segment"


def rfm_segment(name: object) -> str:
    """An RFM segment's name in the acting user's language; a name that is not a segment as it is."""
    try:
        return gettext(in_context(RFM_SEGMENT, str(name)))
    except UntranslatedMessage:
        return str(name)
