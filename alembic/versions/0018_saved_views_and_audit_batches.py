"""saved views of the list pages, and the batch id shared by the audit rows of one bulk action

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 11:52:12
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('saved_view',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('page', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner_id', 'page', 'name', name='uq_saved_view_owner_page_name')
    )
    op.create_index('ix_saved_view_page_shared', 'saved_view', ['page', 'shared'], unique=False)
    # A nullable column is added in place on SQLite too: the audit log is not copied.
    op.add_column('audit_log', sa.Column('batch_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.create_index('ix_audit_log_batch_id', 'audit_log', ['batch_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_log_batch_id', table_name='audit_log')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('batch_id')
    op.drop_index('ix_saved_view_page_shared', table_name='saved_view')
    op.drop_table('saved_view')
