"""Find the UI texts a page shows that do not come from the message catalogue (crm_app/i18n.py).

Each registered page is rendered to the tree Reflex compiles to JavaScript (Component.render()). Every text child
(a Bare's contents) and every prop a reader sees or hears (placeholder, aria-label, title, alt, label, content,
items) is a JavaScript expression; a translated text is the `t()` lookup `({ ["en"] : "...", ["zh_CN"] : "..." })`.
Whatever string literal is left in such an expression, once object keys (`row?.["subject"]`) and placeholders
(`"{when}"`) are taken out, is English the catalogue does not know: reported with its page.

What counts as words: a literal with a letter and a space or a capital letter; stored codes ("paid", "code") and
CSS never match. Not seen here: the texts handlers write at run time (toasts, errors): those call i18n.gettext,
whose unknown message ids raise UntranslatedMessage (tests/unit/test_catalogue.py checks the ids in the code).
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Iterator

TEXT_PROPS = {"placeholder", "aria-label", "ariaLabel", "title", "alt", "label", "content", "items",
              "aria-description", "aria-valuetext"}
_LITERAL = r'"(?:[^"\\]|\\.)*"'
_TRANSLATED = re.compile(r'\(\{ \["en"\] : ' + _LITERAL + r'(?:, \["[A-Za-z_]+"\] : ' + _LITERAL + r')* \}\)')
_KEY = re.compile(r'\[' + _LITERAL + r'\]')
_PLACEHOLDER = re.compile(r'"\{\w+\}"')
_STRING = re.compile(_LITERAL)
# Words that are the same in every language: the product's and the languages' own names, time zone names.
VERBATIM = {"crm_app", "English", "简体中文", "CSV", "XLSX", "NPS", "CSAT", "RFM", "CLV", "API", "URL", "ID", "OK",
            "EMEA", "LATAM", "APAC", "SMB", "p50", "p95", "AUC", "MAPE", "sMAPE", "P(alive)", "ROI", "k"}


def _words(text: str) -> bool:
    if not re.search(r"[A-Za-z]", text) or text in VERBATIM:
        return False
    if text in zoneinfo.available_timezones():
        return False
    return " " in text.strip() or bool(re.search(r"[A-Z]", text))


def english_in(expression: str) -> list[str]:
    """The untranslated words in one JavaScript expression."""
    rest = _TRANSLATED.sub("", expression)
    rest = _PLACEHOLDER.sub("", rest)
    rest = _KEY.sub("", rest)
    found = []
    for literal in _STRING.findall(rest):
        text = json.loads(literal)
        if _words(text):
            found.append(text)
    return found


def untranslated(node: object) -> Iterator[str]:
    """Every untranslated text in a rendered component tree."""
    if isinstance(node, list):
        for item in node:
            yield from untranslated(item)
        return
    if not isinstance(node, dict):
        return
    contents = node.get("contents")
    if isinstance(contents, str):
        yield from english_in(contents)
    for prop in node.get("props", []) if isinstance(node.get("props"), list) else []:
        key, _, expression = str(prop).partition(":")
        if key.strip('"') in TEXT_PROPS:
            yield from english_in(expression)
    for key, value in node.items():
        if key not in ("contents", "props") and isinstance(value, (dict, list)):
            yield from untranslated(value)
        elif key == "cond_state" or key == "iterable_state":
            continue


def pages() -> dict[str, object]:
    """route -> the page's render function, for every page the app registers."""
    import crm_app.crm_app  # noqa: F401  (registers the pages)
    from reflex_base.registry import RegistrationContext

    return {kwargs["route"]: render for render, kwargs in RegistrationContext.ensure_context().decorated_pages}


def page_english(render: object) -> list[str]:
    return sorted(set(untranslated(render().render())))  # type: ignore[operator]
