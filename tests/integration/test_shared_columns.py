"""The company-wide cockpit snapshot is shared by the workers of a machine through memory-mapped column files:
a worker that starts opens what another wrote, brings it current from data_version, and never trusts a file
that is damaged or made from another database."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal
from sqlmodel import Session

from crm_app.analytics import cockpit as evaluation
from crm_app.analytics.cockpit import CockpitFacts, prepare_cockpit
from crm_app.data import shared_columns, snapshot
from crm_app.data.db import engine_for
from crm_app.data.facts import load_facts
from crm_app.data.models import Role
from crm_app.data.permissions import Actor
from crm_app.data.seed import seed_demo_company
from crm_app.settings import get_settings
from tests.conftest import migrate
from tests.integration.test_cockpit_snapshot import REWRITER, WRITER

ADMIN = Actor(id=1, email="admin@example.com", full_name="Admin", role=Role.admin)
DAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def columns_dir(tmp_path, monkeypatch) -> Path:
    """Column files under the test's own directory (PostgreSQL's default would be the system's temp dir)."""
    monkeypatch.setattr(get_settings(), "cockpit_columns_dir", tmp_path / "columns")
    return tmp_path / "columns"


def _fresh_worker(monkeypatch) -> None:
    """This process as a worker that has just started: no snapshot in memory."""
    monkeypatch.setattr(snapshot, "_snapshots", {})
    monkeypatch.setattr(snapshot, "_reloads", {})
    monkeypatch.setattr(snapshot, "_last_reloads", {})


def _database_not_read(monkeypatch) -> None:
    def refuse(session):
        raise AssertionError("the worker read the fact tables instead of the column file")

    monkeypatch.setattr(snapshot, "load_facts", refuse)


def _facts(engine, actor: Actor = ADMIN) -> CockpitFacts:
    with Session(engine) as session:
        return snapshot.cockpit_facts(session=session, actor=actor)


def _prepared_from_database(engine, actor: Actor = ADMIN) -> CockpitFacts:
    with Session(engine) as session:
        facts = load_facts(session)
    visible = facts if actor.reads_everything else facts.visible_to(actor)
    return prepare_cockpit(visible, visible.orders["ordered_at"].max())


def assert_same_facts(actual: CockpitFacts, expected: CockpitFacts) -> None:
    for field in fields(CockpitFacts):
        mine, theirs = getattr(actual, field.name), getattr(expected, field.name)
        if isinstance(theirs, dict) and field.name != "labels":
            assert mine.keys() == theirs.keys(), field.name
            for column, values in theirs.items():
                assert mine[column].dtype == values.dtype, (field.name, column)
                assert np.array_equal(mine[column], values, equal_nan=values.dtype.kind == "f"), (field.name, column)
        elif isinstance(theirs, np.ndarray):
            assert mine.dtype == theirs.dtype and mine.shape == theirs.shape, field.name
            assert np.array_equal(mine, theirs, equal_nan=theirs.dtype.kind == "f"), field.name
        elif field.name in ("campaigns", "campaign_targets"):
            assert_frame_equal(mine, theirs)
        else:
            assert mine == theirs, field.name


def _revenue_on_the_day(facts: CockpitFacts) -> tuple[float, int]:
    filters = evaluation.CockpitFilters(start=DAY, end=date(2026, 3, 11))
    kpis = evaluation.period_kpis(facts, filters, filters.start, filters.end)
    return kpis["revenue"].value, kpis["orders"].value


def _folder(engine) -> Path:
    return shared_columns.folder_for(engine.url)


def test_a_worker_that_starts_opens_the_columns_another_wrote_and_gets_the_same_facts(engine, monkeypatch):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    written = _facts(engine)
    path = shared_columns.newest(_folder(engine))
    with Session(engine) as session:
        now = snapshot.counters(session)
    assert path.name == f"v{now.version}-{now.order_writes}-{now.order_rewrites}"

    _fresh_worker(monkeypatch)
    _database_not_read(monkeypatch)
    opened = _facts(engine)

    assert opened is not written
    assert_same_facts(opened, written)
    assert_same_facts(opened, _prepared_from_database(engine))
    assert not opened.orders["amount"].flags.writeable  # a view of the mapped file, not a copy


