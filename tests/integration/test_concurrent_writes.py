"""Many writers at once through write_session on SQLite (the default install, where one file takes every write):
no "database is locked", no lost row, no lost update. PostgreSQL's row locks are not in question here."""

from __future__ import annotations

import threading
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, func, select

from crm_app.data.db import engine_for, write_session
from crm_app.data.models import Feedback, KpiTarget
from crm_app.settings import get_settings
from tests.conftest import migrate

WRITERS = 8
WRITES_EACH = 1_000


def _write_answers(writer: int, failures: list[BaseException]) -> None:
    """One writer: each transaction stores an answer and bumps the shared tally by one."""
    try:
        for n in range(WRITES_EACH):
            with write_session() as session:
                session.add(Feedback(csat=4, nps=8, client_submission_id=f"writer{writer}-answer{n:04d}"))
                session.execute(sa.update(KpiTarget).where(KpiTarget.kpi == "answers_tally")
                                .values(target_value=KpiTarget.target_value + 1))
    except BaseException as error:  # noqa: BLE001 - handed to the test thread, which fails with it
        failures.append(error)


def test_eight_sqlite_writers_lose_nothing(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    migrate(url)
    monkeypatch.setattr(get_settings(), "database_url", url)
    engine = engine_for(url)
    with Session(engine) as session:
        session.add(KpiTarget(kpi="answers_tally", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
                              target_value=0))
        session.commit()
    failures: list[BaseException] = []
    writers = [threading.Thread(target=_write_answers, args=(w, failures)) for w in range(WRITERS)]

    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    assert failures == []
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Feedback)).one() == 8_000
        assert session.exec(select(func.count(func.distinct(Feedback.client_submission_id)))).one() == 8_000
        assert session.exec(select(KpiTarget.target_value)).one() == 8_000
