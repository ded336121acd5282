"""The recorder's flush lands in metric_sample and the cockpit's sums read it back, on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlmodel import Session

from crm_app import metrics
from crm_app.data.models import Role
from crm_app.data.permissions import Actor, PermissionDenied
from crm_app.data.repositories.metrics import latency_between, totals, usage_between

EXEC = Actor(id=2, email="exec@example.com", full_name="Exec", role=Role.executive)
REP = Actor(id=3, email="rep1@example.com", full_name="Rep", role=Role.sales_rep)
NOON = 1_780_000_000  # 2026-05-28 20:26:40 UTC


def test_flushed_samples_add_up_per_name_module_and_role(engine, monkeypatch):
    monkeypatch.setattr(metrics, "recorder", metrics.Recorder())
    record = metrics.recorder.record
    record("event", "CockpitState.load", 0.040, False, module="cockpit", role="executive", now=NOON)
    record("event", "CockpitState.load", 0.200, True, module="cockpit", role="executive", now=NOON + 60)
    record("event", "CustomersState.load", 0.004, False, module="customers", role="sales_rep", now=NOON)
    record("api", "POST /api/feedback", 0.002, False, module="api", role="public", now=NOON)

    assert metrics.flush(engine) == 4
    record("event", "CockpitState.load", 0.060, False, module="cockpit", role="executive", now=NOON)
    assert metrics.flush(engine) == 1  # a second flush of the same minute adds a row; the sums still hold
    assert metrics.flush(engine) == 0

    with Session(engine) as session:
        figures = latency_between(session=session, actor=EXEC, start=date(2026, 5, 28), end=date(2026, 5, 29))
        usage = usage_between(session=session, actor=EXEC, start=date(2026, 5, 28), end=date(2026, 5, 29))
        before = latency_between(session=session, actor=EXEC, start=date(2026, 5, 27), end=date(2026, 5, 28))
        with pytest.raises(PermissionDenied):
            usage_between(session=session, actor=REP, start=date(2026, 5, 28), end=date(2026, 5, 29))

    load = next(f for f in figures if f.name == "CockpitState.load")
    assert (load.kind, load.count, load.errors) == ("event", 3, 1)
    assert load.buckets[3] == 1 and load.buckets[4] == 1 and load.buckets[5] == 1  # 40, 60 and 200 ms
    assert load.percentile(0.5) == 75.0  # rank 1.5 → (50, 100] bucket: 50 + 50 × 0.5/1
    assert round(load.availability, 6) == round(2 / 3, 6)
    events = totals(figures, "event")
    assert (events.count, events.errors) == (4, 1)
    assert totals(figures, "api").count == 1
    assert usage == {("cockpit", "executive"): 3, ("customers", "sales_rep"): 1}
    assert before == []
