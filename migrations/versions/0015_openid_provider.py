"""Klinikadgang's own OpenID Provider: its clients and signing keys (issue 19)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:20:00

The sister systems (KirPACS, KirCACS, Kiroviden.dk) log in through Klinikadgang. Their
registrations and the provider's signing keys live in the database, so that every instance
behind one address signs with the same key and knows the same clients.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _string(name: str, length: int, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'oidc_client',
        sa.Column('id', sa.Integer(), nullable=False),
        _string('client_id', 64, False),
        _string('name', 200, False),
        _string('auth_method', 30, False),
        _string('secret_hash', 64),
        _string('jwks_uri', 500),
        sa.Column('redirect_uris', sa.Text(), nullable=False),
        sa.Column('post_logout_redirect_uris', sa.Text(), nullable=False),
        _string('backchannel_logout_uri', 500),
        _string('scopes', 500, False),
        _string('required_acr', 100),
        _string('login_url', 500),
        sa.Column('access_token_seconds', sa.Integer(), nullable=False),
        sa.Column('refresh_token_seconds', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('disabled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('client_id'),
    )
    op.create_table(
        'op_signing_key',
        sa.Column('id', sa.Integer(), nullable=False),
        _string('kid', 64, False),
        _string('alg', 10, False),
        sa.Column('private_jwk', sa.Text(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('retired_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kid'),
    )


def downgrade() -> None:
    op.drop_table('op_signing_key')
    op.drop_table('oidc_client')
