"""One-time JWT ids: a broker's logout tokens and client assertions are accepted once (issues 18, 19)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 06:30:00

A back-channel logout token from a MitID broker must not be accepted twice
(https://openid.net/specs/openid-connect-backchannel-1_0.html#Validation, item 8), nor a
private_key_jwt client assertion (RFC 7523 section 3, item 7). The jti is kept per issuer until
the JWT expires, in the database, so every instance behind one address refuses the replay.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'used_token_id',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('jti', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('issuer', 'jti', name='uq_used_token_id_issuer_jti'),
    )
    op.create_index('ix_used_token_id_expires_at', 'used_token_id', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_used_token_id_expires_at', table_name='used_token_id')
    op.drop_table('used_token_id')
