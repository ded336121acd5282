"""`crm-app seed` against a migrated database: every generated row lands, once, and reads back through the models."""

from __future__ import annotations

import sqlite3
from datetime import UTC

import adbc_driver_sqlite.dbapi
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.sqltypes import UTCDateTime

from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Order, User
from crm_app.data.security import verify_password
from crm_app.data.seed import DEMO_LOGINS, generate_demo_company, generator, loader, seed_demo_company, sqlite_ingest
from tests.conftest import migrate

SIZES = dict(seed=3, customers=300, orders=2_000)
SEEDED_TABLES = ("app_user", "product", "customer", "sales_order", "order_line", "deal", "activity", "feedback",
                 "campaign", "campaign_target", "kpi_target", "audit_log")


def _row_counts(engine) -> dict[str, int]:
    tables = SQLModel.metadata.tables
    with engine.connect() as connection:
        return {
            name: connection.execute(sa.select(sa.func.count()).select_from(tables[name])).scalar_one()
            for name in SEEDED_TABLES
        }


def test_seeding_loads_every_generated_row(engine):
    summary = seed_demo_company(engine=engine, **SIZES)

    assert _row_counts(engine) == summary.rows
    assert summary.rows["sales_order"] == 2_000
    assert summary.rows["customer"] == 300
    assert "2,000 sales_order" in summary.describe()


def test_seeded_rows_read_back_through_the_models(engine):
    seed_demo_company(engine=engine, **SIZES)
    expected = generate_demo_company(**SIZES).tables["sales_order"].iloc[0]

    with Session(engine) as session:
        order = session.get(Order, 1)
        admin = session.exec(select(User).where(User.email == DEMO_LOGINS[0].email)).one()

    assert order.ordered_at == expected["ordered_at"].to_pydatetime()
    assert order.ordered_at.tzinfo == UTC
    assert order.total_amount == expected["total_amount"]
    assert verify_password(admin.password_hash, DEMO_LOGINS[0].password)


def test_the_app_can_add_rows_after_seeding(engine):
    summary = seed_demo_company(engine=engine, **SIZES)

    with Session(engine) as session:
        customer = Customer(name="Walk-in", region="EMEA", segment="Consumer", acquisition_channel="organic")
        session.add(customer)
        session.commit()
        assert customer.id == summary.rows["customer"] + 1


def test_a_database_with_users_is_refused(engine):
    seed_demo_company(engine=engine, **SIZES)
    before = _row_counts(engine)

    with pytest.raises(RuntimeError, match=f"already has {len(DEMO_LOGINS)} user"):
        seed_demo_company(engine=engine, **SIZES)
    assert _row_counts(engine) == before


def test_a_failed_load_leaves_nothing_behind(engine):
    with Session(engine) as session:  # customer 1 exists, so inserting the demo's customer 1 fails
        session.add(Customer(id=1, name="Existing", region="EMEA", segment="SMB", acquisition_channel="event"))
        session.commit()

    with pytest.raises(Exception, match="(?i)unique constraint"):  # ADBC's error on SQLite, SQLAlchemy's on PostgreSQL
        seed_demo_company(engine=engine, **SIZES)
    counts = _row_counts(engine)
    assert counts.pop("customer") == 1
    assert set(counts.values()) == {0}


def _what_a_load_leaves(url: str) -> tuple:
    with engine_for(url).connect() as connection:
        connection.exec_driver_sql("INSERT INTO customer_search (customer_search) VALUES ('integrity-check')")
        stored = {table: connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id").all()
                  for table in SEEDED_TABLES if table != "app_user"}  # (password hashes are salted)
        return (stored, connection.exec_driver_sql("SELECT version, order_writes, order_rewrites FROM data_version").all(),
                # (A table's own DDL is left out: two runs of the batch migrations write constraints in any order.)
                sorted(connection.exec_driver_sql("SELECT type, name, tbl_name, iif(type = 'table', '', sql) "
                                                  "FROM sqlite_master").all()),
                connection.exec_driver_sql("SELECT rowid FROM customer_search WHERE customer_search MATCH '\"son\"' "
                                           "ORDER BY rowid").all(),
                connection.exec_driver_sql("SELECT rowid FROM deal_search WHERE deal_search MATCH '\"renewal\"' "
                                           "ORDER BY rowid").all(),
                connection.exec_driver_sql("PRAGMA integrity_check").all())


