"""Which consent text versions cover a sister system: data on its registration (issue 19)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 07:00:00

The profile-sharing consent names the systems it covers ("på tværs af Kiroviden.dk, KirCACS.dk
eller KirPACS.dk"). Each registered client now lists the versions of that text that name it, so
a system added later gets no profile until a new version names it and the person consents.
Existing clients are named by the current version, 2024-1.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('oidc_client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_versions',
                                      sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=False, server_default='2024-1'))
    with op.batch_alter_table('oidc_client', schema=None) as batch_op:
        batch_op.alter_column('consent_versions', server_default=None)  # the app sets it


def downgrade() -> None:
    with op.batch_alter_table('oidc_client', schema=None) as batch_op:
        batch_op.drop_column('consent_versions')
