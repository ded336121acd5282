"""Which language a user reads (crm_app/i18n.py): their choice, else the browser's Accept-Language, else English."""

from __future__ import annotations

import pytest

from crm_app import i18n
from crm_app.analytics.rfm import SEGMENTS
from crm_app.labels import RFM_SEGMENT, label, rfm_segment


@pytest.mark.parametrize(("header", "language"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
    ("en-US,en;q=0.9", "en"),
    ("zh-TW,zh;q=0.9", "zh_CN"),          # any Chinese reads the simplified translation
    ("fr-FR,fr;q=0.9,zh;q=0.8", "zh_CN"),  # the first language the app speaks
    ("en;q=0.5, zh-CN", "zh_CN"),          # by quality, not by position
    ("de-DE", "en"),
    ("", "en"),
    ("zh;q=abc", "zh_CN"),
])
def test_the_browser_language_is_the_first_the_app_speaks(header, language):
    assert i18n.browser_language(header) == language


def test_a_users_choice_comes_before_the_browsers_and_a_stale_choice_is_ignored():
    assert i18n.language_of("en", "zh-CN") == "en"
    assert i18n.language_of(None, "zh-CN") == "zh_CN"
    assert i18n.language_of("klingon", "en-US") == "en"


def test_gettext_answers_in_the_acting_users_language_with_placeholders_filled():
    assert i18n.gettext("Customers") == "Customers"
    with i18n.speaking("zh_CN"):
        assert i18n.gettext("Customers") == "客户"
        assert i18n.gettext("{count} minutes", count=5) == "5 分钟"
        assert i18n.gettext("Customers", "en") == "Customers"
    assert i18n.gettext("Customers") == "Customers"


def test_a_message_missing_from_the_catalogue_is_an_error_not_english():
    with pytest.raises(i18n.UntranslatedMessage):
        i18n.gettext("A sentence nobody translated")


def test_the_catalogue_names_each_message_once():
    """A message written twice in messages.po is read as one of the two translations, silently: each msgid once
    in each context (msgctxt, the line before it)."""
    import collections

    text = (i18n.LOCALE_DIR / i18n.CHINESE / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    lines = text.splitlines()
    ids = [(before if before.startswith("msgctxt ") else "", line) for before, line in zip(["", *lines], lines)
           if line.startswith("msgid ") and line != 'msgid ""']
    assert len(ids) > 1000
    assert [entry for entry, times in collections.Counter(ids).items() if times > 1] == []


def test_a_word_with_two_meanings_is_translated_in_each_context():
    """"Lost" is a deal's stage and an RFM segment; "New" a stage and a segment of new customers."""
    with i18n.speaking(i18n.CHINESE):
        assert label("Lost") == "丢单"
        assert rfm_segment("Lost") == "已流失客户"
        assert rfm_segment("New") == "新客户"
        assert rfm_segment("Champions") == "冠军客户"
        assert rfm_segment("Mars") == "Mars"  # not a segment: as it is
    assert rfm_segment("Lost") == "Lost"
    assert i18n.translations(i18n.in_context(RFM_SEGMENT, "Can't lose")) == {"en": "Can't lose",
                                                                             "zh_CN": "不能失去的客户"}


def test_every_rfm_segment_is_translated_in_its_context():
    assert [name for name in SEGMENTS
            if i18n.in_context(RFM_SEGMENT, name) not in i18n.catalogue(i18n.CHINESE)] == []
