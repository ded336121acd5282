"""The app's words in the user's language: one message catalogue (gettext .po, read with Babel), English as written
in the code, `zh_CN` translated in crm_app/locale/zh_CN/LC_MESSAGES/messages.po.

The English text is the message id. Which language a user reads: the one chosen on their account page, else the
browser's (Accept-Language, sent with the websocket's handshake), else English. Components look a message up in
the browser (crm_app/components/translated.py `t`); handlers that write text (toasts, errors) use `gettext`, which
reads the language of the user the handler runs for (set by `speaking`).

The catalogue is read once at start (babel.messages.pofile, nothing compiled or downloaded). A message id missing
from it, or left untranslated, is an error where it is used, so a page cannot show English to a Chinese reader by
accident (tests/unit/test_catalogue.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from babel.core import negotiate_locale
from babel.lists import format_list
from babel.messages.pofile import read_po

ENGLISH = "en"
CHINESE = "zh_CN"
# The languages a user may choose, each named in itself (how a reader finds their own).
LANGUAGES: dict[str, str] = {ENGLISH: "English", CHINESE: "简体中文"}
TRANSLATED = (CHINESE,)
LOCALE_DIR = Path(__file__).parent / "locale"

# gettext's separator between a message's context (msgctxt) and its id.
CONTEXT_SEPARATOR = "\x04"

_language: ContextVar[str] = ContextVar("language", default=ENGLISH)


class UntranslatedMessage(KeyError):
    """A message id the catalogue does not translate: add it to messages.po."""


@functools.cache
def _messages(language: str) -> list:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return [m for m in read_po(po, locale=language) if m.id and not m.fuzzy]


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """msgid -> translation of one translated language, read from its .po file (fuzzy and empty entries left out)."""
    return {in_context(m.context, m.id) if m.context else str(m.id): str(m.string)
            for m in _messages(language) if not m.pluralizable and m.string}


@functools.cache
def plural_catalogue(language: str) -> dict[str, tuple[str, ...]]:
    """singular msgid -> the translation's plural forms (msgid_plural entries; one form in Chinese)."""
    return {m.id[0]: tuple(m.string) for m in _messages(language) if m.pluralizable and all(m.string)}


def translations(msgid: str) -> dict[str, str]:
    """The message in every language, {"en": msgid, "zh_CN": ...}; UntranslatedMessage when one is missing."""
    found = {ENGLISH: msgid.rpartition(CONTEXT_SEPARATOR)[2]}
    for language in TRANSLATED:
        text = catalogue(language).get(msgid)
        if text is None:
            raise UntranslatedMessage(f"{msgid!r} has no {language} translation in crm_app/locale")
        found[language] = text
    return found


def in_context(context: str, msgid: str) -> str:
    """The id of `msgid` meant in `context` (the .po file's msgctxt), for one English word that needs two
    translations: "Lost" is a deal's stage and, in context "RFM segment", customers who stopped buying. It reads as
    `msgid` in English."""
    return f"{context}{CONTEXT_SEPARATOR}{msgid}"


def supported(language: object) -> str | None:
    """`language` when it is one the app speaks, else None (a hostile or stale value)."""
    return language if isinstance(language, str) and language in LANGUAGES else None


def browser_language(accept_language: str) -> str:
    """The first language of an Accept-Language header the app speaks ("zh-CN,zh;q=0.9" -> zh_CN; any Chinese
    reads the simplified translation), else English."""
    preferred: list[tuple[float, str]] = []
    for position, part in enumerate(str(accept_language or "").split(",")[:20]):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            weight = 0.0
        if tag:
            preferred.append((-weight, position, tag.strip().replace("-", "_")))  # type: ignore[arg-type]
    tags = [tag for *_, tag in sorted(preferred)]
    tags = [CHINESE if tag.lower().startswith("zh") else tag for tag in tags]
    return negotiate_locale(tags, list(LANGUAGES), sep="_") or ENGLISH


def request_language(headers: Mapping[str, str]) -> str:
    """The language of an HTTP request's browser (its Accept-Language): the pages and answers made before anyone
    signs in, or for nobody signed in (the reset form, the unsubscribe page)."""
    return browser_language(headers.get("accept-language", ""))


def html_lang(language: str) -> str:
    """The BCP 47 tag of a language for an HTML page's `lang` ("zh_CN" -> "zh-CN")."""
    return (supported(language) or ENGLISH).replace("_", "-")


def language_of(chosen: str | None, accept_language: str) -> str:
    """What a user reads: their own choice, else their browser's language."""
    return supported(chosen) or browser_language(accept_language)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Within: `gettext` answers in `language` (a handler running for one user)."""
    token = _language.set(supported(language) or ENGLISH)
    try:
        yield
    finally:
        _language.reset(token)


def current_language() -> str:
    return _language.get()


def gettext(msgid: str, language: str | None = None, **values: object) -> str:
    """The message in `language` (default: the acting user's), with `{name}` placeholders filled from `values`."""
    text = translations(msgid)[supported(language) or _language.get()]
    return text.format(**values) if values else text


def listed(items: Iterable[str], language: str | None = None) -> str:
    """Items joined as a sentence lists them in `language` (default: the acting user's), by Babel's CLDR
    patterns: "a, b, and c"; "a、b和c"."""
    return format_list(list(items), locale=supported(language) or _language.get())


def ngettext(singular: str, plural: str, count: int, language: str | None = None, **values: object) -> str:
    """The form of a counted message for `count` ("{n} order" / "{n} orders") in `language` (default: the acting user's),
    placeholders filled. English takes the singular for exactly one; a translation has one form (Chinese) or two
    (singular for one, like English)."""
    language = supported(language) or _language.get()
    if language == ENGLISH:
        text = singular if count == 1 else plural
    else:
        forms = plural_catalogue(language).get(singular)
        if forms is None:
            raise UntranslatedMessage(f"{singular!r} / {plural!r} has no {language} translation in crm_app/locale")
        text = forms[0] if len(forms) == 1 or count == 1 else forms[1]
    return text.format(**values) if values else text


def N_(msgid: str) -> str:  # noqa: N802 (gettext's name for it)
    """Marks a message id translated later, where it is shown (`say`, `t` in the browser): the id, unchanged."""
    return msgid


def say(text: str, language: str | None = None) -> str:
    """A text a lower layer wrote in English (an exception's message, which may carry values): its translation
    when the catalogue has that exact text, else as written. Words (crm_app/analytics/words.py) are said from
    their template, each value that is text said too ("sum of the {scope} targets", scope "region")."""
    language = supported(language) or _language.get()
    if language == ENGLISH:
        return str(text)
    template = getattr(text, "template", None)
    if template is not None:
        values = {name: say(value, language) if isinstance(value, str) else value
                  for name, value in text.values.items()}  # type: ignore[attr-defined]
        return catalogue(language).get(template, template).format(**values)
    return catalogue(language).get(text, text)


_ = gettext
