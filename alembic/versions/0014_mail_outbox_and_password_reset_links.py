"""the mail outbox (one message per recipient and purpose) and password reset links (issue 19)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 11:50:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('password_reset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_user_id'), ['user_id'], unique=False)

    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('purpose_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=True),
    sa.Column('unsubscribe_customer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('claimed_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('claim_token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sent', 'failed', 'withdrawn')", name='status_allowed'),
    sa.ForeignKeyConstraint(['unsubscribe_customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('to_address', 'purpose_key', name='uq_mail_outbox_recipient_purpose')
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_due', ['status', 'next_attempt_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_outbox_unsubscribe_customer_id'), ['unsubscribe_customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_outbox_unsubscribe_customer_id'))
        batch_op.drop_index('ix_mail_outbox_due')

    op.drop_table('mail_outbox')
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_user_id'))

    op.drop_table('password_reset')
