"""Login sessions keep the broker's ID token for RP-initiated logout (issue 18)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:45:00

Log ud now also ends the session at the MitID broker, at its end_session_endpoint with the
login's ID token as id_token_hint (https://openid.net/specs/openid-connect-rpinitiated-1_0.html).
The token is kept server-side, never in the cookie: on the staff login session, on the patient
portal's session, and on a staff onboarding in progress (its login session comes at the end of
the wizard). It is cleared once the logout at the broker has used it.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = ('login_session', 'portal_session', 'onboarding')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('id_token', sa.Text(), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('id_token')
