"""The messages crm_app/data and crm_app/analytics raise are catalogue messages, translated where they are raised, or
Words that the page says in the reader's language (issue 16).

A refusal or a validation message that carries a value ("it has 4,012") cannot be looked up later by `i18n.say`,
so the data layer writes each one with `gettext(...)` (or names it with `N_(...)`): a Chinese reader (inside
`i18n.speaking`, where every staff handler and the pydantic validators it calls run) reads it in Chinese, the REST
API and the CLI in English. test_catalogue.py checks that every literal id named this way is translated.
"""

from __future__ import annotations

import ast
import re
from functools import partial
from pathlib import Path

import pytest
from pydantic import ValidationError

from crm_app import i18n
from crm_app.data.erasing import ERASED_KINDS, Erasure
from crm_app.data.passwords import WeakPassword, check_new_password
from crm_app.data.repositories.tasks import TaskDraft
from crm_app.data.validation import field_errors
from crm_app.sign_in import off_the_event_loop
from tests.conftest import run_async

CODE = Path(i18n.__file__).parent
# Modules still raising English of their own: the list may only shrink.
NOT_YET_CONVERTED: set[str] = set()
# Messages no reader of a page sees, (file, a piece of the message) -> why they stay English.
NOT_UI = {
    ("data/backup.py", ""): "the backup and restore commands' errors (crm-app backup/restore)",
    ("data/seed/generator.py", ""): "the seed command's errors",
    ("data/seed/loader.py", ""): "the seed command's errors",
    ("data/seed/sqlite_ingest.py", "computed per row"): "a programming error (the seed's frames give every column)",
    ("data/reports.py", "The period starts"): "the report command's own --start/--end",
    ("data/repositories/audit.py", "do not nest"): "a programming error",
    ("data/repositories/feedback.py", "go through submit_feedback"): "a programming error",
    ("data/repositories/customers.py", "merged into itself"): "a programming error (the pages never offer it)",
    ("data/repositories/timeline.py", "unknown timeline filters"):
        "a programming error (filters come from the URL helper)",
    ("data/shared_columns.py", ""): "a damaged column file, logged and rebuilt before any reader sees the cockpit",
    ("analytics/budget_plan.py", "0 or more"):
        "a programming error: data/repositories/budget_planner.py refuses the budget and costs first, in words",
    ("analytics/budget_plan.py", "could not be solved"): "the solver failing on a well-formed plan: a bug, logged",
}
_EXCEPTION = re.compile(r"_?[A-Z]\w*(Error|Refused|Rejected|Denied|NotFound|Change|Locked|Password|Failed|Empty|Data)")
_WORDS = re.compile(r"[A-Za-z]+\W+[A-Za-z]+")


def _text(node: ast.AST, constants: dict[str, str]) -> str | None:
    """The English a message argument writes itself: a literal, an f-string's literal parts, a module constant."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.BinOp):  # "..." + "..."
        return (_text(node.left, constants) or "") + (_text(node.right, constants) or "")
    return None


def _english_raised(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each exception built in `path` with English text of its own as an argument."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 for target in node.targets if isinstance(target, ast.Name)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}
    def name(call: ast.Call) -> str:
        return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")

    raised = {name(node.exc) for node in ast.walk(tree) if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if name(node) not in raised and not _EXCEPTION.fullmatch(name(node)):
            continue
        for argument in node.args:
            text = _text(argument, constants)
            if text and _WORDS.search(text):
                found.append((node.lineno, text))
    return found


def _not_ui(name: str, text: str) -> bool:
    return any(name == file and piece in text for file, piece in NOT_UI)


_FILES = sorted(str(path.relative_to(CODE)) for folder in ("data", "analytics") for path in (CODE / folder).rglob("*.py"))


@pytest.mark.parametrize("name", _FILES)
def test_a_raised_message_is_a_catalogue_message(name):
    english = [f"line {line}: {text}" for line, text in _english_raised(CODE / name) if not _not_ui(name, text)]
    if name in NOT_YET_CONVERTED:
        assert english, f"{name} is converted: take it off NOT_YET_CONVERTED"
    else:
        assert english == []


def test_every_exception_left_english_is_still_raised():
    for (name, piece), reason in NOT_UI.items():
        assert any(piece in text for _, text in _english_raised(CODE / name)), f"{name}: {piece!r} ({reason})"


_LONG_NOTES = {"subject": "Call back", "due_on": "2026-12-07", "notes": "x" * 4012}


def _task_errors() -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        TaskDraft.model_validate(_LONG_NOTES)
    return field_errors(refused.value)


def test_a_chinese_reader_reads_a_validation_message_with_its_value_in_chinese():
    with i18n.speaking(i18n.CHINESE):
        assert _task_errors() == {"notes": "备注请不超过 4,000 个字符（当前为 4,012 个）。"}


def test_outside_a_reader_the_message_stays_english():
    assert _task_errors() == {"notes": "Keep notes to 4,000 characters or fewer (they have 4,012)."}


def test_a_missing_answer_is_told_in_the_readers_language():
    with pytest.raises(ValidationError) as refused:
        TaskDraft.model_validate({"subject": "Call back"})
    with i18n.speaking(i18n.CHINESE):
        assert field_errors(refused.value) == {"due_on": "请填写此项。"}
    assert field_errors(refused.value) == {"due_on": "This answer is required."}


def test_a_password_refused_on_the_checking_threads_is_in_the_readers_language():
    async def change_password() -> None:
        with i18n.speaking(i18n.CHINESE):
            await off_the_event_loop(partial(check_new_password, "too short"))

    with pytest.raises(WeakPassword) as refused:
        run_async(change_password())
    assert str(refused.value) == "请至少使用 10 个字符。"


def _zxcvbn_sentences() -> set[str]:
    """Every warning and suggestion zxcvbn can give, read from its source (its _("...") calls)."""
    import zxcvbn.feedback

    tree = ast.parse(Path(zxcvbn.feedback.__file__).read_text(encoding="utf-8"))
    return {node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_" and node.args
            and isinstance(node.args[0], ast.Constant)}


def test_every_sentence_zxcvbn_can_say_is_translated():
    sentences = _zxcvbn_sentences()
    assert len(sentences) == 27
    assert sorted(sentences - set(i18n.catalogue(i18n.CHINESE))) == []


def test_a_guessable_password_is_refused_with_zxcvbn_advice_in_chinese():
    with i18n.speaking(i18n.CHINESE), pytest.raises(WeakPassword) as refused:
        check_new_password("password123456")
    assert str(refused.value) == "这与一个常用密码相似。 请再加一两个单词，不常见的单词更好。"


def test_what_an_erase_changed_is_counted_in_the_readers_language():
    erasure = Erasure(counts={kind: number for number, kind in enumerate(ERASED_KINDS)})
    assert erasure.describe() == (
        "0 feedback answers, 1 feedback note, 2 deals, 3 tasks, 4 logged activities, 5 audit entries, 6 model results, "
        "7 webhook events, 8 emails, 9 saved views, and 10 API replies")
    with i18n.speaking(i18n.CHINESE):
        assert erasure.describe() == ("0 条反馈答复、1 条反馈备注、2 笔商机、3 项任务、4 条活动记录、5 条审计记录、6 个模型结果、"
                                      "7 个 Webhook 事件、8 封邮件、9 个已保存视图和10 条 API 答复")
