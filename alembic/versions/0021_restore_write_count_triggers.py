"""restore the write-count triggers that SQLite's table copies dropped

On SQLite a batch migration that changes a table's constraints copies the table, and the copy has no triggers:
0015 copied campaign and campaign_target, 0016 copied sales_order. Writes to them stopped moving data_version,
so the cockpit's snapshot missed new orders written by another process, and campaign changes. PostgreSQL alters
tables in place and kept its triggers. The triggers are those of 0003 (version) and 0004 (order_writes).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 02:30:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0021'
down_revision: Union[str, None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COPIED_FACT_TABLES = ("campaign", "campaign_target", "sales_order")
BUMP = "UPDATE data_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in COPIED_FACT_TABLES:
        for action in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS {table}_{action.lower()}_bumps_data_version AFTER {action} "
                       f"ON {table} BEGIN {BUMP}; END")
    for action in ("INSERT", "UPDATE", "DELETE"):
        rewrite = ", order_rewrites = order_rewrites + 1" if action != "INSERT" else ""
        op.execute(f"CREATE TRIGGER IF NOT EXISTS sales_order_{action.lower()}_bumps_order_writes AFTER {action} "
                   f"ON sales_order BEGIN UPDATE data_version SET order_writes = order_writes + 1{rewrite} "
                   f"WHERE id = 1; END")


def downgrade() -> None:
    # The triggers belong to 0003 and 0004, whose downgrades drop them.
    pass