SECOND_WORKER = """
import sys
from datetime import date
from sqlmodel import Session
from crm_app.analytics import cockpit as evaluation
from crm_app.data import snapshot
from crm_app.data.db import engine_for
from crm_app.data.models import Role
from crm_app.data.permissions import Actor

def refuse(session):
    raise AssertionError("read the database")

snapshot.load_facts = refuse
with Session(engine_for(sys.argv[1])) as session:
    facts = snapshot.cockpit_facts(session=session, actor=Actor(1, "a@example.com", "A", Role.admin))
filters = evaluation.CockpitFilters(start=date(2026, 3, 10), end=date(2026, 3, 11))
kpis = evaluation.period_kpis(facts, filters, filters.start, filters.end)
print(kpis["revenue"].value, kpis["orders"].value, int(facts.orders["ns"].size))
"""


def test_another_process_reads_the_same_figures_from_the_file_without_reading_the_database(engine, columns_dir):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    facts = _facts(engine)
    url = engine.url.render_as_string(hide_password=False)

    answer = subprocess.run([sys.executable, "-c", SECOND_WORKER, url], check=True, capture_output=True, text=True,
                            env={**__import__("os").environ, "CRM_COCKPIT_COLUMNS_DIR": str(columns_dir)})

    revenue, orders = _revenue_on_the_day(facts)
    assert answer.stdout.split() == [str(revenue), str(orders), str(facts.orders["ns"].size)]


def test_an_order_written_after_the_file_is_merged_by_a_worker_that_starts(engine, monkeypatch):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    revenue, orders = _revenue_on_the_day(_facts(engine))
    subprocess.run([sys.executable, "-c", WRITER, engine.url.render_as_string(hide_password=False)], check=True)
    expected = _prepared_from_database(engine)

    _fresh_worker(monkeypatch)
    with monkeypatch.context() as patched:
        _database_not_read(patched)
        merged = _facts(engine)

    assert _revenue_on_the_day(merged) == (revenue + 1234.5, orders + 1)
    for name, values in expected.orders.items():
        assert np.array_equal(merged.orders[name], values), name
    assert np.array_equal(merged.categories, expected.categories)


def test_an_update_after_the_file_was_written_rebuilds_it_once(engine, monkeypatch):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    url = engine.url.render_as_string(hide_password=False)
    subprocess.run([sys.executable, "-c", WRITER, url], check=True)
    revenue, orders = _revenue_on_the_day(_facts(engine))
    first = shared_columns.newest(_folder(engine))
    subprocess.run([sys.executable, "-c", REWRITER, url], check=True)  # the order is cancelled: a full reload

    _fresh_worker(monkeypatch)
    rebuilt = _facts(engine)

    assert _revenue_on_the_day(rebuilt) == (revenue - 1234.5, orders - 1)
    assert_same_facts(rebuilt, _prepared_from_database(engine))
    newest = shared_columns.newest(_folder(engine))
    assert newest != first and not first.exists()  # the obsolete snapshot is deleted
    _fresh_worker(monkeypatch)
    _database_not_read(monkeypatch)
    assert _revenue_on_the_day(_facts(engine)) == (revenue - 1234.5, orders - 1)


def test_a_worker_holding_the_snapshot_reloads_and_shares_it_after_an_update(engine):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    before = _facts(engine)
    with engine.begin() as connection:  # a customer changes: only a full reload is right
        connection.execute(sa.text("UPDATE customer SET phone = NULL WHERE id = (SELECT min(id) FROM customer)"))

    after = _facts(engine)

    assert after is not before
    assert_same_facts(after, _prepared_from_database(engine))
    with Session(engine) as session:
        now = snapshot.counters(session)
    assert shared_columns.newest(_folder(engine)).name == f"v{now.version}-{now.order_writes}-{now.order_rewrites}"


@pytest.mark.parametrize("damage", ["truncated", "missing description", "other format"])
def test_a_damaged_or_partial_file_is_ignored_and_rebuilt(engine, monkeypatch, damage):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    written = _facts(engine)
    path = shared_columns.newest(_folder(engine))
    if damage == "truncated":  # a new file in its place: cutting the mapped one short would crash this process
        data = (path / "orders.arrow").read_bytes()
        (path / "cut").write_bytes(data[: len(data) // 2])
        (path / "cut").replace(path / "orders.arrow")
    elif damage == "missing description":
        (path / "snapshot.json").unlink()
    else:
        (path / "snapshot.json").write_text((path / "snapshot.json").read_text().replace('"format": 1', '"format": 0'))

    _fresh_worker(monkeypatch)
    rebuilt = _facts(engine)

    assert_same_facts(rebuilt, written)
    assert_same_facts(shared_columns.read(shared_columns.newest(_folder(engine)))[0], written)


@pytest.mark.parametrize("empty_database", ["sqlite"], indirect=True)  # a SQLite file deleted and made again
def test_a_file_made_from_another_database_at_the_same_place_is_not_used(engine, monkeypatch):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    _facts(engine)
    database = Path(engine.url.database)
    engine.dispose()
    for path in database.parent.glob(database.name + "*"):
        path.unlink()
    url = engine.url.render_as_string(hide_password=False)
    migrate(url)
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 5, 31))  # the same counts

    _fresh_worker(monkeypatch)
    reopened = _facts(engine)

    expected = _prepared_from_database(engine)
    assert_same_facts(reopened, expected)
    assert_same_facts(shared_columns.read(shared_columns.newest(_folder(engine)))[0], expected)  # the file too
    assert engine_for(url) is engine


