"""metric samples recorded by the app, and order counters for the cockpit's incremental reload

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 12:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ORDER_TABLES = ("sales_order", "order_line")
BUCKETS = 12  # crm_app/metrics.py BUCKET_BOUNDS_MS plus the overflow bucket


def _create_triggers() -> None:
    # order_writes counts every write to the order tables, order_rewrites only updates and deletes: the
    # cockpit appends new orders by id while order_rewrites stays put, and reloads fully when it moves.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION bump_order_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "UPDATE data_version SET order_writes = order_writes + 1, order_rewrites = order_rewrites "
                   "+ CASE WHEN TG_OP = 'INSERT' THEN 0 ELSE 1 END WHERE id = 1; RETURN NULL; END $$")
        for table in ORDER_TABLES:
            op.execute(f"CREATE TRIGGER {table}_bumps_order_writes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_order_writes()")
        return
    for table in ORDER_TABLES:
        for action in ("INSERT", "UPDATE", "DELETE"):
            rewrite = ", order_rewrites = order_rewrites + 1" if action != "INSERT" else ""
            op.execute(f"CREATE TRIGGER {table}_{action.lower()}_bumps_order_writes AFTER {action} ON {table} "
                       f"BEGIN UPDATE data_version SET order_writes = order_writes + 1{rewrite} WHERE id = 1; END")


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ORDER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_order_writes ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_order_writes()")
        return
    for table in ORDER_TABLES:
        for action in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{action}_bumps_order_writes")


def upgrade() -> None:
    op.create_table('metric_sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minute', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('module', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('total_ms', sa.Float(), nullable=False),
    *[sa.Column(f'b{i}', sa.Integer(), nullable=False) for i in range(BUCKETS)],
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_metric_sample_minute'), 'metric_sample', ['minute'], unique=False)
    # Plain ALTERs: a batch copy of data_version would break the triggers that reference it.
    op.add_column('data_version', sa.Column('order_writes', sa.BigInteger(), nullable=False, server_default='0'))
    op.add_column('data_version', sa.Column('order_rewrites', sa.BigInteger(), nullable=False, server_default='0'))
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    op.drop_column('data_version', 'order_rewrites')
    op.drop_column('data_version', 'order_writes')
    op.drop_index(op.f('ix_metric_sample_minute'), table_name='metric_sample')
    op.drop_table('metric_sample')
