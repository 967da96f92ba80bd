"""Klinikadgang's own OpenID Provider: its clients and signing keys (issue 19)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:20:00

The sister systems (KirPACS, KirCACS, Kiroviden.dk) log in through Klinikadgang. Their
registrations, the provider's signing keys, its authorization codes and its tokens (hashes
only) and its queue of back-channel logout deliveries live in the database, so that every instance
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


    op.create_table(
        'op_authorization_code',
        sa.Column('id', sa.Integer(), nullable=False),
        _string('code_hash', 64, False),
        _string('client_id', 64, False),
        sa.Column('login_session_id', sa.Integer(), nullable=False),
        _string('redirect_uri', 500, False),
        _string('scope', 500, False),
        _string('nonce', 255),
        _string('code_challenge', 128),
        _string('code_challenge_method', 10),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['login_session_id'], ['login_session.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code_hash'),
    )
    op.create_index('ix_op_authorization_code_login_session_id', 'op_authorization_code',
                    ['login_session_id'])
    op.create_table(
        'op_token',
        sa.Column('id', sa.Integer(), nullable=False),
        _string('client_id', 64, False),
        sa.Column('login_session_id', sa.Integer(), nullable=False),
        _string('scope', 500, False),
        _string('access_token_hash', 64, False),
        _string('refresh_token_hash', 64),
        sa.Column('code_id', sa.Integer(), nullable=True),
        _string('family', 32, False),
        sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('access_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('refresh_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('rotated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['login_session_id'], ['login_session.id']),
        sa.ForeignKeyConstraint(['code_id'], ['op_authorization_code.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('access_token_hash'),
        sa.UniqueConstraint('refresh_token_hash'),
    )
    for column in ('client_id', 'login_session_id', 'family'):
        op.create_index(f'ix_op_token_{column}', 'op_token', [column])
    op.create_table(
        'op_logout_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        _string('client_id', 64, False),
        sa.Column('login_session_id', sa.Integer(), nullable=False),
        _string('sid', 64, False),
        _string('sub', 64, False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('given_up_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        _string('last_error', 200),
        sa.ForeignKeyConstraint(['login_session_id'], ['login_session.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    for column in ('client_id', 'login_session_id', 'next_attempt_at'):
        op.create_index(f'ix_op_logout_delivery_{column}', 'op_logout_delivery', [column])


def downgrade() -> None:
    op.drop_table('op_logout_delivery')
    op.drop_table('op_token')
    op.drop_table('op_authorization_code')
    op.drop_table('op_signing_key')
    op.drop_table('oidc_client')
