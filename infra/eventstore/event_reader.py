"""Reads the global order in pages, straight from the events table, for the read side.

Follows with "greater than the last position" because positions can have permanent gaps.
Personal fields are decrypted here (or shown erased, see ``infra.eventstore.subjects``), so every
reader of the global order — read models, the timeline, the Kafka relay — sees the same.
"""

from collections.abc import Sequence
from typing import Any

import orjson

from domain.catalog import EVENT_TYPES, upcast
from infra.eventstore.subjects import PERSONAL, KeyRing, key_ring
from infra.sql.database import Connection, Database
from projections.base import EventRecord


class EventReader:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.keys = key_ring(db)
        table, pos = db.events_table, db.position_column
        stream = db.dialect.stream_text("originator_id")
        self._select = (f"SELECT {pos}, {stream}, originator_version, topic, state "
                        f"FROM {table} WHERE {pos} > ? ")
        self._order = f"ORDER BY {pos} LIMIT ?"

    def read(self, conn: Connection, after: int, limit: int,
             topics: Sequence[str] = ()) -> list[EventRecord]:
        statement, params = self._statement(after, limit, topics)
        rows = conn.execute(statement, params).fetchall()
        return _records(rows, self.keys)

    def _statement(self, after: int, limit: int,
                   topics: Sequence[str]) -> tuple[str, list[Any]]:
        if not topics:
            return self.db.sql(self._select + self._order), [after, limit]
        condition, params = self.db.dialect.one_of("topic", topics)
        return self.db.sql(f"{self._select}AND {condition} {self._order}"), [
            after, *params, limit]

    def by_streams(self, conn: Connection, stream_ids: Sequence[str]) -> list[EventRecord]:
        """Every event of the given streams (through the primary key), in global order."""
        if not stream_ids:
            return []
        dialect = self.db.dialect
        condition, params = dialect.one_of(
            "originator_id", [dialect.stream_key(s) for s in stream_ids], "uuid")
        return self._where(conn, condition, params)

    def by_positions(self, conn: Connection, positions: Sequence[int]) -> list[EventRecord]:
        if not positions:
            return []
        return self._where(conn, *self.db.dialect.one_of(self.db.position_column, positions))

    def _where(self, conn: Connection, condition: str, params: list[Any]) -> list[EventRecord]:
        columns = f"{self.db.position_column}, originator_id, originator_version, topic, state"
        statement = self.db.sql(f"SELECT {columns} FROM {self.db.events_table} WHERE {condition}")
        rows = conn.execute(statement, params).fetchall()
        return sorted(_records(rows, self.keys), key=lambda e: e.position)

    def decode(self, rows: Sequence[Sequence[Any]]) -> list[EventRecord]:
        """Rows of (position, stream id, version, topic, state) selected elsewhere."""
        return _records(rows, self.keys)

    def head(self, conn: Connection) -> int:
        row = conn.execute(f"SELECT MAX({self.db.position_column}) FROM {self.db.events_table}")
        return int(row.fetchone()[0] or 0)

    def count_after(self, conn: Connection, position: int) -> int:
        statement = self.db.sql(f"SELECT COUNT(*) FROM {self.db.events_table} "
                                f"WHERE {self.db.position_column} > ?")
        return int(conn.execute(statement, (position,)).fetchone()[0])

    def first_after(self, conn: Connection, position: int) -> EventRecord | None:
        found = self.read(conn, position, 1)
        return found[0] if found else None


def _records(rows: Sequence[Sequence[Any]], keys: KeyRing) -> list[EventRecord]:
    """Decodes a page; the keys its personal fields need are fetched in one query. A row
    that cannot be decoded becomes a record naming its ``problem`` instead of failing the
    page: otherwise one damaged event would stop every reader of the log at once."""
    bodies = [_body(row[4]) for row in rows]
    readable = [(row[3], body) for row, body in zip(rows, bodies, strict=True)
                if isinstance(body, dict)]
    prefetch_keys([topic for topic, _ in readable], [body for _, body in readable], keys)
    return [_record(row, body, keys) for row, body in zip(rows, bodies, strict=True)]


def _body(state: Any) -> dict[str, Any] | str:
    """The stored JSON object, or why it is not one."""
    try:
        body = orjson.loads(state)
    except (orjson.JSONDecodeError, TypeError) as error:
        return f"undecodable JSON: {error}"
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict) \
            or not isinstance(body.get("meta"), dict):
        return "not an event: data or meta missing"
    return body


def _record(row: Sequence[Any], body: dict[str, Any] | str, keys: KeyRing) -> EventRecord:
    position, stream_id, version, topic, _ = row
    if isinstance(body, str):
        return EventRecord(position, _uuid_text(stream_id), version, topic, {}, {}, body)
    try:
        data = event_data(topic, body, keys)
    except Exception as error:  # noqa: BLE001 — a failing upcast or key: named, not raised
        return EventRecord(position, _uuid_text(stream_id), version, topic, {}, body["meta"],
                           f"unreadable {topic}: {type(error).__name__}: {error}")
    return EventRecord(position, _uuid_text(stream_id), version, topic, data, body["meta"])


def event_data(topic: str, body: dict[str, Any], keys: KeyRing) -> dict[str, Any]:
    """An event's data as every reader sees it: personal fields revealed (or erased), old
    shapes upcast to the current one. The keys must have been prefetched (``prefetch_keys``)."""
    data: dict[str, Any] = keys.reveal(topic, body["data"]) if topic in PERSONAL else body["data"]
    event_type = EVENT_TYPES.get(topic)
    if event_type is not None and body.get("schema_version", 1) < event_type.schema_version:
        data = upcast(event_type, data, body.get("schema_version", 1))  # old shapes read as new
    return data


def prefetch_keys(topics: Sequence[str], bodies: Sequence[dict[str, Any]], keys: KeyRing) -> None:
    """Loads the subject keys that the personal fields of these events need, in one query."""
    personal = [(topic, body["data"]) for topic, body in zip(topics, bodies, strict=True)
                if topic in PERSONAL]
    if personal:
        keys.prefetch(personal)


def _uuid_text(stream_id: Any) -> str:
    """SQLite stores ids as 32 hex digits, PostgreSQL as uuid: both become canonical text."""
    text = str(stream_id)
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text
