"""PostgreSQL: pooled connections, arrays, COPY, LISTEN/NOTIFY and advisory locks."""

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from infra.settings import Settings
from infra.sql.dialects.base import SCHEMA_LOCK, Dialect
from infra.sql.types import Connection, Cursor


class NotifyWaiter:
    """Sleeps until a NOTIFY on ``channel`` (the append functions send one per write)."""

    def __init__(self, conn: psycopg.Connection[Any], channel: str) -> None:
        self.conn = conn
        conn.execute(f"LISTEN {channel}")

    def wait(self, timeout: float) -> None:
        for _ in self.conn.notifies(timeout=timeout, stop_after=1):
            break

    def close(self) -> None:
        self.conn.close()


class PostgresDialect(Dialect):
    name = "postgresql"
    placeholder = "%s"
    events_table = "sfa_events"
    position_column = "notification_id"
    types = {"text": "TEXT", "int": "INTEGER", "bigint": "BIGINT", "numeric": "NUMERIC",
             "real": "DOUBLE PRECISION", "bool": "BOOLEAN", "date": "DATE",
             "timestamp": "TIMESTAMPTZ", "json": "JSONB", "blob": "BYTEA"}
    arrays = True
    copy_threshold = 20  # rows per table and batch from which COPY beats executemany
    for_update = " FOR UPDATE"
    clock = "extract(epoch from clock_timestamp())::double precision"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.url = settings.database_url.replace("postgres://", "postgresql://", 1)
        self._pool: ConnectionPool | None = None
        self._pool_lock = threading.Lock()

    def connect_kwargs(self) -> dict[str, Any]:
        """Bounded waits for every connection: to connect, per statement, per lock."""
        return {"connect_timeout": max(2, round(self.settings.db_pool_timeout)),
                "options": self.settings.postgres_options}

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True, **self.connect_kwargs())

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """A pooled connection (the pool opens on first use)."""
        if self._pool is None:
            with self._pool_lock:
                if self._pool is None:
                    self._pool = ConnectionPool(
                        self.url, min_size=1, max_size=self.settings.pool_size,
                        kwargs={"autocommit": True, **self.connect_kwargs()},
                        timeout=self.settings.db_pool_timeout, open=True)
        with self._pool.connection() as conn:
            yield conn

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    @contextmanager
    def transaction(self, conn: Connection) -> Iterator[Cursor]:
        pg = cast(psycopg.Connection[Any], conn)
        with pg.transaction(), pg.cursor() as cursor:
            yield cursor

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """An advisory lock on a connection of its own: closing it releases the lock."""
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        with self.connect() as conn:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            yield bool(row and row[0])

    def lock_schema(self, cursor: Cursor) -> None:
        """``CREATE ... IF NOT EXISTS`` is not safe against a concurrent one (it can fail on
        the type's name): creators take this lock until their transaction ends."""
        cursor.execute(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")

    def end_idle_transactions(self, conn: Connection, seconds: float) -> None:
        conn.execute(f"SET idle_in_transaction_session_timeout = {int(seconds * 1000)}")

    def allow_long_statements(self, cursor: Cursor) -> None:
        cursor.execute("SET LOCAL statement_timeout = 0")

    def table_exists(self, conn: Connection, name: str) -> bool:
        return bool(conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()[0])

    def columns_of(self, conn: Connection, table: str) -> set[str]:
        rows = conn.execute("SELECT column_name FROM information_schema.columns WHERE "
                            "table_name = %s AND table_schema = current_schema()",
                            (table,)).fetchall()
        return {row[0] for row in rows}

    def add_column(self, table: str, column: str, kind: str) -> str:
        return f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}"

    def waiter(self, channel: str = "sfa_events") -> NotifyWaiter:
        return NotifyWaiter(self.connect(), channel)

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    def exact_sum(self, column: str) -> str:
        return f"SUM({column})"  # numeric: exact

    def one_of(self, column: str, values: Sequence[Any],
               array_type: str = "") -> tuple[str, list[Any]]:
        cast_to = f"::{array_type}[]" if array_type else ""
        return f"{column} = ANY(?{cast_to})", [list(values)]

    def stream_key(self, stream_id: str) -> str:
        return stream_id

    def stream_text(self, column: str) -> str:
        return f"{column}::text"

    def stream_hex(self, column: str) -> str:
        return f"replace({column}::text, '-', '')"

    def words_match(self, column: str, words: Sequence[str]) -> tuple[str, list[Any]]:
        """Full-text search with prefix matching on the words' vector (``search_columns``),
        GIN-indexed (``search_index``): the ``simple`` configuration, words as written, no
        stemming, no stop words. A row the planner reads in sort order (a common word) is
        checked against the stored vector, not parsed again."""
        query = " & ".join(f"{word}:*" for word in words)
        return f"{column}_vector @@ to_tsquery('simple', ?)", [query]

    def search_index(self, table: str, index: str, column: str) -> str | None:
        return f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gin ({column}_vector)"

    def search_columns(self, column: str) -> str:
        return (f", {column}_vector tsvector GENERATED ALWAYS AS "
                f"(to_tsvector('simple', coalesce({column}, ''))) STORED")

    def text(self, expression: str) -> str:
        return f"{expression}::text"

    def utf8_bytes(self, expression: str) -> str:
        return f"convert_to({expression}, 'UTF8')"

    def needs_conversion(self, kind: str) -> bool:
        return kind == "json"

    def to_db(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        return Jsonb(value) if kind == "json" else value

    def from_db(self, kind: str, value: Any) -> Any:
        return value  # the driver gives Python's types

    def fetch_all(self, conn: Connection | Cursor, statement: str,
                  params: Any) -> list[Any]:
        """Rows sent in binary (bytea as raw bytes, not hex text to decode): about half the
        time to fetch stored events."""
        pg = cast(psycopg.Connection[Any] | psycopg.Cursor[Any], conn)
        return list(pg.execute(statement, params, binary=True).fetchall())

    def insert_many(self, cursor: Cursor, table: str, columns: Sequence[tuple[str, str]],
                    rows: Sequence[Sequence[Any]]) -> None:
        """One statement for all rows: each column an array, unnested."""
        if not rows:
            return
        names = ", ".join(name for name, _ in columns)
        arrays = ", ".join(f"%s::{self.types[kind]}[]" for _, kind in columns)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})",
                       [list(column) for column in zip(*rows, strict=True)])

    def delete_keys(self, cursor: Cursor, table: str, key: Sequence[tuple[str, str]],
                    keys: Sequence[Sequence[Any]]) -> None:
        """One statement for many keys: the table joined with the unnested keys."""
        if not keys:
            return
        arrays = [[k[i] for k in keys] for i in range(len(key))]
        casts = ", ".join(f"%s::{self.types[kind]}[]" for _, kind in key)
        names = ", ".join(name for name, _ in key)
        match = " AND ".join(f"t.{name} = d.{name}" for name, _ in key)
        cursor.execute(f"DELETE FROM {table} t USING unnest({casts}) AS d({names}) "
                       f"WHERE {match}", arrays)

    def copy_rows(self, cursor: Cursor, table: str, columns: Sequence[str],
                  values: Sequence[Sequence[Any]]) -> None:
        pg = cast(psycopg.Cursor[Any], cursor)
        with pg.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for value in values:
                copy.write_row(value)

    def eventsourcing_env(self) -> dict[str, str]:
        s = self.settings
        parts = urlsplit(s.database_url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return {
            "PERSISTENCE_MODULE": "infra.sql.database:BoundedPostgresFactory",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": query.get("host") or parts.hostname or "localhost",
            "POSTGRES_PORT": str(parts.port or query.get("port") or 5432),
            "POSTGRES_USER": unquote(parts.username or query.get("user") or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or query.get("password") or ""),
            "POSTGRES_POOL_SIZE": str(s.pool_size),
            "POSTGRES_MAX_OVERFLOW": "10",
            "POSTGRES_LOCK_TIMEOUT": str(s.db_lock_timeout),
            # the library's pool waits this long for a connection (and to connect)
            "POSTGRES_CONNECT_TIMEOUT": str(max(1, round(s.db_pool_timeout))),
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "infra.eventstore.recorders:PostgresSalesRecorder",
            "TRACKING_RECORDER_TOPIC":
                "infra.eventstore.recorders:PostgresSalesTrackingRecorder",
            "POSTGRES_OPTIONS": s.postgres_options,
        }
