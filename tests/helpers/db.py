"""Reading the database from a test: rows, audit events, the statements a request sends."""

from sqlmodel import select

from app.core.db import get_session
from app.models import AuditEvent


def query_one(app, statement):
    """Run a query in an app context and return all rows."""
    with app.app_context():
        db = get_session()
        rows = db.exec(statement).all()
        db.expunge_all()  # keep the loaded values readable after the context closes
        return rows


def audit_events(app, action: str) -> list[AuditEvent]:
    """The audit events of one action, oldest first."""
    with app.app_context():
        db = get_session()
        rows = db.exec(select(AuditEvent).where(AuditEvent.action == action)
                       .order_by(AuditEvent.id)).all()
        db.expunge_all()
        return rows


class StatementLog:
    """The SQL statements and commits an engine sends while the `with` block runs."""

    def __init__(self, app):
        self.engine = app.extensions["db_engine"]
        self.statements: list[str] = []
        self.commits = 0

    def _statement(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement.split(None, 1)[0].upper())

    def _commit(self, _conn):
        self.commits += 1

    def clear(self):
        self.statements.clear()
        self.commits = 0

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
