"""campaigns that are created, contacted and measured (issue 19): channel and status vocabularies, offer, attribution
window, owner, holdout share and its seed, email template, start moment; targets gain their group (contacted or
holdout) and when they were contacted; the marketer role

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 11:50:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ROLES_BEFORE = "role IN ('admin', 'executive', 'sales_rep')"
_ROLES_AFTER = "role IN ('admin', 'executive', 'sales_rep', 'marketer')"
# The demo rows' free-text channels, in the four the app contacts through.
_CHANNELS = {"webinar": "event", "paid_search": "ads", "partner": "ads", "direct_mail": "ads"}


def _roles(condition: str) -> None:
    for table in ('app_user', 'role_policy'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint('role_allowed', type_='check')
            batch_op.create_check_constraint('role_allowed', condition)


def upgrade() -> None:
    _roles(_ROLES_AFTER)
    for before, after in _CHANNELS.items():
        op.execute(sa.text("UPDATE campaign SET channel = :after WHERE channel = :before").bindparams(
            before=before, after=after))
    op.execute("UPDATE campaign SET channel = 'ads' WHERE channel NOT IN ('email', 'phone', 'event', 'ads')")
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('attribution_days', sa.Integer(), nullable=False, server_default='30'))
        # The rows before this revision were demo figures of campaigns already over.
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='done'))
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('holdout_share', sa.Float(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('seed', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('email_subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('email_body', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_campaign_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key('fk_campaign_owner_id_app_user', 'app_user', ['owner_id'], ['id'])
        batch_op.create_check_constraint('channel_allowed', "channel IN ('email', 'phone', 'event', 'ads')")
        batch_op.create_check_constraint('status_allowed', "status IN ('draft', 'scheduled', 'running', 'done')")
        batch_op.create_check_constraint('attribution_days_range', "attribution_days BETWEEN 1 AND 365")
        batch_op.create_check_constraint('holdout_share_range', "holdout_share >= 0 AND holdout_share <= 0.5")
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.alter_column('status', server_default='draft')
        batch_op.alter_column('holdout_share', server_default='0.1')
    with op.batch_alter_table('campaign_target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_group', sa.String(length=20), nullable=False, server_default='contacted'))
        batch_op.add_column(sa.Column('contacted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_check_constraint('target_group_allowed', "target_group IN ('contacted', 'holdout')")
        batch_op.create_check_constraint('holdout_never_contacted', "target_group = 'contacted' OR contacted_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('campaign_target', schema=None) as batch_op:
        batch_op.drop_constraint('holdout_never_contacted', type_='check')
        batch_op.drop_constraint('target_group_allowed', type_='check')
        batch_op.drop_column('contacted_at')
        batch_op.drop_column('target_group')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_constraint('holdout_share_range', type_='check')
        batch_op.drop_constraint('attribution_days_range', type_='check')
        batch_op.drop_constraint('status_allowed', type_='check')
        batch_op.drop_constraint('channel_allowed', type_='check')
        batch_op.drop_constraint('fk_campaign_owner_id_app_user', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_campaign_owner_id'))
        for column in ('started_at', 'email_body', 'email_subject', 'seed', 'holdout_share', 'owner_id', 'status',
                       'attribution_days', 'offer'):
            batch_op.drop_column(column)
    op.execute("DELETE FROM role_policy WHERE role = 'marketer'")
    op.execute("UPDATE app_user SET is_active = false, role = 'executive' WHERE role = 'marketer'")
    _roles(_ROLES_BEFORE)
