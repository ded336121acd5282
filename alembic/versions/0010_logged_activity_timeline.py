"""logged activities (notes, calls, emails, meetings) and the indexes a record's timeline pages by

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 07:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TIMELINE_INDEXES = (
    ('activity', 'ix_activity_customer_created', ['customer_id', 'created_at', 'id']),
    ('activity', 'ix_activity_customer_done', ['customer_id', 'done_at', 'id']),
    ('sales_order', 'ix_sales_order_customer_timeline', ['customer_id', 'ordered_at', 'id']),
    ('feedback', 'ix_feedback_customer_timeline', ['customer_id', 'submitted_at', 'id']),
    ('audit_log', 'ix_audit_log_entity_timeline', ['entity', 'entity_id', 'at', 'id']),
)


def upgrade() -> None:
    op.create_table('logged_activity',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('edited_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('note', 'call', 'email', 'meeting')", name='kind_allowed'),
    sa.CheckConstraint('duration_minutes IS NULL OR (duration_minutes > 0 AND duration_minutes <= 1440)',
                       name='duration_within_a_day'),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('logged_activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_logged_activity_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_logged_activity_customer_timeline', ['customer_id', 'occurred_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_logged_activity_deal_timeline', ['deal_id', 'occurred_at', 'id'], unique=False)
    for table, name, columns in TIMELINE_INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _ in reversed(TIMELINE_INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table('logged_activity')
