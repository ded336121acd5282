"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 01:57:05.242596
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'executive', 'sales_rep')", name='role_allowed'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_email'), ['email'], unique=True)
        batch_op.create_index(batch_op.f('ix_app_user_role'), ['role'], unique=False)

    op.create_table('campaign',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('cost', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.CheckConstraint('cost >= 0', name='cost_not_negative'),
    sa.CheckConstraint('end_date >= start_date', name='ends_after_start'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_start_date'), ['start_date'], unique=False)

    op.create_table('kpi_target',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('target_value', sa.Float(), nullable=False),
    sa.CheckConstraint('period_end >= period_start', name='period_ordered'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kpi', 'period_start', 'period_end', name='uq_kpi_target_period')
    )
    with op.batch_alter_table('kpi_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_target_kpi'), ['kpi'], unique=False)

    op.create_table('product',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('list_price', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.CheckConstraint('list_price >= 0', name='list_price_not_negative'),
    sa.CheckConstraint('unit_cost >= 0', name='unit_cost_not_negative'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sku')
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_category'), ['category'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('old_values', sa.JSON(), nullable=True),
    sa.Column('new_values', sa.JSON(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('auth_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_session_user_id'), ['user_id'], unique=False)

    op.create_table('customer',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_ref', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('company', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('acquisition_channel', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('consent_email', sa.Boolean(), nullable=False),
    sa.Column('consent_phone', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('external_ref')
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_company'), ['company'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_segment'), ['segment'], unique=False)

    op.create_table('campaign_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('responded', sa.Boolean(), nullable=False),
    sa.Column('responded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('attributed_revenue', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.CheckConstraint('attributed_revenue >= 0', name='attributed_revenue_not_negative'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'customer_id', name='uq_campaign_target')
    )
    with op.batch_alter_table('campaign_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_target_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_target_customer_id'), ['customer_id'], unique=False)

    op.create_table('deal',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.Column('probability', sa.Numeric(precision=5, scale=4, asdecimal=False), nullable=False),
    sa.Column('expected_close_date', sa.Date(), nullable=True),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('lost_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.CheckConstraint("stage <> 'Lost' OR lost_reason IS NOT NULL", name='lost_deal_has_reason'),
    sa.CheckConstraint("stage IN ('Lead', 'Qualified', 'Proposal', 'Negotiation', 'Won', 'Lost')", name='stage_allowed'),
    sa.CheckConstraint('amount >= 0', name='amount_not_negative'),
    sa.CheckConstraint('probability >= 0 AND probability <= 1', name='probability_fraction'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_expected_close_date'), ['expected_close_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_stage'), ['stage'], unique=False)
        batch_op.create_index('ix_deal_stage_owner', ['stage', 'owner_id'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('csat', sa.Integer(), nullable=True),
    sa.Column('nps', sa.Integer(), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('client_submission_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('respondent_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('respondent_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('consent_contact', sa.Boolean(), nullable=False),
    sa.Column('sentiment', sa.Float(), nullable=True),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("channel IN ('web', 'email', 'api', 'phone')", name='channel_allowed'),
    sa.CheckConstraint("status IN ('new', 'in_progress', 'resolved')", name='status_allowed'),
    sa.CheckConstraint('csat IS NOT NULL OR nps IS NOT NULL', name='has_a_score'),
    sa.CheckConstraint('csat IS NULL OR (csat >= 1 AND csat <= 5)', name='csat_range'),
    sa.CheckConstraint('nps IS NULL OR (nps >= 0 AND nps <= 10)', name='nps_range'),
    sa.CheckConstraint('sentiment IS NULL OR (sentiment >= -1 AND sentiment <= 1)', name='sentiment_range'),
    sa.ForeignKeyConstraint(['assignee_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_submission_id')
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_submitted_at'), ['submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_topic'), ['topic'], unique=False)

    op.create_table('sales_order',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_ref', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('ordered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('total_amount', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.CheckConstraint("channel IN ('online', 'store', 'phone', 'partner')", name='channel_allowed'),
    sa.CheckConstraint("status IN ('pending', 'paid', 'shipped', 'cancelled', 'refunded')", name='status_allowed'),
    sa.CheckConstraint('total_amount >= 0', name='total_amount_not_negative'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('external_ref')
    )
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_ordered_at'), ['ordered_at'], unique=False)
        batch_op.create_index('ix_sales_order_ordered_at_status', ['ordered_at', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_status'), ['status'], unique=False)

    op.create_table('activity',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('done_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('call', 'email', 'meeting', 'task')", name='kind_allowed'),
    sa.CheckConstraint('customer_id IS NOT NULL OR deal_id IS NOT NULL', name='linked_to_customer_or_deal'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_done'), ['done'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_owner_id'), ['owner_id'], unique=False)

    op.create_table('order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.Column('discount', sa.Numeric(precision=5, scale=4, asdecimal=False), nullable=False),
    sa.CheckConstraint('discount >= 0 AND discount <= 1', name='discount_fraction'),
    sa.CheckConstraint('quantity > 0', name='quantity_positive'),
    sa.CheckConstraint('unit_price >= 0', name='unit_price_not_negative'),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_line_product_id'), ['product_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_line_product_id'))
        batch_op.drop_index(batch_op.f('ix_order_line_order_id'))

    op.drop_table('order_line')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_owner_id'))
        batch_op.drop_index(batch_op.f('ix_activity_due_at'))
        batch_op.drop_index(batch_op.f('ix_activity_done'))
        batch_op.drop_index(batch_op.f('ix_activity_deal_id'))
        batch_op.drop_index(batch_op.f('ix_activity_customer_id'))

    op.drop_table('activity')
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_status'))
        batch_op.drop_index('ix_sales_order_ordered_at_status')
        batch_op.drop_index(batch_op.f('ix_sales_order_ordered_at'))
        batch_op.drop_index(batch_op.f('ix_sales_order_customer_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_channel'))

    op.drop_table('sales_order')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_topic'))
        batch_op.drop_index(batch_op.f('ix_feedback_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_feedback_status'))
        batch_op.drop_index(batch_op.f('ix_feedback_customer_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_assignee_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_stage_owner')
        batch_op.drop_index(batch_op.f('ix_deal_stage'))
        batch_op.drop_index(batch_op.f('ix_deal_owner_id'))
        batch_op.drop_index(batch_op.f('ix_deal_expected_close_date'))
        batch_op.drop_index(batch_op.f('ix_deal_customer_id'))
        batch_op.drop_index(batch_op.f('ix_deal_closed_at'))

    op.drop_table('deal')
    with op.batch_alter_table('campaign_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_target_customer_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_target_campaign_id'))

    op.drop_table('campaign_target')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_segment'))
        batch_op.drop_index(batch_op.f('ix_customer_region'))
        batch_op.drop_index(batch_op.f('ix_customer_phone'))
        batch_op.drop_index(batch_op.f('ix_customer_owner_id'))
        batch_op.drop_index(batch_op.f('ix_customer_name'))
        batch_op.drop_index(batch_op.f('ix_customer_email'))
        batch_op.drop_index(batch_op.f('ix_customer_company'))

    op.drop_table('customer')
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_session_user_id'))

    op.drop_table('auth_session')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))

    op.drop_table('audit_log')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_category'))

    op.drop_table('product')
    with op.batch_alter_table('kpi_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_target_kpi'))

    op.drop_table('kpi_target')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_start_date'))

    op.drop_table('campaign')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_role'))
        batch_op.drop_index(batch_op.f('ix_app_user_email'))

    op.drop_table('app_user')
