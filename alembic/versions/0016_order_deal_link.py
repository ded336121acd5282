"""sales_order.deal_id: the deal an order was created from, filled from the orders' create audit rows

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 12:25:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deal_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sales_order_deal_id'), ['deal_id'], unique=False)
        batch_op.create_foreign_key('fk_sales_order_deal_id_deal', 'deal', ['deal_id'], ['id'], ondelete='SET NULL')
    # Until now the link lived only in the order's create audit row (new_values.deal_id); keep it where the
    # deal still exists.
    audit = sa.table('audit_log', sa.column('entity', sa.String), sa.column('action', sa.String),
                     sa.column('entity_id', sa.Integer), sa.column('new_values', sa.JSON))
    orders = sa.table('sales_order', sa.column('id', sa.Integer), sa.column('deal_id', sa.Integer))
    deals = sa.table('deal', sa.column('id', sa.Integer))
    linked = op.get_bind().execute(
        sa.select(audit.c.entity_id, audit.c.new_values['deal_id'].as_integer())
        .where(audit.c.entity == 'order', audit.c.action == 'create',
               audit.c.new_values['deal_id'].as_integer().in_(sa.select(deals.c.id)))
    ).all()
    for order_id, deal_id in linked:
        op.get_bind().execute(orders.update().where(orders.c.id == order_id).values(deal_id=deal_id))


def downgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_constraint('fk_sales_order_deal_id_deal', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sales_order_deal_id'))
        batch_op.drop_column('deal_id')
