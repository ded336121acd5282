"""The feedback inbox writes in the reader's language (issue 16): a Chinese-reading executive's summary and rows,
and an admin's status toast, with their numbers."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from sqlmodel import Session

from crm_app.analytics.stats import csat_score, nps_score
from crm_app.data.models import FeedbackChannel, FeedbackSubmission
from crm_app.data.repositories import feedback
from crm_app.data.repositories.users import actor_of
from crm_app.formatting import percent
from crm_app.states.inbox import InboxState
from tests.conftest import add_staff
from tests.integration.handler_runs import page_state, run_as, toast_text, use_database


def test_a_chinese_reader_reads_the_inbox_summary_rows_and_toasts_in_chinese(engine, monkeypatch):
    use_database(monkeypatch, engine)
    answers = [(5, 10, "Great service, very helpful."), (4, 9, None), (2, 3, "Terrible, awful and slow.")]
    with Session(engine) as session:
        people = add_staff(session)
        for number, (csat, nps, comment) in enumerate(answers):
            feedback.submit_feedback(session=session, channel=FeedbackChannel.web, submission=FeedbackSubmission(
                csat=csat, nps=nps, comment=comment, submission_id=f"sub-0000000{number}"))
        session.commit()
        executive, admin = (replace(actor_of(people[name]), language="zh_CN") for name in ("exec", "admin"))
    page = page_state(InboxState)

    run_as(executive, page, "load")
    csat, nps = csat_score(pd.Series([5, 4, 2])), nps_score(pd.Series([10, 9, 3]))
    with_locale = {"low": percent(csat.lower, locale="zh_CN"), "high": percent(csat.upper, locale="zh_CN")}
    assert page.summary["csat_detail"] == "3 条答复中有 2 条为 4 或 5 分；95% 置信区间 {low} – {high}".format(**with_locale)
    assert page.summary["nps_detail"] == (f"3 条答复中推荐者 2 条、中立者 0 条、贬损者 1 条；95% 置信区间 "
                                          f"{nps.lower:+.1f} – {nps.upper:+.1f}")
    assert page.total_label == "3 条答复"
    assert page.topics_fitted == "尚未提取主题"
    assert {(row["customer"], row["assignee"], row["status"]) for row in page.rows} == {("匿名", "未分配", "新建")}
    assert sorted(row["sentiment"] for row in page.rows) == ["–", "正面", "负面"]

    assert toast_text(run_as(admin, page, "set_status", page.rows[0]["id"], "in_progress")) == "已标记为处理中。"
