"""Several writes in one round trip: data-modifying CTEs on PostgreSQL, one by one elsewhere."""

from sqlalchemy import delete, insert, literal, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import SQLModel


class Batch:
    """INSERT, UPDATE and DELETE statements of one transaction, sent as one where possible.

    On PostgreSQL run() sends them as data-modifying CTEs of one statement. Those all see the
    database as it was before the statement, so a statement may use another's effect only
    through an inserted row's `id`. SQLite has no DML in CTEs: there each statement runs when it
    is added. The caller commits. Afterwards the row objects read as stored, with no refresh.
    """

    def __init__(self, session: Session):
        self.session = session
        self.combined = session.get_bind().dialect.name == "postgresql"
        self._ctes = []
        self._returning = []  # (row, column names, CTE): read back by run()
        self._inserted: list[tuple[SQLModel, dict]] = []  # row, the values its INSERT returned
        self._updated: list[tuple[SQLModel, dict]] = []
        self._deleted: list[SQLModel] = []

    def insert(self, row: SQLModel, **computed):
        """INSERT a new row object; returns its id as an SQL expression for later statements.

        `computed` columns are SQL expressions, e.g. an id returned by an earlier insert().
        """
        table = row.__table__
        values = {c.key: getattr(row, c.key) for c in table.columns
                  if not c.primary_key and c.key not in computed}
        if computed:
            source = select(*(literal(value, table.c[key].type) for key, value in values.items()),
                            *computed.values())
            statement = insert(table).from_select([*values, *computed], source)
        else:
            statement = insert(table).values(values)
        names = ["id", *computed]  # the computed values are read back into the row object too
        statement = statement.returning(*(table.c[name] for name in names))
        if self.combined:
            cte = statement.cte(f"insert_{len(self._ctes)}")
            self._ctes.append(cte)
            self._returning.append((row, names, cte))
            return cte.c.id
        returned = self.session.execute(statement).one()
        self._inserted.append((row, dict(zip(names, returned, strict=True))))
        return literal(returned.id, table.c.id.type)

    def update(self, row: SQLModel, **values) -> None:
        """UPDATE columns of a loaded row (found by its id)."""
        table = row.__table__
        self.execute(update(table).where(table.c.id == row.id).values(**values))
        self._updated.append((row, values))

    def delete(self, row: SQLModel) -> None:
        """DELETE a loaded row (found by its id); it leaves the session."""
        table = row.__table__
        self.execute(delete(table).where(table.c.id == row.id))
        self._deleted.append(row)

    def execute(self, statement) -> None:
        """Add an UPDATE or DELETE statement (without RETURNING)."""
        if self.combined:
            self._ctes.append(statement.cte(f"write_{len(self._ctes)}"))
        else:
            self.session.execute(statement)

    def run(self) -> None:
        """Send what is still to be sent, then bring the row objects up to date."""
        if self._ctes:
            self._send_combined()
        for row, returned in self._inserted:
            for name, value in returned.items():
                setattr(row, name, value)
            make_transient_to_detached(row)  # as if loaded: it joins the session without an INSERT
            self.session.add(row)
        for row, values in self._updated:
            for key, value in values.items():
                set_committed_value(row, key, value)
        for row in self._deleted:
            self.session.expunge(row)
        self._inserted, self._updated, self._deleted = [], [], []

    def _send_combined(self) -> None:
        """One statement: every write as a CTE, selecting what the INSERTs return."""
        columns = [select(cte.c[name]).scalar_subquery()
                   for _row, names, cte in self._returning for name in names]
        outer = select(*columns) if columns else select(literal(1))
        values = iter(self.session.execute(outer.add_cte(*self._ctes)).one())
        for row, names, _cte in self._returning:
            self._inserted.append((row, {name: next(values) for name in names}))
        self._ctes, self._returning = [], []
