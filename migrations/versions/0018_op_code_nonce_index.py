"""An index for the provider's nonce replay check (issue 19, found by make bench)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 12:30:00

Every authorization request asks whether its nonce was used before by the client
(ProviderOpenIDCode.exists_nonce); without an index that is a scan of every code ever issued,
slower with each login of the morning.
"""

from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_op_authorization_code_client_nonce', 'op_authorization_code',
                    ['client_id', 'nonce'])


def downgrade() -> None:
    op.drop_index('ix_op_authorization_code_client_nonce', table_name='op_authorization_code')
