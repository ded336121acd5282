"""customer search index (SQLite FTS5 trigram, PostgreSQL pg_trgm) and indexes for the list and the board

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:00:00
"""
from typing import Sequence, Union

from alembic import op

from crm_app.data.search import CUSTOMERS, create_index_statements, drop_index_statements


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _create_search_index() -> None:
    for statement in create_index_statements(CUSTOMERS, op.get_bind().dialect.name):
        op.execute(statement)


def _drop_search_index() -> None:
    for statement in drop_index_statements(CUSTOMERS, op.get_bind().dialect.name):
        op.execute(statement)


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
