"""Reads the global order in pages, straight from the events table, for the read side.

Follows with "greater than the last position" because positions can have permanent gaps.
Personal fields are decrypted here (or shown erased, see ``infra.eventstore.subjects``), so every
reader of the global order — read models, the timeline, the Kafka relay — sees the same.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson

from domain.catalog import EVENT_TYPES, upcast
from infra.eventstore.subjects import PERSONAL, KeyRing, key_ring
from infra.sql.database import Database
from projections.base import EventRecord


class EventReader:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.keys = key_ring(db)
        table, pos = db.events_table, db.position_column
        stream = "originator_id" if db.backend == "sqlite" else "originator_id::text"
        self._select = (f"SELECT {pos}, {stream}, originator_version, topic, state "
                        f"FROM {table} WHERE {pos} > ? ")
        self._order = f"ORDER BY {pos} LIMIT ?"

    def read(self, conn: Any, after: int, limit: int,
             topics: Sequence[str] = ()) -> list[EventRecord]:
        statement, params = self._statement(after, limit, topics)
        rows = conn.execute(statement, params).fetchall()
        return _records(rows, self.keys)

    def _statement(self, after: int, limit: int,
                   topics: Sequence[str]) -> tuple[str, list[Any]]:
        if not topics:
            return self.db.sql(self._select + self._order), [after, limit]
        if self.db.backend == "sqlite":
            marks = ",".join("?" * len(topics))
            return self._select + f"AND topic IN ({marks}) " + self._order, [after, *topics, limit]
        return self.db.sql(self._select + "AND topic = ANY(?) " + self._order), [
            after, list(topics), limit]

    def by_streams(self, conn: Any, stream_ids: Sequence[str]) -> list[EventRecord]:
        """Every event of the given streams (through the primary key), in global order."""
        if not stream_ids:
            return []
        columns = f"{self.db.position_column}, originator_id, originator_version, topic, state"
        if self.db.backend == "sqlite":
            ids = [UUID(s).hex for s in stream_ids]
            marks = ",".join("?" * len(ids))
            statement = f"SELECT {columns} FROM {self.db.events_table} WHERE originator_id IN ({marks})"
            rows = conn.execute(statement, ids).fetchall()
        else:
            statement = (f"SELECT {columns} FROM {self.db.events_table} "
                         "WHERE originator_id = ANY(%s::uuid[])")
            rows = conn.execute(statement, ([str(s) for s in stream_ids],)).fetchall()
        return sorted(_records(rows, self.keys), key=lambda e: e.position)

    def by_positions(self, conn: Any, positions: Sequence[int]) -> list[EventRecord]:
        if not positions:
            return []
        columns = f"{self.db.position_column}, originator_id, originator_version, topic, state"
        if self.db.backend == "sqlite":
            marks = ",".join("?" * len(positions))
            statement = (f"SELECT {columns} FROM {self.db.events_table} "
                         f"WHERE rowid IN ({marks})")
            rows = conn.execute(statement, list(positions)).fetchall()
        else:
            statement = (f"SELECT {columns} FROM {self.db.events_table} "
                         "WHERE notification_id = ANY(%s)")
            rows = conn.execute(statement, (list(positions),)).fetchall()
        return sorted(_records(rows, self.keys), key=lambda e: e.position)

    def decode(self, rows: Sequence[Sequence[Any]]) -> list[EventRecord]:
        """Rows of (position, stream id, version, topic, state) selected elsewhere."""
        return _records(rows, self.keys)

    def head(self, conn: Any) -> int:
        row = conn.execute(f"SELECT MAX({self.db.position_column}) FROM {self.db.events_table}")
        return int(row.fetchone()[0] or 0)

    def count_after(self, conn: Any, position: int) -> int:
        statement = self.db.sql(f"SELECT COUNT(*) FROM {self.db.events_table} "
                                f"WHERE {self.db.position_column} > ?")
        return int(conn.execute(statement, (position,)).fetchone()[0])

    def first_after(self, conn: Any, position: int) -> EventRecord | None:
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
