"""sign-in audit outcomes of the second factor: password_ok (code asked next) and wrong_code

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 07:10:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_BEFORE = "outcome IN ('signed_in', 'refused', 'throttled')"
_AFTER = "outcome IN ('signed_in', 'refused', 'throttled', 'password_ok', 'wrong_code')"


def _allow(condition: str) -> None:
    with op.batch_alter_table('sign_in_attempt', schema=None) as batch_op:
        batch_op.drop_constraint('outcome_allowed', type_='check')
        batch_op.create_check_constraint('outcome_allowed', condition)


def upgrade() -> None:
    _allow(_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM sign_in_attempt WHERE outcome IN ('password_ok', 'wrong_code')")
    _allow(_BEFORE)
