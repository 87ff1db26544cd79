"""SQLite: one file, one writer at a time, no arrays; values SQLite has no type for are text."""

import fcntl
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from infra.settings import Settings
from infra.sql.dialects.base import Dialect
from infra.sql.types import Connection, Cursor

CONVERTED = frozenset({"json", "numeric", "date", "timestamp", "bool"})



class ExactSum:
    """SUM for a numeric column as decimals: SQLite's own adds them as floats (0.1 + 0.2 is
    not 0.3 there); the total is given back as text, read as a Decimal."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: Any) -> None:
        if value is not None:
            self.total = (self.total or Decimal(0)) + Decimal(str(value))

    def finalize(self) -> str | None:
        return None if self.total is None else str(self.total)

class PollingWaiter:
    """SQLite has no notifications: short polls."""

    def wait(self, timeout: float) -> None:
        time.sleep(min(timeout, 0.01))

    def close(self) -> None:
        pass


class SQLiteDialect(Dialect):
    name = "sqlite"
    placeholder = "?"
    events_table = "stored_events"
    position_column = "rowid"
    types = {"text": "TEXT", "int": "INTEGER", "bigint": "INTEGER", "numeric": "NUMERIC",
             "real": "REAL", "bool": "INTEGER", "date": "TEXT", "timestamp": "TEXT",
             "json": "TEXT", "blob": "BLOB"}
    arrays = False
    copy_threshold = float("inf")
    for_update = ""  # the transaction holds the write lock from its start
    clock = "((julianday('now') - 2440587.5) * 86400.0)"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.path = settings.database_url.removeprefix("sqlite:///")
        self._local = threading.local()

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.settings.db_lock_timeout,
                               isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.create_aggregate("exact_sum", 1, ExactSum)  # type: ignore[arg-type]
        return conn

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """One connection per thread, kept."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.connect()
        yield conn

    @contextmanager
    def transaction(self, conn: Connection) -> Iterator[Cursor]:
        """Takes the write lock at the start (a read first would have to upgrade its lock,
        which SQLite may refuse at once)."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn.cursor()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """A file lock beside the database file."""
        if self.path == ":memory:":
            yield True  # one process only
            return
        with open(f"{self.path}.{name}.lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def table_exists(self, conn: Connection, name: str) -> bool:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        return bool(found)

    def columns_of(self, conn: Connection, table: str) -> set[str]:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}

    def add_column(self, table: str, column: str, kind: str) -> str:
        return f"ALTER TABLE {table} ADD COLUMN {column} {kind}"

    def waiter(self, channel: str = "sfa_events") -> PollingWaiter:
        return PollingWaiter()

    def exact_sum(self, column: str) -> str:
        return f"exact_sum({column})"

    def one_of(self, column: str, values: Sequence[Any],
               array_type: str = "") -> tuple[str, list[Any]]:
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def stream_key(self, stream_id: str) -> str:
        return UUID(stream_id).hex  # the library stores ids as 32 hex digits

    def stream_text(self, column: str) -> str:
        return column

    def stream_hex(self, column: str) -> str:
        return column

    def words_match(self, column: str, words: Sequence[str]) -> tuple[str, list[Any]]:
        """Without an extension: a word starts after a space (the column holds words
        separated by single spaces); a scan, fine at the sizes one machine holds."""
        condition = " AND ".join(f"(' ' || {column}) LIKE ?" for _ in words)
        return condition, [f"% {word}%" for word in words]

    def text(self, expression: str) -> str:
        return f"CAST({expression} AS TEXT)"

    def utf8_bytes(self, expression: str) -> str:
        return f"CAST({expression} AS BLOB)"

    def needs_conversion(self, kind: str) -> bool:
        return kind in CONVERTED

    def to_db(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == "json":
            return json.dumps(value, default=str)
        if kind == "numeric":
            return str(value)
        if kind in ("date", "timestamp"):
            return value.isoformat()
        if kind == "bool":
            return int(value)
        return value

    def from_db(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
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

    def eventsourcing_env(self) -> dict[str, str]:
        if self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": self.path,
            "SQLITE_LOCK_TIMEOUT": str(self.settings.db_lock_timeout),
            "APPLICATION_RECORDER_TOPIC": "infra.eventstore.recorders:SQLiteSalesRecorder",
        }

    def missing_store(self) -> str | None:
        """A SQLite path that names no file (a typo in ``SFA_DATABASE_URL``) is refused
        instead of silently becoming a new, empty store."""
        if self.path == ":memory:" or self.path.startswith("file:"):
            return None
        found = Path(self.path).expanduser()
        if found.is_dir():
            return f"SFA_DATABASE_URL names a directory, not a SQLite store: {self.path}"
        if not found.is_file():
            return (f"no SQLite store at {self.path} (check SFA_DATABASE_URL; `sfa demo` or "
                    "`sfa serve --create` makes a new one)")
        return None
