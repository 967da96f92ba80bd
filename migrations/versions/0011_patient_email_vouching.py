"""A clinic's vouching for a portal user's e-mail on the stamkort ("Patienten har ikke MitID")

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 21:20:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild): patient_record keeps its expression indexes and, on
    # PostgreSQL, the name-list triggers of 0009. SQLite takes a foreign key only inline.
    op.add_column('patient_record', sa.Column(
        'vouched_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))
    op.add_column('patient_record', sa.Column(
        'email_vouched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE patient_record ADD COLUMN email_vouched_by INTEGER "
                   "REFERENCES staff_user (id)")
    else:
        op.add_column('patient_record', sa.Column('email_vouched_by', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_patient_record_email_vouched_by', 'patient_record',
                              'staff_user', ['email_vouched_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('patient_record', schema=None) as batch_op:
        batch_op.drop_column('email_vouched_at')
        batch_op.drop_column('email_vouched_by')
        batch_op.drop_column('vouched_email')
