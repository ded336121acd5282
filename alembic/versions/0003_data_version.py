"""data version counter bumped by triggers on the fact tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Every table the cockpit's in-memory snapshot reads (crm_app/data/facts.py).
FACT_TABLES = ("customer", "product", "sales_order", "order_line", "deal", "activity", "feedback",
               "campaign", "campaign_target")
BUMP = "UPDATE data_version SET version = version + 1 WHERE id = 1"


def _create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # One bump per statement, not per row: a bulk load of a million rows costs one update.
        op.execute(f"CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {BUMP}; RETURN NULL; END $$")
        for table in FACT_TABLES:
            op.execute(f"CREATE TRIGGER {table}_bumps_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")
        return
    # SQLite has row triggers only.
    for table in FACT_TABLES:
        for action in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_{action.lower()}_bumps_data_version AFTER {action} ON {table} "
                       f"BEGIN {BUMP}; END")


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in FACT_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_data_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_data_version()")
        return
    for table in FACT_TABLES:
        for action in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{action}_bumps_data_version")


def upgrade() -> None:
    op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 0)")
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    op.drop_table('data_version')
