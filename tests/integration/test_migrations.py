"""The migrations build exactly the models' schema, and round-trip, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from crm_app.data.search import SEARCH_INDEXES
from tests.conftest import alembic_config, migrate

TABLES = {
    "activity", "api_token", "app_user", "idempotent_request", "logged_activity", "audit_log", "auth_session", "campaign", "campaign_target", "customer", "data_version",
    "deal", "feedback", "feedback_invite", "feedback_note", "kpi_target", "metric_sample", "order_line", "product",
    "model_run", "recovery_code", "role_policy", "sales_order", "saved_view", "sign_in_attempt", "two_factor",
    "webhook_delivery", "webhook_endpoint",
    "mail_outbox", "password_reset",
}

# The customer and deal search indexes live outside the models (crm_app/data/search.py): on SQLite an FTS5 table
# and its shadow tables each, on PostgreSQL expression indexes.
SQLITE_SEARCH_TABLES = {f"{index.sqlite_index}{part}" for index in SEARCH_INDEXES
                        for part in ("", "_config", "_data", "_idx", "_docsize")}
POSTGRES_SEARCH_INDEXES = {name for index in SEARCH_INDEXES for name in index.postgres_indexes.values()}


def _expected_tables(url: str) -> set[str]:
    return TABLES | (SQLITE_SEARCH_TABLES if url.startswith("sqlite") else set())


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_then_downgrade_round_trips(empty_database):
    migrate(empty_database)
    assert _tables(empty_database) == _expected_tables(empty_database)

    command.downgrade(alembic_config(empty_database), "base")
    assert _tables(empty_database) == set()

    migrate(empty_database)
    assert _tables(empty_database) == _expected_tables(empty_database)


def test_models_and_migrations_do_not_differ(empty_database):
    migrate(empty_database)
    engine = sa.create_engine(empty_database, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    unmodelled = [difference for difference in differences
                  if difference[0] in ("remove_table", "remove_index")
                  and difference[1].name in SQLITE_SEARCH_TABLES | POSTGRES_SEARCH_INDEXES]
    assert len(unmodelled) == len(SQLITE_SEARCH_TABLES if empty_database.startswith("sqlite") else POSTGRES_SEARCH_INDEXES)
    assert [difference for difference in differences if difference not in unmodelled] == []


def test_history_is_one_line():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert script.get_base() == "0001"


def test_existing_targets_become_company_targets(empty_database):
    migrate(empty_database, "0008")
    engine = sa.create_engine(empty_database, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO kpi_target (created_at, updated_at, kpi, period_start, period_end, target_value) "
            "VALUES ('2026-01-01', '2026-01-01', 'revenue', '2026-01-01', '2026-01-31', 1000000)"))
    migrate(empty_database)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT kpi, scope, scope_value, target_value FROM kpi_target")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [("revenue", "company", "", 1_000_000.0)]


def test_orders_created_from_a_deal_get_its_id_from_their_audit_row(empty_database):
    migrate(empty_database, "0015")
    engine = sa.create_engine(empty_database, poolclass=sa.pool.NullPool)
    stamp = "'2026-01-01 00:00:00'"
    with engine.begin() as connection:
        for sql in (
            "INSERT INTO app_user (id, created_at, updated_at, email, full_name, role, is_active, password_hash,"
            f" must_change_password) VALUES (1, {stamp}, {stamp}, 'r@example.com', 'R', 'sales_rep', true, 'x', false)",
            "INSERT INTO customer (id, created_at, updated_at, name, region, segment, acquisition_channel,"
            f" consent_email, consent_phone) VALUES (1, {stamp}, {stamp}, 'C', 'EMEA', 'SMB', 'web', false, false)",
            "INSERT INTO deal (id, created_at, updated_at, title, customer_id, owner_id, stage, amount, probability)"
            f" VALUES (7, {stamp}, {stamp}, 'D', 1, 1, 'Won', 100, 1)",
            *(f"INSERT INTO sales_order (id, created_at, updated_at, customer_id, status, channel, ordered_at,"
              f" total_amount) VALUES ({order_id}, {stamp}, {stamp}, 1, 'paid', 'online', {stamp}, 100)"
              for order_id in (1, 2, 3)),
            # Order 1 came from deal 7; order 2 from no deal; order 3 names a deal that is gone.
            "INSERT INTO audit_log (entity, entity_id, action, at, new_values) VALUES"
            f" ('order', 1, 'create', {stamp}, '{{\"deal_id\": 7, \"lines\": 1}}'),"
            f" ('order', 2, 'create', {stamp}, '{{\"deal_id\": null, \"lines\": 1}}'),"
            f" ('order', 3, 'create', {stamp}, '{{\"deal_id\": 99, \"lines\": 1}}')",
        ):
            connection.execute(sa.text(sql))
    migrate(empty_database)
    with engine.connect() as connection:
        links = connection.execute(sa.text("SELECT id, deal_id FROM sales_order ORDER BY id")).all()
    engine.dispose()
    assert [tuple(row) for row in links] == [(1, 7), (2, None), (3, None)]


# Tables whose writes move data_version (migration 0003) and, for the order tables, order_writes (0004).
FACT_TABLES = ("customer", "product", "sales_order", "order_line", "deal", "activity", "feedback", "campaign",
               "campaign_target")
ORDER_TABLES = ("sales_order", "order_line")


def _triggers(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    query = ("SELECT name FROM sqlite_master WHERE type = 'trigger'" if url.startswith("sqlite")
             else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    try:
        with engine.connect() as connection:
            return set(connection.execute(sa.text(query)).scalars())
    finally:
        engine.dispose()


def test_every_fact_table_keeps_its_write_count_triggers(empty_database):
    # A SQLite batch migration that copies a table drops its triggers (0015 and 0016 did, until 0021).
    migrate(empty_database)
    if empty_database.startswith("sqlite"):
        expected = ({f"{table}_{action}_bumps_data_version" for table in FACT_TABLES
                     for action in ("insert", "update", "delete")}
                    | {f"{table}_{action}_bumps_order_writes" for table in ORDER_TABLES
                       for action in ("insert", "update", "delete")})
    else:
        expected = ({f"{table}_bumps_data_version" for table in FACT_TABLES}
                    | {f"{table}_bumps_order_writes" for table in ORDER_TABLES})
    assert expected <= _triggers(empty_database)
