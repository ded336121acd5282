"""The cockpit's in-memory snapshot follows writes made by any process, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from crm_app.analytics import cockpit as evaluation
from crm_app.data.models import Role
from crm_app.data.permissions import Actor
from crm_app.data.seed import seed_demo_company
from crm_app.data.snapshot import cockpit_facts

ADMIN = Actor(id=1, email="admin@example.com", full_name="Admin", role=Role.admin)
DAY = date(2026, 3, 10)
NO_TARGETS = pd.DataFrame(columns=["kpi", "period_start", "period_end", "target_value"])

WRITER = """
import sys
import sqlalchemy as sa
engine = sa.create_engine(sys.argv[1])
with engine.begin() as connection:
    customer = connection.execute(sa.text("SELECT min(id) FROM customer")).scalar_one()
    connection.execute(sa.text(
        "INSERT INTO sales_order (customer_id, status, channel, ordered_at, total_amount, created_at, updated_at) "
        "VALUES (:c, 'paid', 'online', '2026-03-10 12:00:00', 1234.5, '2026-03-10 12:00:00', '2026-03-10 12:00:00')"
    ), {"c": customer})
"""


def _revenue_on_the_day(engine) -> tuple[float, int]:
    with Session(engine) as session:
        facts = cockpit_facts(session=session, actor=ADMIN)
    filters = evaluation.CockpitFilters(start=DAY, end=date(2026, 3, 11))
    kpis = evaluation.period_kpis(facts, filters, filters.start, filters.end)
    return kpis["revenue"].value, kpis["orders"].value


def test_an_order_written_by_another_process_shows_on_the_next_filter_change(engine):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    revenue, orders = _revenue_on_the_day(engine)

    url = engine.url.render_as_string(hide_password=False)
    subprocess.run([sys.executable, "-c", WRITER, url], check=True)

    assert _revenue_on_the_day(engine) == (revenue + 1234.5, orders + 1)


def test_the_data_version_moves_with_every_write_to_a_fact_table(engine):
    from crm_app.data.snapshot import data_version

    with Session(engine) as session:
        before = data_version(session)
    seed_demo_company(engine=engine, customers=10, orders=20, as_of=date(2026, 6, 30))
    with Session(engine) as session:
        assert data_version(session) > before


REWRITER = """
import sys
import sqlalchemy as sa
engine = sa.create_engine(sys.argv[1])
with engine.begin() as connection:
    connection.execute(sa.text("UPDATE sales_order SET status = 'cancelled' WHERE total_amount = 1234.5"))
"""


def test_a_new_order_is_merged_at_once_and_equals_a_full_reload(engine):
    from crm_app.analytics.cockpit import prepare_cockpit
    from crm_app.data.facts import load_facts
    from crm_app.data.snapshot import current_facts

    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    revenue, orders = _revenue_on_the_day(engine)
    subprocess.run([sys.executable, "-c", WRITER, engine.url.render_as_string(hide_password=False)], check=True)

    with Session(engine) as session:
        merged, freshness = current_facts(session=session, actor=ADMIN)  # never waits: the merge is synchronous
        facts = load_facts(session)
    assert not freshness.refreshing
    full = prepare_cockpit(facts, facts.orders["ordered_at"].max())
    for name, values in full.orders.items():
        assert (merged.orders[name] == values).all(), name
    assert (merged.categories == full.categories).all()
    filters = evaluation.CockpitFilters(start=DAY, end=date(2026, 3, 11))
    assert evaluation.period_kpis(merged, filters, DAY, filters.end)["revenue"].value == revenue + 1234.5
    assert evaluation.period_kpis(merged, filters, DAY, filters.end)["orders"].value == orders + 1


def test_an_updated_order_reloads_the_snapshot(engine):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    url = engine.url.render_as_string(hide_password=False)
    revenue, orders = _revenue_on_the_day(engine)
    subprocess.run([sys.executable, "-c", WRITER, url], check=True)
    assert _revenue_on_the_day(engine) == (revenue + 1234.5, orders + 1)

    subprocess.run([sys.executable, "-c", REWRITER, url], check=True)  # an update: only a full reload is right

    assert _revenue_on_the_day(engine) == (revenue, orders)


def test_while_a_full_reload_runs_events_get_the_previous_snapshot_marked_refreshing(engine):
    import threading

    from crm_app.data import snapshot

    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    with Session(engine) as session:
        before = snapshot.cockpit_facts(session=session, actor=ADMIN)
    busy = threading.Event()
    snapshot._reloader.submit(busy.wait, 60)  # holds the one reload thread, so the reload below queues
    try:
        with engine.begin() as connection:  # a customer changes: only a full reload is right
            connection.execute(sa.text("UPDATE customer SET name = 'Renamed' "
                                       "WHERE id = (SELECT min(id) FROM customer)"))
        with Session(engine) as session:
            facts, freshness = snapshot.current_facts(session=session, actor=ADMIN)
        assert facts is before and freshness.refreshing
        assert freshness.described.endswith("refreshing…")
    finally:
        busy.set()
    with Session(engine) as session:
        after = snapshot.cockpit_facts(session=session, actor=ADMIN)
        facts, freshness = snapshot.current_facts(session=session, actor=ADMIN)
    assert after is not before and facts is after and not freshness.refreshing


def test_full_reloads_are_spaced_by_nine_times_the_last_ones_duration_at_most_a_minute(engine):
    from crm_app.data import snapshot

    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    with Session(engine) as session:
        snapshot.cockpit_facts(session=session, actor=ADMIN)
        key = snapshot._key(session, ADMIN)
    ended, took = snapshot._last_reloads[key]  # the first load, just done
    assert took > 0
    assert snapshot.reload_delay(key, ended) == 9 * took
    snapshot._last_reloads[key] = (100.0, 2.5)  # a reload that took 2.5 s ended at t = 100 s
    assert snapshot.reload_delay(key, 103.0) == 19.5
    assert snapshot.reload_delay(key, 130.0) == 0.0
    snapshot._last_reloads[key] = (100.0, 40.0)  # at a million orders
    assert snapshot.reload_delay(key, 101.0) == 60.0
    assert snapshot.reload_delay(("another database", None), 103.0) == 0.0
