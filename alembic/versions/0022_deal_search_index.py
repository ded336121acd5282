"""deal title search index (SQLite FTS5 trigram, PostgreSQL pg_trgm), as 0005 made the customers'

The header's search looked for a fragment of a deal's title with a LIKE that read every deal: 350 ms at 684,000
deals whenever the fragment was rare.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 00:45:00
"""
from typing import Sequence, Union

from alembic import op

from crm_app.data.search import DEALS, create_index_statements, drop_index_statements


revision: str = '0022'
down_revision: Union[str, None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    for statement in create_index_statements(DEALS, op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_index_statements(DEALS, op.get_bind().dialect.name):
        op.execute(statement)
