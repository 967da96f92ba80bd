"""Patient search with a long tail of names: trigram index on the name list, first-name index

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:00:00

A clinic of a million patients has tens of thousands of distinct last names. The search finds the
names that hold a typed word through a trigram index on patient_name instead of reading the
clinic's whole list, and reads the records whose first name holds every word through an index
on (clinic, lower-cased first name). PostgreSQL only: SQLite's search filters and sorts the
records directly.
"""

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_patient_name_trgm ON patient_name USING gin (name gin_trgm_ops)")
    op.execute("CREATE INDEX ix_patient_record_first_name ON patient_record "
               "(clinic_id, lower(first_name), id)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_patient_record_first_name")
    op.execute("DROP INDEX IF EXISTS ix_patient_name_trgm")
