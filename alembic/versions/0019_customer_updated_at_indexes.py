"""customer indexes on (updated_at, id) and (owner_id, updated_at, id): the REST API's sort=-updated_at pages
without sorting the whole book (issue 18)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 13:12:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0019'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_customer_updated_at', 'customer', ['updated_at', 'id'])
    op.create_index('ix_customer_owner_updated_at', 'customer', ['owner_id', 'updated_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_customer_owner_updated_at', table_name='customer')
    op.drop_index('ix_customer_updated_at', table_name='customer')
