"""customer list filtered by region or segment and sorted by name from one index each

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:00:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_index('ix_customer_region', table_name='customer')
    op.drop_index('ix_customer_segment', table_name='customer')
    op.create_index('ix_customer_region_name', 'customer', ['region', 'name'], unique=False)
    op.create_index('ix_customer_segment_name', 'customer', ['segment', 'name'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_customer_segment_name', table_name='customer')
    op.drop_index('ix_customer_region_name', table_name='customer')
    op.create_index('ix_customer_segment', 'customer', ['segment'], unique=False)
    op.create_index('ix_customer_region', 'customer', ['region'], unique=False)
