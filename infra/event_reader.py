"""Reads the global order in pages, straight from the events table, for the read side.

Follows with "greater than the last position" because positions can have permanent gaps.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson

from domain.catalog import EVENT_TYPES, upcast
from infra.sqldb import Database
from projections.base import EventRecord


class EventReader:
    def __init__(self, db: Database) -> None:
        self.db = db
        table, pos = db.events_table, db.position_column
        stream = "originator_id" if db.backend == "sqlite" else "originator_id::text"
        self._select = (f"SELECT {pos}, {stream}, originator_version, topic, state "
                        f"FROM {table} WHERE {pos} > ? ")
        self._order = f"ORDER BY {pos} LIMIT ?"

    def read(self, conn: Any, after: int, limit: int,
             topics: Sequence[str] = ()) -> list[EventRecord]:
        statement, params = self._statement(after, limit, topics)
        rows = conn.execute(statement, params).fetchall()
        return [_record(row) for row in rows]

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
        return sorted((_record(row) for row in rows), key=lambda e: e.position)

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
        return sorted((_record(row) for row in rows), key=lambda e: e.position)

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


def _record(row: Sequence[Any]) -> EventRecord:
    position, stream_id, version, topic, state = row
    body = orjson.loads(state)
    data = body["data"]
    event_type = EVENT_TYPES.get(topic)
    if event_type is not None and body.get("schema_version", 1) < event_type.schema_version:
        data = upcast(event_type, data, body.get("schema_version", 1))  # old shapes read as new
    return EventRecord(position, _uuid_text(stream_id), version, topic, data, body["meta"])


def _uuid_text(stream_id: Any) -> str:
    """SQLite stores ids as 32 hex digits, PostgreSQL as uuid: both become canonical text."""
    text = str(stream_id)
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text
