"""kpi targets by scope: the company, or one region, segment or sales rep; existing targets are the company's

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 07:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('kpi_target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                      server_default='company'))
        batch_op.add_column(sa.Column('scope_value', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False,
                                      server_default=''))
        batch_op.drop_constraint('uq_kpi_target_period', type_='unique')
        batch_op.create_unique_constraint('uq_kpi_target_scope_period',
                                          ['kpi', 'scope', 'scope_value', 'period_start', 'period_end'])
        batch_op.create_check_constraint('scope_allowed', "scope IN ('company', 'region', 'segment', 'rep')")
        batch_op.create_check_constraint('scope_value_named', "(scope = 'company') = (scope_value = '')")
    with op.batch_alter_table('kpi_target', schema=None) as batch_op:
        batch_op.alter_column('scope', server_default=None)
        batch_op.alter_column('scope_value', server_default=None)


def downgrade() -> None:
    op.execute("DELETE FROM kpi_target WHERE scope <> 'company'")
    with op.batch_alter_table('kpi_target', schema=None) as batch_op:
        batch_op.drop_constraint('scope_value_named', type_='check')
        batch_op.drop_constraint('scope_allowed', type_='check')
        batch_op.drop_constraint('uq_kpi_target_scope_period', type_='unique')
        batch_op.create_unique_constraint('uq_kpi_target_period', ['kpi', 'period_start', 'period_end'])
        batch_op.drop_column('scope_value')
        batch_op.drop_column('scope')
