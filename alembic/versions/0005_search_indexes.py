"""customer search index (SQLite FTS5 trigram, PostgreSQL pg_trgm) and indexes for the list and the board

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:00:00
"""
from typing import Sequence, Union

from alembic import op

from crm_app.data.search import POSTGRES_INDEXES, SEARCHED_COLUMNS, SQLITE_INDEX


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ", ".join(SEARCHED_COLUMNS)
NEW_VALUES = ", ".join(f"new.{column}" for column in SEARCHED_COLUMNS)
OLD_VALUES = ", ".join(f"old.{column}" for column in SEARCHED_COLUMNS)
INDEX_REMOVES_OLD = (f"INSERT INTO {SQLITE_INDEX} ({SQLITE_INDEX}, rowid, {COLUMNS}) "
                     f"VALUES ('delete', old.id, {OLD_VALUES});")
INDEX_ADDS_NEW = f"INSERT INTO {SQLITE_INDEX} (rowid, {COLUMNS}) VALUES (new.id, {NEW_VALUES});"


def _create_search_index() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Trigram GIN indexes serve lower(column) LIKE '%term%' directly, one per searched column.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column, index in POSTGRES_INDEXES.items():
            op.execute(f"CREATE INDEX {index} ON customer USING gin (lower({column}) gin_trgm_ops)")
        return
    # An external-content FTS5 table: it holds only the trigram index; triggers keep it in step with customer.
    op.execute(f"CREATE VIRTUAL TABLE {SQLITE_INDEX} USING fts5({COLUMNS}, content='customer', content_rowid='id', "
               f"tokenize='trigram')")
    op.execute(f"CREATE TRIGGER {SQLITE_INDEX}_insert AFTER INSERT ON customer BEGIN {INDEX_ADDS_NEW} END")
    op.execute(f"CREATE TRIGGER {SQLITE_INDEX}_delete AFTER DELETE ON customer BEGIN {INDEX_REMOVES_OLD} END")
    op.execute(f"CREATE TRIGGER {SQLITE_INDEX}_update AFTER UPDATE OF {COLUMNS} ON customer "
               f"BEGIN {INDEX_REMOVES_OLD} {INDEX_ADDS_NEW} END")
    op.execute(f"INSERT INTO {SQLITE_INDEX} ({SQLITE_INDEX}) VALUES ('rebuild')")


def _drop_search_index() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index in POSTGRES_INDEXES.values():
            op.execute(f"DROP INDEX IF EXISTS {index}")
        return
    for action in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {SQLITE_INDEX}_{action}")
    op.execute(f"DROP TABLE IF EXISTS {SQLITE_INDEX}")


def upgrade() -> None:
    op.create_index('ix_customer_owner_name', 'customer', ['owner_id', 'name'], unique=False)
    op.create_index('ix_customer_owner_region', 'customer', ['owner_id', 'region', 'name'], unique=False)
    op.create_index('ix_customer_owner_segment', 'customer', ['owner_id', 'segment', 'name'], unique=False)
    op.drop_index('ix_deal_stage_owner', table_name='deal')
    op.create_index('ix_deal_stage_owner_amounts', 'deal', ['stage', 'owner_id', 'amount', 'probability'],
                    unique=False)
    op.create_index('ix_deal_stage_closed', 'deal', ['stage', 'closed_at'], unique=False)
    op.create_index('ix_deal_stage_close_date', 'deal', ['stage', 'expected_close_date'], unique=False)
    op.create_index('ix_deal_owner_stage_closed', 'deal', ['owner_id', 'stage', 'closed_at', 'amount', 'probability'],
                    unique=False)
    _create_search_index()


def downgrade() -> None:
    _drop_search_index()
    op.drop_index('ix_deal_owner_stage_closed', table_name='deal')
    op.drop_index('ix_deal_stage_close_date', table_name='deal')
    op.drop_index('ix_deal_stage_closed', table_name='deal')
    op.drop_index('ix_deal_stage_owner_amounts', table_name='deal')
    op.create_index('ix_deal_stage_owner', 'deal', ['stage', 'owner_id'], unique=False)
    op.drop_index('ix_customer_owner_segment', table_name='customer')
    op.drop_index('ix_customer_owner_region', table_name='customer')
    op.drop_index('ix_customer_owner_name', table_name='customer')