def test_a_rep_sees_only_their_own_book_and_the_company_file_is_left_alone(engine):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    company = _facts(engine)
    path = shared_columns.newest(_folder(engine))
    with engine.connect() as connection:
        rep_id = connection.execute(sa.text("SELECT id FROM app_user WHERE email = 'rep1@example.com'")).scalar_one()
    rep = Actor(id=rep_id, email="rep1@example.com", full_name="Riley Rep", role=Role.sales_rep)

    book = _facts(engine, rep)

    assert_same_facts(book, _prepared_from_database(engine, rep))
    assert set(np.unique(book.orders["owner_id"])) == {rep_id}
    assert 0 < book.orders["ns"].size < company.orders["ns"].size
    assert shared_columns.newest(_folder(engine)) == path and sorted(p.name for p in _folder(engine).iterdir()) == \
        ["lock", path.name]


def test_the_columns_folder_defaults_to_next_to_the_sqlite_file_and_is_the_users_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(get_settings(), "cockpit_columns_dir", None)
    url = sa.engine.make_url(f"sqlite:///{tmp_path / 'crm.sqlite3'}")

    folder = shared_columns.folder_for(url)

    assert folder.parent == tmp_path / "cockpit-columns"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert shared_columns.folder_for(sa.engine.make_url("sqlite://")) is None
    (tmp_path / "cockpit-columns").chmod(0o777)  # anyone could plant numbers there: not used
    assert shared_columns.folder_for(url) is None
    monkeypatch.setattr(get_settings(), "cockpit_shared_columns", False)
    (tmp_path / "cockpit-columns").chmod(0o700)
    assert shared_columns.folder_for(url) is None


def test_merged_orders_are_mapped_from_a_file_again_after_the_share_delay(engine, monkeypatch):
    monkeypatch.setattr(snapshot, "SHARE_DELAY", 0.0)
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    revenue, orders = _revenue_on_the_day(_facts(engine))
    subprocess.run([sys.executable, "-c", WRITER, engine.url.render_as_string(hide_password=False)], check=True)
    with Session(engine) as session:
        merged, _ = snapshot.current_facts(session=session, actor=ADMIN)
        key, now = snapshot._key(session, ADMIN), snapshot.counters(session)
    assert merged.orders["amount"].flags.writeable  # the merge made this worker's own copy

    snapshot._shares[key].join(timeout=60)

    shared = snapshot._snapshots[key]
    assert shared.shared and shared.counters == now and not shared.cockpit.orders["amount"].flags.writeable
    assert shared_columns.newest(_folder(engine)).name == f"v{now.version}-{now.order_writes}-{now.order_rewrites}"
    assert_same_facts(shared.cockpit, merged)
    assert _revenue_on_the_day(shared.cockpit) == (revenue + 1234.5, orders + 1)


def test_a_worker_that_starts_answers_its_first_event_from_a_current_file_without_loading(engine, monkeypatch):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    written = _facts(engine)
    _fresh_worker(monkeypatch)
    _database_not_read(monkeypatch)

    with Session(engine) as session:
        facts, freshness = snapshot.current_facts(session=session, actor=ADMIN)

    assert not freshness.refreshing and freshness.loaded_at is not None
    assert_same_facts(facts, written)
    assert snapshot._reloads == {}  # nothing left to do in the background


def test_a_worker_that_starts_behind_the_file_says_loading_and_merges_in_the_background(engine, monkeypatch):
    seed_demo_company(engine=engine, customers=40, orders=200, as_of=date(2026, 6, 30))
    revenue, orders = _revenue_on_the_day(_facts(engine))
    subprocess.run([sys.executable, "-c", WRITER, engine.url.render_as_string(hide_password=False)], check=True)
    _fresh_worker(monkeypatch)

    with Session(engine) as session:
        facts, freshness = snapshot.current_facts(session=session, actor=ADMIN)

    assert facts is None and freshness.refreshing
    assert _revenue_on_the_day(_facts(engine)) == (revenue + 1234.5, orders + 1)
