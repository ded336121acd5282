"""/insights writes in the reader's language (issue 16): a Chinese-reading admin's data-quality headline, note and
queue, the fit line of a fitted and an unfitted model, and the follow-up toast, with their numbers."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from crm_app.data.facts import load_facts
from crm_app.data.insights_refresh import fit_insight, insight_model_name, model_facts
from crm_app.data.models import Customer, Role, User
from crm_app.data.reports import ReportPeriod
from crm_app.data.repositories.model_runs import record_model_run
from crm_app.data.repositories.users import actor_of
from crm_app.states.insights import InsightsState
from tests.integration.handler_runs import page_state, run_as, toast_text, use_database

AS_OF = date(2026, 11, 1)


def test_a_chinese_admin_reads_the_insights_and_the_follow_up_toast_in_chinese(engine, monkeypatch):
    use_database(monkeypatch, engine)
    with Session(engine) as session:
        admin = User(email="a@example.com", full_name="Ada", role=Role.admin, password_hash="x", language="zh_CN")
        rep = User(email="r@example.com", full_name="Riley", role=Role.sales_rep, password_hash="x")
        session.add_all([admin, rep])
        session.flush()
        owned = Customer(name="Owned Ltd", email="owned@example.com", phone="+14155552671", company="Owned",
                         region="EMEA", segment="SMB", acquisition_channel="event", owner_id=rep.id)
        orphan = Customer(name="Nobody's", region="EMEA", segment="SMB", acquisition_channel="event")
        session.add_all([owned, orphan])
        session.flush()
        for name in ("quality", "clv", "winprob"):
            fit = fit_insight(name, load_facts(session), ReportPeriod.ending(AS_OF))
            record_model_run(session=session, model=insight_model_name(name), rows=fit.rows, seconds=fit.seconds,
                             summary=fit.report)
        session.commit()
        ada, ids = actor_of(admin), (owned.id, orphan.id)
    page = page_state(InsightsState)

    run_as(ada, page, "load")
    assert page.fitted["segments"] == "尚未拟合"
    assert page.fitted["quality"].startswith("拟合于 ") and "，基于 2 位客户，耗时 " in page.fitted["quality"]
    assert page.headlines["quality"].startswith("数据质量 ") and page.headlines["quality"].endswith("：1 条客户记录待修正。")
    assert page.quality_note == "已评分的 2 条客户记录（共 2 条）中有 1 条需要修正（0 对完全重复、0 对模糊重复）；列出前 1 条。"
    # Too little data to fit, with the figures, in Chinese (the fit stored its message's template and values).
    assert page.problems["clv"] == "客户终身价值至少需要 3 位有已付款订单的客户；目前有 0 位。"
    assert page.problems["winprob"] == ("赢单模型需要 40 个带阶段历史的已关闭商机，其中至少 10 个赢单、10 个丢单；"
                                        "目前有 0 个（0 个赢单）。")
    assert [row["problems"] for row in page.quality_queue] == ["无电子邮箱; 无电话; 无公司; 无负责人"]
    assert [row["field"] for row in page.quality_fields] == ["名称", "电子邮件", "电话", "公司", "区域", "客户分层", "获客渠道", "负责人"]

    page._churn_ids, page.selected = list(ids), [str(i) for i in ids]
    assert toast_text(run_as(ada, page, "create_follow_up_tasks")) == "已为负责人创建 1 个跟进任务（1 位没有负责人）。"


@pytest.mark.parametrize(("language", "said"), [
    ("en", "on a sample of 1 of 2 customers in "), ("zh_CN", "，基于从 2 位客户中随机抽取的 1 位，耗时 ")])
def test_a_model_fitted_on_a_sample_says_of_how_many_customers(engine, monkeypatch, language, said):
    use_database(monkeypatch, engine)
    with Session(engine) as session:
        admin = User(email="a@example.com", full_name="Ada", role=Role.admin, password_hash="x", language=language)
        session.add_all([admin, Customer(name="One", region="EMEA", segment="SMB", acquisition_channel="event"),
                         Customer(name="Two", region="EMEA", segment="SMB", acquisition_channel="event")])
        session.flush()
        fit = fit_insight("quality", model_facts(session, cap=1), ReportPeriod.ending(AS_OF))
        record_model_run(session=session, model=insight_model_name("quality"), rows=fit.rows, seconds=fit.seconds,
                         summary=fit.report)
        session.commit()
        ada = actor_of(admin)
    page = page_state(InsightsState)

    run_as(ada, page, "load")

    assert said in page.fitted["quality"] and fit.rows == 1
