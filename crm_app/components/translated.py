"""`t("Customers")`: a UI text in the tab's language, looked up in the browser.

Reflex compiles a page to JavaScript once, for every user; so a text cannot be translated when the page is built.
`t` puts the message's every translation into the page ({"en": "Customers", "zh_CN": "客户"}) and indexes it
with AuthState.language: switching the language redraws the texts at once, without asking the server. The
catalogue is crm_app/i18n.py's; a message it does not translate fails the build (UntranslatedMessage).

Placeholders: `t("Due {when}", when=row["due"])` fills `{when}` with a value known only in the browser (a Var), or
with a fixed text when given a str.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from reflex_base.vars.function import FunctionStringVar

from crm_app.i18n import ENGLISH, catalogue, translations
from crm_app.states.auth import AuthState


_AS_TEXT = FunctionStringVar.create("String")  # JavaScript's String(): 0 stays "0", a text stays itself


def t(msgid: str, **values: Any) -> rx.Var:
    """The message in the tab's language, placeholders filled (see the module docstring)."""
    texts = translations(msgid)
    fixed = {name: value for name, value in values.items() if isinstance(value, str)}
    if fixed:  # a fixed value that is itself a message (a stage, a label) is translated too
        texts = {language: _fill(text, {name: _in(language, value) for name, value in fixed.items()})
                 for language, text in texts.items()}
    text = rx.Var.create(texts)[AuthState.language].to(str)
    for name, value in values.items():
        if not isinstance(value, str):
            text = text.replace("{" + name + "}", _AS_TEXT.call(value).to(str))
    return text


def t_label(labels: dict[str, str], code: rx.Var) -> rx.Var:
    """The label of a stored code known only in the browser (a row's status, the user's role), translated:
    one table {code: {language: label}} indexed by the code, then by the language."""
    table = {str(key): translations(label) for key, label in labels.items()}
    return rx.Var.create(table)[code].to(dict)[AuthState.language].to(str)


def _in(language: str, text: str) -> str:
    return text if language == ENGLISH else catalogue(language).get(text, text)


def _fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def t_choices(pairs: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> list[tuple[str, rx.Var]]:
    """(code, label) pairs with each label translated: the options of a select."""
    return [(code, t(label)) for code, label in pairs]