def test_on_sqlite_the_load_leaves_what_rows_written_one_by_one_would(tmp_path, monkeypatch):
    """Indexes and triggers dropped for the load and made again after it, rows bound by the ADBC driver as Arrow
    columns: the same rows as SQLAlchemy binds one dict at a time, the same schema, the same write counters as the
    per-row triggers reach, every customer and deal in the search indexes."""
    bulk, row_by_row = (f"sqlite:///{tmp_path / name}.db" for name in ("bulk", "row_by_row"))
    for url in (bulk, row_by_row):
        migrate(url)
    seed_demo_company(engine=engine_for(bulk), **SIZES)
    monkeypatch.setattr(loader, "_loading", loader._sqlalchemy_load)  # PostgreSQL's path, the triggers in place
    seed_demo_company(engine=engine_for(row_by_row), **SIZES)

    left = _what_a_load_leaves(bulk)
    assert left == _what_a_load_leaves(row_by_row)
    stored, counters, schema, found, deals_found, integrity = left
    assert len(stored["sales_order"]) == 2_000
    assert counters[0][0] > counters[0][1] > 2_000 and counters[0][2] == 0
    assert len(found) > 0 and len(deals_found) > 0 and integrity == [("ok",)]


def test_on_sqlite_the_load_gives_the_file_its_write_ahead_log_and_the_connection_its_settings_back(tmp_path):
    path = tmp_path / "seeded.db"
    migrate(f"sqlite:///{path}")
    engine = engine_for(f"sqlite:///{path}")
    with engine.connect() as connection:
        driver = connection.connection.dbapi_connection
        before = [driver.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "temp_store", "threads")]

    seed_demo_company(engine=engine, **SIZES)

    with engine.connect() as connection:  # the pool's one connection, the load's own
        driver = connection.connection.dbapi_connection
        assert [driver.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "temp_store", "threads")] == before
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_on_sqlite_a_load_beside_another_open_connection_goes_through_the_write_ahead_log(tmp_path):
    path = tmp_path / "shared.db"
    migrate(f"sqlite:///{path}")
    engine = engine_for(f"sqlite:///{path}")
    engine.connect().close()  # the app's first connection puts the file in WAL mode
    # Opened through the load's own SQLite library: in one process, only its connections see each other's locks.
    reading = adbc_driver_sqlite.dbapi.connect(str(path), autocommit=True)
    reader = reading.cursor()
    reader.execute("SELECT count(*) FROM customer")
    assert reader.fetchone() == (0,)

    summary = seed_demo_company(engine=engine, **SIZES)

    assert _row_counts(engine) == summary.rows
    reader.execute("SELECT count(*) FROM customer")
    assert reader.fetchone() == (300,)
    assert (tmp_path / "shared.db-wal").stat().st_size > 0  # a rollback journal would have left no WAL file
    reader.close()
    reading.close()


def test_aware_datetimes_are_written_as_sqlite_stores_them_and_any_other_writing_is_left_to_the_processors():
    dialect = sqlite.dialect()
    utc_datetime = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    shanghai = pd.Series(pd.to_datetime(["2026-01-31 09:15:00.5", None], utc=True)).dt.tz_convert("Asia/Shanghai")

    written = sqlite_ingest._sqlite_datetime_text(shanghai, utc_datetime)
    assert written.to_pylist() == ["2026-01-31 09:15:00.500000", None]
    truncated = sqlite.DATETIME(truncate_microseconds=True).bind_processor(dialect)
    assert sqlite_ingest._sqlite_datetime_text(shanghai, truncated) is None  # 17:15:00 local, no microseconds: differs
    assert sqlite_ingest._sqlite_datetime_text(pd.Series([1, 2]), utc_datetime) is None


def test_a_failure_while_drawing_leaves_nothing_behind(engine, monkeypatch):
    def no_deals(*_):  # drawn after the customers, orders and lines went in
        raise ValueError("no deals today")
    monkeypatch.setattr(generator, "_deals", no_deals)

    with pytest.raises(ValueError, match="no deals today"):
        seed_demo_company(engine=engine, **SIZES)
    assert set(_row_counts(engine).values()) == {0}
