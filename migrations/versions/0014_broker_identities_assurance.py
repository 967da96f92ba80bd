"""MitID Erhverv identities of their own, assurance on the session, broker sessions (issue 18)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:20:00

- A staff account may now have several MitID identities linked: its private MitID and one
  MitID Erhverv identity per organisation (each has its own broker `sub`). The one-link-per-
  account unique constraint gives way to one per account and organisation. The Erhverv
  identity's CVR, organisation name and persistent professional id are kept with the link,
  and when the link was last used.
- A login session (staff and portal) keeps how the person logged in: the identity provider
  (mitid / mitid_erhverv), the level of assurance reached (low / substantial / high), and the
  broker's `sub` and `sid`, so that the broker's back-channel logout token can find it. The
  staff session also names the link it came through. A staff onboarding in progress keeps the
  same of its MitID login until the wizard ends with a login session.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# Names the unnamed constraints of 0001 on SQLite, so the batch rebuild can drop one of them.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _string(name: str, length: int) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=True)


def _session_columns() -> list[sa.Column]:
    return [_string('idp', 40), _string('loa', 20), _string('broker_sub', 200),
            _string('broker_sid', 200)]


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint('mitid_link_staff_user_id_key', 'mitid_link', type_='unique')
        with op.batch_alter_table('mitid_link') as batch_op:
            _add_link_columns(batch_op)
    else:
        with op.batch_alter_table('mitid_link', naming_convention=NAMING) as batch_op:
            batch_op.drop_constraint('uq_mitid_link_staff_user_id', type_='unique')
            _add_link_columns(batch_op)
    with op.batch_alter_table('mitid_link') as batch_op:
        batch_op.create_index('ix_mitid_link_staff_user_id', ['staff_user_id'], unique=False)
    # Still one private MitID per account, and one MitID Erhverv identity per organisation.
    op.create_index('uq_mitid_link_account_organisation', 'mitid_link',
                    ['staff_user_id', sa.text("coalesce(cvr, '')")], unique=True)

    for table in ('login_session', 'portal_session'):
        with op.batch_alter_table(table) as batch_op:
            for column in _session_columns():
                batch_op.add_column(column)
            batch_op.create_index(f'ix_{table}_broker_sub', ['broker_sub'], unique=False)
            batch_op.create_index(f'ix_{table}_broker_sid', ['broker_sid'], unique=False)
    # A foreign key column without a table rebuild (SQLite adds it with ALTER TABLE as is).
    op.execute('ALTER TABLE login_session ADD COLUMN mitid_link_id INTEGER '
               'REFERENCES mitid_link (id)')
    with op.batch_alter_table('onboarding') as batch_op:
        for column in (_string('cvr', 8), _string('org_name', 200),
                       _string('professional_id', 64), _string('loa', 20),
                       _string('broker_sid', 200)):
            batch_op.add_column(column)


def _add_link_columns(batch_op) -> None:
    batch_op.add_column(_string('cvr', 8))
    batch_op.add_column(_string('org_name', 200))
    batch_op.add_column(_string('professional_id', 64))
    batch_op.add_column(sa.Column('last_used_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                  nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('onboarding') as batch_op:
        for name in ('broker_sid', 'loa', 'professional_id', 'org_name', 'cvr'):
            batch_op.drop_column(name)
    for table in ('portal_session', 'login_session'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f'ix_{table}_broker_sid')
            batch_op.drop_index(f'ix_{table}_broker_sub')
            for name in ('broker_sid', 'broker_sub', 'loa', 'idp'):
                batch_op.drop_column(name)
            if table == 'login_session':
                batch_op.drop_column('mitid_link_id')
    op.drop_index('uq_mitid_link_account_organisation', 'mitid_link')
    with op.batch_alter_table('mitid_link') as batch_op:
        batch_op.drop_index('ix_mitid_link_staff_user_id')
        for name in ('last_used_at', 'professional_id', 'org_name', 'cvr'):
            batch_op.drop_column(name)
        name = 'mitid_link_staff_user_id_key' if op.get_bind().dialect.name == 'postgresql' \
            else 'uq_mitid_link_staff_user_id'  # the names upgrade() finds
        batch_op.create_unique_constraint(name, ['staff_user_id'])
