"""What differs between SQLite and PostgreSQL, asked of one object instead of tested as
``backend == ...`` where it is needed.

A ``Database`` gets its dialect once, from the URL (``dialect_for``); code above it asks the
dialect for a statement's pieces (placeholders, column types, a list parameter, a stream id
as text), for the operations whose form differs (a transaction, a lock, a bulk write, a wait
for new rows) and for value conversions. The methods called per row or per statement
(``sql``, ``to_db``, ``from_db``) are bound once by ``Database``, never looked up per call.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol

from infra.settings import Settings
from infra.sql.types import Connection, Cursor

SCHEMA_LOCK = 4242001  # advisory lock key: one creator of tables at a time, across processes


class Waiter(Protocol):
    """Sleeps until new events may exist (``Dialect.waiter``)."""

    def wait(self, timeout: float) -> None: ...

    def close(self) -> None: ...


class Dialect(ABC):
    """One backend's forms. An instance belongs to one ``Database`` (its settings, and on
    PostgreSQL its pool)."""

    name: ClassVar[str]  # "sqlite" | "postgresql", for messages and reports, not decisions
    placeholder: ClassVar[str]
    events_table: ClassVar[str]  # the eventsourcing library's table for our events
    position_column: ClassVar[str]  # its global order
    types: ClassVar[dict[str, str]]  # column kinds (projections.base) to SQL types
    # whether arrays (``= ANY``, ``unnest``) and ``LATERAL`` probes exist: the statements
    # that read many keys at once take their one-statement form
    arrays: ClassVar[bool]
    copy_threshold: ClassVar[float]  # rows per batch from which ``copy_rows`` pays off
    for_update: ClassVar[str]  # a SELECT's row lock inside a transaction ("" if it locks all)
    clock: ClassVar[str]  # the database's clock, Unix seconds (one clock for every machine)
    persistent: ClassVar[bool] = True  # False: events live in the process (``memory://``)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # connections and transactions

    @abstractmethod
    def connect(self) -> Connection: ...

    @abstractmethod
    def reader(self) -> AbstractContextManager[Connection]:
        """A connection for a short read (or a small write) from any thread."""

    def close(self) -> None:  # noqa: B027 — most dialects keep nothing open
        """Releases what ``reader`` keeps open."""

    @abstractmethod
    def transaction(self, conn: Connection) -> AbstractContextManager[Cursor]:
        """One transaction on ``conn``; yields a cursor."""

    @abstractmethod
    def exclusive(self, name: str) -> AbstractContextManager[bool]:
        """A lock across processes named ``name``, held while the block runs: yields whether
        this process got it. A process that dies releases it."""

    def lock_schema(self, cursor: Cursor) -> None:  # noqa: B027 — SQLite's write lock is enough
        """Inside a transaction: waits for other creators of tables (see ``create_once``)."""

    def end_idle_transactions(self, conn: Connection, seconds: float) -> None:  # noqa: B027
        """The server ends this connection's session when a transaction of it stays idle
        longer than ``seconds``: the locks of a process that stopped mid-transaction (SIGSTOP,
        a frozen machine) are released. SQLite: no server to do it."""

    def allow_long_statements(self, cursor: Cursor) -> None:  # noqa: B027 — SQLite has no timeout
        """Inside a transaction: lifts the statement timeout until it ends — for work whose
        length grows with the data, such as indexing a read model of millions of rows."""

    @abstractmethod
    def table_exists(self, conn: Connection, name: str) -> bool: ...

    @abstractmethod
    def columns_of(self, conn: Connection, table: str) -> set[str]: ...

    @abstractmethod
    def add_column(self, table: str, column: str, kind: str) -> str:
        """``ALTER TABLE`` adding a column (a no-op if it is there, where the dialect can)."""

    @abstractmethod
    def waiter(self, channel: str = "sfa_events") -> Waiter: ...

    # statements: written with ``?`` placeholders

    def sql(self, statement: str) -> str:
        return statement

    def column_type(self, kind: str) -> str:
        return self.types[kind]

    @abstractmethod
    def exact_sum(self, column: str) -> str:
        """The aggregate that adds a numeric column exactly."""

    @abstractmethod
    def one_of(self, column: str, values: Sequence[Any],
               array_type: str = "") -> tuple[str, list[Any]]:
        """``column`` is one of ``values`` (not empty): the condition, with ``?``
        placeholders, and its parameters. ``array_type`` casts an array parameter."""

    @abstractmethod
    def words_match(self, column: str, words: Sequence[str]) -> tuple[str, list[Any]]:
        """``column`` (words, ``projections.base.search_text``) has a word starting with
        each of ``words``: the condition and its parameters."""

    def search_index(self, table: str, index: str, column: str) -> str | None:
        """The statement creating the index ``words_match`` uses on ``column`` (None: the
        dialect searches without one)."""
        return None

    def search_columns(self, column: str) -> str:
        """Columns a table with words in ``column`` has besides its own, as ``CREATE TABLE``
        declares them (after a comma), for ``words_match``; none by default."""
        return ""

    @abstractmethod
    def stream_key(self, stream_id: str) -> Any:
        """A stream id (canonical UUID text) as the events table compares it."""

    @abstractmethod
    def stream_text(self, column: str) -> str:
        """The events table's stream id column as text (32 hex digits or canonical UUID)."""

    @abstractmethod
    def stream_hex(self, column: str) -> str:
        """The events table's stream id column as 32 lowercase hex digits."""

    @abstractmethod
    def text(self, expression: str) -> str: ...

    @abstractmethod
    def utf8_bytes(self, expression: str) -> str:
        """A text expression as its UTF-8 bytes."""

    @staticmethod
    def upsert(table: str, columns: Sequence[str], key: Sequence[str], source: str) -> str:
        """INSERT of ``source`` (VALUES or SELECT) that replaces rows with the same ``key``."""
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        return (f"INSERT INTO {table} ({', '.join(columns)}) {source} "
                f"ON CONFLICT ({', '.join(key)}) {conflict}")

    # values

    @abstractmethod
    def needs_conversion(self, kind: str) -> bool: ...

    @abstractmethod
    def to_db(self, kind: str, value: Any) -> Any: ...

    @abstractmethod
    def from_db(self, kind: str, value: Any) -> Any: ...

    def fetch_all(self, conn: Connection | Cursor, statement: str,
                  params: Any) -> list[Any]:
        """All rows of a large read (bytes columns as they are, the fastest form)."""
        return list(conn.execute(statement, params).fetchall())

    # bulk writes

    def insert_many(self, cursor: Cursor, table: str, columns: Sequence[tuple[str, str]],
                    rows: Sequence[Sequence[Any]]) -> None:
        """Inserts ``rows`` of (name, kind) ``columns``."""
        names = ", ".join(name for name, _ in columns)
        marks = ", ".join("?" * len(columns))
        cursor.executemany(self.sql(f"INSERT INTO {table} ({names}) VALUES ({marks})"), rows)

    def delete_keys(self, cursor: Cursor, table: str, key: Sequence[tuple[str, str]],
                    keys: Sequence[Sequence[Any]]) -> None:
        """Deletes the rows whose (name, kind) ``key`` columns hold one of ``keys``."""
        if keys:
            where = " AND ".join(f"{name} = ?" for name, _ in key)
            cursor.executemany(self.sql(f"DELETE FROM {table} WHERE {where}"), [
                [self.to_db(kind, v) for (_, kind), v in zip(key, k, strict=True)]
                for k in keys])

    def copy_rows(self, cursor: Cursor, table: str, columns: Sequence[str],
                  values: Sequence[Sequence[Any]]) -> None:
        """Inserts many new rows (values as ``to_db`` made them) the fastest way."""
        marks = ", ".join("?" * len(columns))
        cursor.executemany(self.sql(f"INSERT INTO {table} ({', '.join(columns)}) "
                                    f"VALUES ({marks})"), values)

    # the event store (the eventsourcing library) and the store's files

    @abstractmethod
    def eventsourcing_env(self) -> dict[str, str]:
        """The ``eventsourcing`` library's persistence settings for this URL."""

    def missing_store(self) -> str | None:
        """Why the configured store cannot be opened as an existing one (None: it can)."""
        return None
