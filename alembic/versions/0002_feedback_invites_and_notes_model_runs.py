"""feedback invites and notes, model runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:13:30.642953
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('model_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('fitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('model_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_run_fitted_at'), ['fitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_run_model'), ['model'], unique=False)

    op.create_table('feedback_invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['issued_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('nonce')
    )
    with op.batch_alter_table('feedback_invite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_invite_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_invite_customer_id'), ['customer_id'], unique=False)

    op.create_table('feedback_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('feedback_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_note_feedback_id'), ['feedback_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('feedback_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_note_feedback_id'))

    op.drop_table('feedback_note')
    with op.batch_alter_table('feedback_invite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_invite_customer_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_invite_campaign_id'))

    op.drop_table('feedback_invite')
    with op.batch_alter_table('model_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_run_model'))
        batch_op.drop_index(batch_op.f('ix_model_run_fitted_at'))

    op.drop_table('model_run')
