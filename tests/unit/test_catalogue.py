"""Every UI text goes through the one message catalogue (issue 16, "Chinese as a second language").

1. Every page's component tree (what Reflex compiles to JavaScript) shows no English of its own: each text child
   and each text a reader sees or hears in a prop is a `t()` lookup (tests/unit/ui_text.py says how it looks).
2. Every message id the code names (`t("...")`, `gettext("...")`, `N_("...")`, the counted `count_of(n, "order")`)
   and every label table shown to users has a zh_CN translation, so no handler can raise UntranslatedMessage in
   front of a user.
4. The sentences handlers build at run time (crm_app/states) are messages too (tests/unit/server_text.py).
3. Translations keep their `{placeholders}`.

Pages still being converted are listed in NOT_YET_CONVERTED: the list may only shrink (a page on it must still
show English, or the test asks to take it off).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from crm_app import i18n
from tests.unit.server_text import english_literals
from tests.unit.ui_text import page_english, pages

CODE = Path(i18n.__file__).parent
NOT_YET_CONVERTED: set[str] = set()
_PAGES = pages()


@pytest.mark.parametrize("route", sorted(_PAGES))
def test_a_page_shows_no_text_outside_the_catalogue(route):
    english = page_english(_PAGES[route])
    if route in NOT_YET_CONVERTED:
        assert english, f"{route} is converted: take it off NOT_YET_CONVERTED"
    else:
        assert english == []


def _named_messages(calls: tuple[str, ...] = ("t", "gettext", "_", "N_", "Words")) -> set[str]:
    """The literal message ids passed to t(), gettext(), _(), N_() or Words() anywhere in crm_app (both arms of a
    conditional)."""
    found: set[str] = set()

    def literals(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return literals(node.body) + literals(node.orelse)
        return []

    for path in CODE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in calls:
                    found.update(literals(node.args[0]))
    return found


def _counted_messages() -> set[str]:
    """The singular ids of the counted messages the code names: ngettext("{n} order", ...), count_of(n, "order")."""
    found: set[str] = set()
    for path in CODE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "ngettext" and node.args and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
            elif name == "count_of" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                found.add("{n} " + node.args[1].value)
    return found


def _label_tables() -> list[dict]:
    from crm_app import labels, sign_in, password_reset
    return [*labels.VOCABULARIES, sign_in.LOGIN_MESSAGES, password_reset.RESET_MESSAGES]


def test_every_message_the_code_names_is_translated():
    messages = _named_messages() | {text for table in _label_tables() for text in table.values()}
    assert len(messages) > 50
    missing = sorted(m for m in messages if m not in i18n.catalogue(i18n.CHINESE))
    assert missing == []


def test_every_count_the_code_names_is_translated():
    counted = _counted_messages()
    assert {"{n} order", "{n} customer"} <= counted
    assert sorted(counted - set(i18n.plural_catalogue(i18n.CHINESE))) == []


_STATES = sorted((CODE / "states").glob("*.py"))


@pytest.mark.parametrize("path", _STATES, ids=[path.name for path in _STATES])
def test_a_handler_writes_no_english_outside_the_catalogue(path):
    assert list(english_literals(path)) == []


def test_translations_keep_their_placeholders():
    placeholder = re.compile(r"\{\w+\}")
    broken = {msgid: text for msgid, text in i18n.catalogue(i18n.CHINESE).items()
              if sorted(placeholder.findall(msgid)) != sorted(placeholder.findall(text))}
    assert broken == {}
