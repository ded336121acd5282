"""The sentences a rep's pages build on the server, for a reader of Chinese (issue 16): My day's figures and scope,
a task's toasts, the bulk actions' summaries, a deal's time in stage, the order form's gap to the deal amount. The
same handlers, run for an English reader, keep their English (tests/e2e compares it)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from crm_app import i18n
from crm_app.data.models import Activity, ActivityKind, Customer, utcnow
from crm_app.data.repositories import customer_bulk
from crm_app.data.repositories.users import actor_of
from crm_app.states.deal import time_in_stage
from crm_app.states.home import HomeState
from crm_app.states.tasks import TasksState
from tests.conftest import add_staff
from tests.integration.handler_runs import page_state, run_as, toast_text, use_database


def _chinese_rep(engine):
    with Session(engine) as session:
        people = add_staff(session)
        people["rep"].language = "zh_CN"
        customer = Customer(name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="web",
                            owner_id=people["rep"].id)
        session.add(customer)
        session.flush()
        task = Activity(kind=ActivityKind.call, subject="Call Ada", owner_id=people["rep"].id,
                        customer_id=customer.id, due_at=utcnow() - timedelta(days=1))
        session.add(task)
        session.commit()
        return actor_of(people["rep"]), task.id


def test_my_day_speaks_chinese_to_a_chinese_rep(engine, monkeypatch):
    use_database(monkeypatch, engine)
    rep, _ = _chinese_rep(engine)
    page = page_state(HomeState)
    run_as(rep, page, "load")
    assert page.scope == "您负责的客户"
    labels = {figure["key"]: (figure["label"], figure["value"]) for figure in page.figures}
    assert labels["overdue-tasks"] == ("逾期任务", "1")
    assert labels["today-tasks"][0] == "今天到期"
    assert labels["detractors"] == ("贬损者（最近 14 天）", "0")
    assert labels["churn"] == ("有流失风险的客户", "—")
    assert page.overdue_tasks[0]["kind"] == "通话"


def test_a_task_done_and_opened_again_is_said_in_chinese(engine, monkeypatch):
    use_database(monkeypatch, engine)
    rep, task_id = _chinese_rep(engine)
    page = page_state(TasksState)
    assert toast_text(run_as(rep, page, "mark_done", str(task_id), True)) == "已标记为完成。"
    assert toast_text(run_as(rep, page, "mark_done", str(task_id), False)) == "已重新打开。"


def test_bulk_summaries_and_times_in_chinese_and_english():
    result = customer_bulk.BulkResult(changed=2, selected=3, batch_id="b")
    assert customer_bulk.describe(result, i18n.N_("reassigned")) == (
        "2 customers reassigned (1 customer already had that owner)")
    with i18n.speaking("zh_CN"):
        assert customer_bulk.describe(result, i18n.N_("reassigned")) == "2 位客户已重新分配（1 位客户原本就归属该负责人）"
        assert time_in_stage(timedelta(days=3, hours=4)) == "3 天 4 小时"
        assert time_in_stage(timedelta(minutes=12)) == "12 分钟"
    assert time_in_stage(timedelta(hours=5, minutes=20)) == "5 h 20 min"
