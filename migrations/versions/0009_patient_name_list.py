"""Patient search: the clinic's distinct first and last names, kept by triggers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 14:00:00

The name search reads, from this short list, which last names (and which first names with them)
can match the typed words, and then takes only those ranges of the ordered name index, in order,
until the page is full. On PostgreSQL two statement-level triggers add the names of inserted and
updated patient records in the writing transaction, and the list is filled from the existing
records. On SQLite the table stays empty: its search filters and sorts the records directly.
The search no longer reads the trigram indexes of 0003 and 0008, so they are dropped.
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Names are added in one order, so two bulk writes that add the same new names cannot deadlock.
ADD_NAMES = """
CREATE FUNCTION patient_name_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO patient_name (clinic_id, kind, name)
    SELECT clinic_id, kind, name FROM (
        SELECT clinic_id, 'first' AS kind, lower(first_name) AS name FROM new_rows
        UNION
        SELECT clinic_id, 'last', lower(last_name) FROM new_rows) AS names
    ORDER BY clinic_id, kind, name
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""
TRIGRAM_INDEXES = {
    "ix_patient_record_search_trgm": "search_name gin_trgm_ops",
    "ix_patient_record_first_trgm": "lower(first_name) gin_trgm_ops",
    "ix_patient_record_last_inner_trgm": "substr(lower(last_name), 2) gin_trgm_ops",
}


def upgrade() -> None:
    op.create_table(
        'patient_name',
        sa.Column('clinic_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=5), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id']),
        sa.PrimaryKeyConstraint('clinic_id', 'kind', 'name'),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ADD_NAMES)
    for event in ("INSERT", "UPDATE"):  # a trigger with transition tables has one event
        op.execute(f"CREATE TRIGGER patient_name_on_{event.lower()} AFTER {event} "
                   "ON patient_record REFERENCING NEW TABLE AS new_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION patient_name_add()")
    op.execute("INSERT INTO patient_name (clinic_id, kind, name) "
               "SELECT DISTINCT clinic_id, 'first', lower(first_name) FROM patient_record "
               "UNION SELECT DISTINCT clinic_id, 'last', lower(last_name) FROM patient_record")
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, expression in TRIGRAM_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON patient_record USING gin ({expression})")
        op.execute("DROP TRIGGER IF EXISTS patient_name_on_update ON patient_record")
        op.execute("DROP TRIGGER IF EXISTS patient_name_on_insert ON patient_record")
        op.execute("DROP FUNCTION IF EXISTS patient_name_add()")
    op.drop_table('patient_name')
