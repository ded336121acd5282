"""The admin page's handlers write in the reader's language (issue 16): the outbox line and the toasts of a
Chinese-reading admin."""

from __future__ import annotations

from sqlmodel import Session

from crm_app.data.repositories import mail_outbox
from crm_app.data.repositories.users import actor_of
from crm_app.states.admin_users import AdminUsersState
from tests.conftest import add_staff
from tests.integration.handler_runs import page_state, run_as, toast_text, use_database


def test_a_chinese_admin_reads_the_outbox_and_the_toasts_in_chinese(engine, monkeypatch):
    use_database(monkeypatch, engine)
    with Session(engine) as session:
        people = add_staff(session)
        people["admin"].language = "zh_CN"
        for to in ("ann@example.com", "bob@example.com"):
            mail_outbox.enqueue(session=session, to=to, purpose_key="welcome", subject="Welcome", body_text="Hello")
        session.commit()
        admin, rep_id = actor_of(people["admin"]), people["rep"].id
    page = page_state(AdminUsersState)

    run_as(admin, page, "load")
    assert page.mail_status == "发件箱：2 封邮件待发送，已发送 0 封，发送失败 0 封，已撤回 0 封（已退订）。"
    assert toast_text(run_as(admin, page, "set_two_factor_required", "sales_rep", True)) == (
        "角色为 销售代表 的用户现在必须使用双重验证登录。")
    assert toast_text(run_as(admin, page, "set_active", rep_id, False)) == "用户已停用，并已在所有设备上退出登录。"
    run_as(admin, page, "reset_password", {})
    assert page.reset_error == "请输入临时密码。"
