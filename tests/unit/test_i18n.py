"""Which language a user reads (crm_app/i18n.py): their choice, else the browser's Accept-Language, else English."""

from __future__ import annotations

import pytest

from crm_app import i18n


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
    """A message written twice in messages.po is read as one of the two translations, silently: each msgid once."""
    import collections

    text = (i18n.LOCALE_DIR / i18n.CHINESE / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    ids = [line for line in text.splitlines() if line.startswith("msgid ") and line != 'msgid ""']
    assert [line for line, times in collections.Counter(ids).items() if times > 1] == []
