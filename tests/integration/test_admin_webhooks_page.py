"""The webhooks admin page writes in the reader's language (issue 16): a refused URL, pausing and resuming an
endpoint, for a Chinese-reading admin; instants on the admin's clock, to the second."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from crm_app.data.repositories.users import actor_of
from crm_app.states.admin_webhooks import AdminWebhooksState, _when
from tests.conftest import add_staff
from tests.integration.handler_runs import page_state, run_as, toast_text, use_database


def test_a_chinese_admin_reads_the_webhook_refusals_and_toasts_in_chinese(engine, monkeypatch):
    use_database(monkeypatch, engine)
    with Session(engine) as session:
        people = add_staff(session)
        people["admin"].language = "zh_CN"
        people["admin"].time_zone = "Asia/Shanghai"
        session.commit()
        admin = actor_of(people["admin"])
    page = page_state(AdminWebhooksState)

    run_as(admin, page, "create_endpoint", {"url": "http://example.com/hooks", "event-order.created": "on"})
    assert page.form_errors == {"url": "请使用 https://：仅 localhost 允许使用普通 http。"}
    run_as(admin, page, "create_endpoint", {"url": "https://example.com/hooks"})
    assert page.form_errors == {"events": "请从列表中至少选择一个事件。"}
    run_as(admin, page, "create_endpoint", {"url": "https://example.com/hooks", "event-order.created": "on"})
    endpoint = page.endpoints[0]["id"]
    assert toast_text(run_as(admin, page, "set_active", endpoint, False)) == "端点已暂停：不再接收新事件。"
    assert toast_text(run_as(admin, page, "set_active", endpoint, True)) == "端点已恢复。"


def test_the_delivery_log_shows_instants_on_the_admins_clock_to_the_second():
    assert _when(datetime(2026, 12, 5, 6, 30, 5, tzinfo=UTC), "Asia/Shanghai") == "2026-12-05 14:30:05"
    assert _when(None, "Asia/Shanghai") == ""
