"""Plain DB-API connections to the configured database, for read models and fast readers.

The event store itself goes through the ``eventsourcing`` library; read models, the
projectors and bulk readers use these connections. The differences between SQLite and
PostgreSQL (placeholders, column types, value conversions, locks, bulk writes) are the
dialect's (``infra.sql.dialects``), chosen once per ``Database`` from the URL.
"""

import sqlite3
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import psycopg
from eventsourcing import persistence
from eventsourcing.postgres import PostgresFactory
from psycopg_pool import PoolTimeout

from infra.settings import Settings
from infra.sql.dialects import SCHEMA_LOCK, Dialect, dialect_for
from infra.sql.types import Connection, Cursor

__all__ = ["SCHEMA_LOCK", "Connection", "Cursor", "Database", "create_once", "is_stalled",
           "now_text", "rows_as_dicts"]


class Database:
    """Connections and dialect of one database (``SFA_DATABASE_URL``). What differs between
    SQLite and PostgreSQL is asked of ``dialect``; the methods used per statement or per
    value are the dialect's own, bound here once."""

    sql: Callable[[str], str]  # statements are written with ``?``; PostgreSQL gets ``%s``
    # a connection for a short read (or a small write) from any thread: pooled on
    # PostgreSQL, one per thread on SQLite
    reader: Callable[[], AbstractContextManager[Connection]]
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
        self.reader, self.transaction = dialect.reader, dialect.transaction
        self.sql, self.column_type = dialect.sql, dialect.column_type
        self.needs_conversion, self.to_db, self.from_db = (
            dialect.needs_conversion, dialect.to_db, dialect.from_db)

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


def is_stalled(error: BaseException) -> bool:
    """Whether ``error`` is a bounded wait on the database that ran out (a statement or lock
    timeout, no pooled connection in time, a locked SQLite file, a server that does not
    answer), as opposed to a mistake in a statement: a retry later may succeed."""
    if isinstance(error, PoolTimeout | psycopg.errors.QueryCanceled
                  | psycopg.errors.LockNotAvailable):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error) or "busy" in str(error)
    if isinstance(error, psycopg.OperationalError):
        return True  # cannot connect, connection lost, timeouts
    if isinstance(error, persistence.ConnectionUnavailableError):
        return True
    cause = error.__cause__ or error.__context__  # the library re-raises driver errors
    return (isinstance(error, persistence.PersistenceError) and cause is not None
            and is_stalled(cause))


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
