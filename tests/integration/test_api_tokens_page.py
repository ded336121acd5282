"""The API token lists write in the reader's language (issue 16): a Chinese-reading admin's summary, a token never
used and the revoke toast; a refused token name in Chinese on the user's own form."""

from __future__ import annotations

from sqlmodel import Session

from crm_app.data.repositories import api_tokens
from crm_app.data.repositories.users import actor_of
from crm_app.states.api_tokens import AllTokensState, OwnTokensState
from tests.conftest import add_staff
from tests.integration.handler_runs import page_state, run_as, toast_text, use_database


def test_a_chinese_admin_reads_the_token_list_and_the_revoke_toast_in_chinese(engine, monkeypatch):
    use_database(monkeypatch, engine)
    with Session(engine) as session:
        people = add_staff(session)
        people["admin"].language = people["rep"].language = "zh_CN"
        session.flush()
        admin, rep = actor_of(people["admin"]), actor_of(people["rep"])
        for name in ("shop sync", "nightly export"):
            api_tokens.create_token(session=session, actor=rep, name=name, can_write=False, days=30)
        session.commit()
    page = page_state(AllTokensState)

    run_as(admin, page, "load")
    assert page.summary == "2 个令牌，最新的在前。撤销后令牌立即失效。"
    assert [token["last_used"] for token in page.tokens] == ["从未", "从未"]
    revoked = page.tokens[0]
    assert toast_text(run_as(admin, page, "revoke_token", revoked["id"])) == f"令牌“{revoked['name']}”已撤销：立即失效。"

    own = page_state(OwnTokensState)
    run_as(rep, own, "create_token", {"name": "", "access": "read", "days": "30"})
    assert own.form_errors == {"name": "请按令牌的用途命名，例如“shop sync”。"}
    run_as(rep, own, "create_token", {"name": "crm sync", "access": "read", "days": "7"})
    assert own.form_errors == {"days": "请选择令牌的有效期：30、90 或 365 天。"}
