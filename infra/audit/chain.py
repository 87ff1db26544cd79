"""The hash chain over the global order.

Each event's hash is ``SHA-256(previous hash || "position|stream|version|topic|" ||
stored bytes)``, where ``stream`` is the stream id as 32 lowercase hex digits (how SQLite
stores it; PostgreSQL's uuid is converted in the SELECT) and the stored bytes are the
``state`` column exactly as written (canonical JSON, see ``infra.eventstore.codec``). The first event's
previous hash is 32 zero bytes. Because the hash covers the position, the stream, the version,
the topic and the bytes, and each hash covers the one before, changing, removing, inserting
or reordering any sealed event changes every hash from there on.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from infra.sql.database import Connection, Cursor, Database

GENESIS = bytes(32)
Row = tuple[int, str, int, str, bytes]


def event_hash(previous: bytes, position: int, stream_hex: str, version: int, topic: str,
               state: bytes) -> bytes:
    return sha256(b"".join((previous, f"{position}|{stream_hex}|{version}|{topic}|".encode(),
                            state))).digest()


def fetch(db: Database, conn: Connection | Cursor, statement: str, params: Any) -> list[Any]:
    """All rows, in the dialect's fastest form (PostgreSQL sends them in binary: bytea as raw
    bytes, not hex text to decode, which roughly halves the time to fetch stored events)."""
    return db.dialect.fetch_all(conn, statement, params)


def header_column(db: Database, alias: str = "") -> str:
    """``"position|stream|version|topic|"`` built by the database as bytes, exactly as
    ``event_hash`` builds it (the verifier's hot loop then only hashes)."""
    a, dialect = alias, db.dialect
    parts = (dialect.text(f"{a}{db.position_column}"), stream_column(db, alias),
             dialect.text(f"{a}originator_version"), f"{a}topic")
    return dialect.utf8_bytes(" || '|' || ".join(parts) + " || '|'")


def stream_column(db: Database, alias: str = "") -> str:
    """The stream id as 32 hex digits on both backends."""
    return db.dialect.stream_hex(f"{alias}originator_id")


@dataclass(frozen=True)
class EventRows:
    """Pages of raw event rows in global order (no decoding: the bytes are what is hashed)."""

    db: Database
    page: int = 10_000

    def select(self, after: int, limit: int, until: int | None = None) -> tuple[str, list[Any]]:
        pos, table = self.db.position_column, self.db.events_table
        bound = f" AND {pos} <= ?" if until is not None else ""
        statement = (f"SELECT {pos}, {stream_column(self.db)}, originator_version, topic, state "
                     f"FROM {table} WHERE {pos} > ?{bound} ORDER BY {pos} LIMIT ?")
        params = [after, until, limit] if until is not None else [after, limit]
        return self.db.sql(statement), params

    def pages(self, conn: Connection | Cursor, after: int,
              until: int | None = None) -> Iterator[Sequence[Row]]:
        while True:
            statement, params = self.select(after, self.page, until)
            rows = fetch(self.db, conn, statement, params)
            if not rows:
                return
            yield rows
            after = rows[-1][0]
            if len(rows) < self.page:
                return


def chain_head(db: Database, conn: Connection | Cursor) -> tuple[int, bytes]:
    """The last sealed (position, hash), or (0, GENESIS) before the first seal."""
    row = conn.execute("SELECT position, hash FROM sfa_audit_chain "
                       "ORDER BY position DESC LIMIT 1").fetchone()
    return (int(row[0]), bytes(row[1])) if row else (0, GENESIS)


def chain_at(db: Database, conn: Connection | Cursor, position: int) -> tuple[int, bytes]:
    """The last sealed (position, hash) strictly before ``position``."""
    row = conn.execute(db.sql("SELECT position, hash FROM sfa_audit_chain WHERE position < ? "
                              "ORDER BY position DESC LIMIT 1"), [position]).fetchone()
    return (int(row[0]), bytes(row[1])) if row else (0, GENESIS)
