"""The read side's ``projections.base.Reader``: a read model's queries, run on a connection."""

from collections.abc import Sequence
from typing import Any

from infra.sql.database import Database, rows_as_dicts
from projections.base import Row


class SqlReader:
    """Placeholders and stored values are the database's business; the statements and what
    is made of their rows are the read model's."""

    def __init__(self, db: Database, conn: Any) -> None:
        self.db, self.conn = db, conn

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self.conn.execute(self.db.sql(statement), list(params))
        return rows_as_dicts(cursor, cursor.fetchall())

    def value(self, kind: str, stored: Any) -> Any:
        return self.db.from_db(kind, stored)

    def stored(self, kind: str, value: Any) -> Any:
        return self.db.to_db(kind, value)
