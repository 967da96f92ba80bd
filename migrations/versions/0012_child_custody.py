"""A child's user records who created it and how custody was established

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-04 10:00:00

"Opret bruger under 15 år" links a clinic's record only when the adult's custody of the child is
confirmed: by the CPR register (custody_method "cpr_register") or by a clinic that approved a
request marked custody_check ("clinic_approval"). The adult's MitID name and encrypted CPR are
kept on the child's user so the clinic's queue can show who asked. Children created before this
revision have no custody_method: a new clinic registration of theirs goes to the clinic's queue.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('guardian_cpr_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('custody_method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('custody_confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('registration_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('custody_check', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('registration_request', schema=None) as batch_op:
        batch_op.drop_column('custody_check')

    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.drop_column('custody_confirmed_at')
        batch_op.drop_column('custody_method')
        batch_op.drop_column('guardian_cpr_encrypted')
        batch_op.drop_column('guardian_name')
