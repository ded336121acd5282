"""Find the English a handler writes for a reader without the message catalogue (crm_app/i18n.py).

A page's own texts are checked in its compiled tree (tests/unit/ui_text.py); the sentences handlers build at run
time (headlines, notes, toasts, counts, labels stored in state) are Python literals in crm_app/states. Every
literal there with words in it must be a message: the first argument of `gettext`, `ngettext`, `count_of` (its
nouns) or `N_` (translated where it is shown), or be no UI text at all: a docstring, a log line, JavaScript run
in the browser (`rx.call_script`), a file name. What is left is reported with its file and line.

What counts as words: as in ui_text (a letter and a space, or a capital letter); the VERBATIM words, which are
the same in every language, file names and strftime formats do not count.
"""

from __future__ import annotations

import ast
import re
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

from tests.unit.ui_text import VERBATIM

MESSAGE_CALLS = {"gettext", "ngettext", "count_of", "N_", "say", "t"}
NOT_UI_TEXT = {"call_script", "getLogger", "debug", "info", "warning", "error", "exception", "download"}
_LOGGERS = {"logger", "logging", "log", "_log", "_logger"}


def _words(text: str) -> bool:
    text = text.strip()
    if not re.search(r"[A-Za-z]", text) or text in VERBATIM or re.fullmatch(r"[\w.-]+\.(csv|xlsx|json)", text):
        return False
    if re.fullmatch(r"(%[A-Za-z]|[-/:. T])+", text):  # a strftime format
        return False
    if text in zoneinfo.available_timezones() or re.fullmatch(r"[\w.]+\(\)[\w.()]*", text) \
            or text.startswith(("window.", "document.")):  # a zone, JavaScript
        return False
    return " " in text or bool(re.search(r"[A-Z]", text))


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _exempt(tree: ast.AST) -> set[int]:
    """ids of the nodes whose literals are messages already or no UI text."""
    exempt: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            exempt.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Call):
            name = _call_name(node)
            owner = getattr(node.func, "value", None)
            logged = isinstance(owner, ast.Name) and owner.id in _LOGGERS
            if name in MESSAGE_CALLS or name in NOT_UI_TEXT and (logged or name in ("call_script", "getLogger", "download")):
                exempt.update(id(sub) for sub in ast.walk(node))
    return exempt


def english_literals(path: Path) -> Iterator[str]:
    """`file:line: text` for every literal with words in `path` that is not a message."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exempt = _exempt(tree)
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
        if isinstance(node, ast.JoinedStr):
            exempt.update(id(value) for value in node.values)
            text = "{}".join(value.value for value in node.values if isinstance(value, ast.Constant))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if _words(text):
            yield f"{path.name}:{node.lineno}: {text!r}"
