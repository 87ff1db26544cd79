"""Plain DB-API connections to the configured database, for read models and fast readers.

The event store itself goes through the ``eventsourcing`` library; read models, the
projectors and bulk readers use these connections, with the small differences between
SQLite and PostgreSQL (placeholders, column types, value conversions) kept here.
"""

import fcntl
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresFactory
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from infra.settings import Settings
from infra.sql.failures import translating

SCHEMA_LOCK = 4242001  # advisory lock key: one creator of tables at a time, across processes
SQL_TYPES = {
    "sqlite": {"text": "TEXT", "int": "INTEGER", "bigint": "INTEGER", "numeric": "NUMERIC",
               "real": "REAL", "bool": "INTEGER", "date": "TEXT", "timestamp": "TEXT",
               "json": "TEXT"},
    "postgresql": {"text": "TEXT", "int": "INTEGER", "bigint": "BIGINT", "numeric": "NUMERIC",
                   "real": "DOUBLE PRECISION", "bool": "BOOLEAN", "date": "DATE",
                   "timestamp": "TIMESTAMPTZ", "json": "JSONB"},
}


class Database:
    """Connections and dialect of one database (``SFA_DATABASE_URL``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.backend = settings.backend
        self.placeholder = "?" if self.backend == "sqlite" else "%s"
        self.events_table = "stored_events" if self.backend == "sqlite" else "sfa_events"
        self.position_column = "rowid" if self.backend == "sqlite" else "notification_id"
        self._local = threading.local()
        self._pool: ConnectionPool | None = None
        self._pool_lock = threading.Lock()

    @contextmanager
    def reader(self) -> Iterator[Any]:
        """A connection for a short read (or a small write) from any thread: pooled on
        PostgreSQL, one per thread on SQLite. A bounded wait that runs out in it (or for it),
        or a table not made yet, leaves it as ours (``infra.sql.failures``): this is where
        the queries and the API's stores meet the driver."""
        with translating(), self._connection() as conn:
            yield conn

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self.backend == "sqlite":
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = self.connect()
            yield conn
            return
        if self._pool is None:
            with self._pool_lock:
                if self._pool is None:
                    url = self.settings.database_url.replace("postgres://", "postgresql://", 1)
                    self._pool = ConnectionPool(
                        url, min_size=1, max_size=self.settings.pool_size,
                        kwargs={"autocommit": True, **self.postgres_kwargs()},
                        timeout=self.settings.db_pool_timeout, open=True)
        with self._pool.connection() as conn:
            yield conn

    def postgres_kwargs(self) -> dict[str, Any]:
        """Bounded waits for every PostgreSQL connection: to connect, per statement, per lock."""
        return {"connect_timeout": max(2, round(self.settings.db_pool_timeout)),
                "options": self.settings.postgres_options}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    def connect(self) -> Any:
        if self.backend == "sqlite":
            path = self.settings.database_url.removeprefix("sqlite:///")
            conn = sqlite3.connect(path, timeout=self.settings.db_lock_timeout,
                                   isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn
        url = self.settings.database_url.replace("postgres://", "postgresql://", 1)
        return psycopg.connect(url, autocommit=True, **self.postgres_kwargs())

    @contextmanager
    def transaction(self, conn: Any) -> Iterator[Any]:
        """One transaction; yields a cursor. SQLite takes the write lock at the start."""
        if self.backend == "sqlite":
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn.cursor()
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        else:
            with conn.transaction(), conn.cursor() as cursor:
                yield cursor

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """A lock across processes, held while the block runs: yields whether this process
        got it (another holder: False, at once). A process that dies releases it (a
        PostgreSQL advisory lock on a connection of its own; on SQLite a file lock)."""
        if self.backend == "sqlite":
            with _file_lock(self.settings.database_url.removeprefix("sqlite:///"), name) as got:
                yield got
            return
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        with self.connect() as conn:
            got = bool(conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0])
            yield got  # closing the connection releases the lock

    def sql(self, statement: str) -> str:
        """Statements are written with ``?``; PostgreSQL gets ``%s``."""
        return statement if self.backend == "sqlite" else statement.replace("?", "%s")

    def column_type(self, kind: str) -> str:
        return SQL_TYPES[self.backend][kind]

    def needs_conversion(self, kind: str) -> bool:
        return kind == "json" or (self.backend == "sqlite" and kind in (
            "numeric", "date", "timestamp", "bool"))

    def to_db(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == "json":
            return json.dumps(value, default=str) if self.backend == "sqlite" else Jsonb(value)
        if self.backend == "sqlite":
            if kind == "numeric":
                return str(value)
            if kind in ("date", "timestamp"):
                return value.isoformat()
            if kind == "bool":
                return int(value)
        return value

    def from_db(self, kind: str, value: Any) -> Any:
        if value is None or self.backend != "sqlite":
            return value
        if kind == "numeric":
            return Decimal(str(value))
        if kind == "date":
            return date.fromisoformat(value)
        if kind == "timestamp":
            return datetime.fromisoformat(value)
        if kind == "bool":
            return bool(value)
        if kind == "json":
            return json.loads(value)
        return value

    def create_table_once(self, conn: Any, name: str, create_statement: str) -> None:
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

    def table_exists(self, conn: Any, name: str) -> bool:
        if self.backend == "sqlite":
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        else:
            found = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()[0]
        return bool(found)


@contextmanager
def _file_lock(database_path: str, name: str) -> Iterator[bool]:
    if database_path == ":memory:":
        yield True  # one process only
        return
    with open(f"{database_path}.{name}.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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


def rows_as_dicts(cursor: Any, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in rows]


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


_CREATED: set[tuple[str, str]] = set()
_CREATING = threading.Lock()


def create_once(db: "Database", conn: Any, name: str,
                statements: Callable[["Database"], list[str]]) -> None:
    """Runs the ``CREATE ... IF NOT EXISTS`` statements of the tables named ``name`` once per
    database and process. PostgreSQL's ``CREATE TABLE IF NOT EXISTS`` is not safe against a
    concurrent one (it can fail on the type name), so creators take an advisory lock;
    SQLite's write lock serialises them anyway."""
    marker = (db.settings.database_url, name)
    if marker in _CREATED:
        return
    with _CREATING:
        if marker in _CREATED:
            return
        with db.transaction(conn) as cursor:
            if db.backend != "sqlite":
                cursor.execute(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
            for statement in statements(db):
                cursor.execute(statement)
        _CREATED.add(marker)
