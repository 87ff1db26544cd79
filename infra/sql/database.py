"""Plain DB-API connections to the configured database, for read models and fast readers.

The event store itself goes through the ``eventsourcing`` library; read models, the
projectors and bulk readers use these connections. The differences between SQLite and
PostgreSQL (placeholders, column types, value conversions, locks, bulk writes) are the
dialect's (``infra.sql.dialects``), chosen once per ``Database`` from the URL.
"""

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

from eventsourcing.postgres import PostgresFactory

from infra.settings import Settings
from infra.sql.dialects import SCHEMA_LOCK, Dialect, dialect_for
from infra.sql.failures import translating
from infra.sql.types import Closable, Connection, Cursor

__all__ = ["SCHEMA_LOCK", "Connection", "Cursor", "Database", "create_once", "now_text",
           "rows_as_dicts"]


class Database:
    """Connections and dialect of one database (``SFA_DATABASE_URL``). What differs between
    SQLite and PostgreSQL is asked of ``dialect``; the methods used per statement or per
    value are the dialect's own, bound here once."""

    sql: Callable[[str], str]  # statements are written with ``?``; PostgreSQL gets ``%s``
    # one transaction; yields a cursor (SQLite takes the write lock at the start)
    transaction: Callable[[Connection], AbstractContextManager[Cursor]]
    column_type: Callable[[str], str]
    needs_conversion: Callable[[str], bool]
    to_db: Callable[[str, Any], Any]
    from_db: Callable[[str, Any], Any]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dialect: Dialect = dialect_for(settings)
        self.backend = self.dialect.name  # for messages and reports
        self.placeholder = self.dialect.placeholder
        self.events_table = self.dialect.events_table
        self.position_column = self.dialect.position_column
        dialect = self.dialect
        self._reader, self.transaction = dialect.reader, dialect.transaction
        self.sql, self.column_type = dialect.sql, dialect.column_type
        self.needs_conversion, self.to_db, self.from_db = (
            dialect.needs_conversion, dialect.to_db, dialect.from_db)

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """A connection for a short read (or a small write) from any thread: pooled on
        PostgreSQL, one per thread on SQLite. A bounded wait that runs out in it (or for it),
        or a table not made yet, leaves it as ours (``infra.sql.failures``): this is where
        the queries and the API's stores meet the driver."""
        with translating(), self._reader() as conn:
            yield conn

    def close(self) -> None:
        self.dialect.close()

    def connect(self) -> Connection:
        return self.dialect.connect()

    def exclusive(self, name: str) -> AbstractContextManager[bool]:
        """A lock across processes, held while the block runs: yields whether this process
        got it (another holder: False, at once). A process that dies releases it (a
        PostgreSQL advisory lock on a connection of its own; on SQLite a file lock)."""
        return self.dialect.exclusive(name)

    def create_table_once(self, conn: Connection, name: str, create_statement: str) -> None:
        """Creates a table on first use. Two processes starting at once may race to create it
        (PostgreSQL's IF NOT EXISTS is not safe against that): the loser finds it made."""
        if self.table_exists(conn, name):
            return  # the usual case: no write transaction just to look
        try:
            with self.transaction(conn) as cursor:
                cursor.execute(create_statement)
        except Exception:
            if not self.table_exists(conn, name):
                raise

    def add_columns_once(self, conn: Connection, name: str, columns: Mapping[str, str]) -> None:
        """Adds the ``columns`` (name -> type) a table made by an older version lacks. Two
        processes starting at once may both find them missing: the check is made again under
        the write transaction (SQLite's write lock; PostgreSQL's ADD COLUMN IF NOT EXISTS)."""
        if set(columns) <= self.dialect.columns_of(conn, name):
            return  # the usual case: no write transaction just to look
        with self.transaction(conn) as cursor:
            present = self.dialect.columns_of(conn, name)
            for column, kind in columns.items():
                if column not in present:
                    cursor.execute(self.dialect.add_column(name, column, kind))

    def table_exists(self, conn: Connection, name: str) -> bool:
        return self.dialect.table_exists(conn, name)


class BoundedPostgresFactory(PostgresFactory):
    """The ``eventsourcing`` library's PostgreSQL persistence with the statement and lock
    timeouts of ``POSTGRES_OPTIONS`` on every pooled connection (its own settings bound the
    wait for a lock in its inserts and for a connection, not a statement)."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        options = self.env.get("POSTGRES_OPTIONS")
        if options:  # the pool has not connected yet: every connection gets them
            kwargs = self.datastore.pool.kwargs
            assert isinstance(kwargs, dict)
            kwargs["options"] = options


def close_quietly(resource: Closable | None) -> None:
    """Closes a connection (or a handle holding some) that may be broken already: closing
    one whose server went away can fail, and there is nothing more to do about it."""
    if resource is not None:
        try:
            resource.close()
        except Exception:  # noqa: BLE001, S110 — a broken connection may fail to close
            pass


def rows_as_dicts(cursor: Cursor, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in rows]


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


_CREATED: set[tuple[str, str]] = set()
_CREATING = threading.Lock()


def create_once(db: "Database", conn: Connection, name: str,
                statements: Callable[["Database"], list[str]]) -> None:
    """Runs the ``CREATE ... IF NOT EXISTS`` statements of the tables named ``name`` once per
    database and process. PostgreSQL's ``CREATE TABLE IF NOT EXISTS`` is not safe against a
    concurrent one (it can fail on the type name), so creators take the dialect's schema
    lock (SQLite's write lock serialises them anyway)."""
    marker = (db.settings.database_url, name)
    if marker in _CREATED:
        return
    with _CREATING:
        if marker in _CREATED:
            return
        with db.transaction(conn) as cursor:
            db.dialect.lock_schema(cursor)
            for statement in statements(db):
                cursor.execute(statement)
        _CREATED.add(marker)
