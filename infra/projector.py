"""Runs projections: read a page of events, apply it in memory, write rows + position at once.

A ``ProjectorGroup`` drives several projection generations over one read of the log: each
member applies only events after its own position, so members at different positions can
share the work. Per batch, every member's changed rows and its new position are written in
one transaction; the position only moves if nobody else moved it (see
``ReadStore.advance``), so each event counts exactly once even after ``kill -9``.
An event a member cannot apply stops that member (the error names position, type and
stream) and leaves the others running.
"""

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from infra.event_reader import EventReader
from infra.readstore import Generation, ReadStore
from infra.sqldb import Database
from projections.base import EventRecord, Key, Projection, Row, Table

log = logging.getLogger(__name__)
MISSING = object()


class PositionMovedError(Exception):
    """Another runner advanced this generation: reload state and go on from there."""


class RowCache:
    """The rows a member has read or written; the source of truth between batches.

    ``complete`` means the tables were empty when this runner started them and nobody else
    writes them, so a row not in the cache does not exist (no database read needed).
    """

    def __init__(self, store: ReadStore, conn: Any, tables: Iterable[Table], generation: int,
                 complete: bool) -> None:
        self.store, self.conn, self.generation, self.complete = store, conn, generation, complete
        self.tables = {t.name: t for t in tables}
        self.rows: dict[str, dict[Key, Any]] = {name: {} for name in self.tables}
        self.dirty: dict[str, set[Key]] = {name: set() for name in self.tables}

    def get(self, table: str, key: Key) -> Row | None:
        cached = self.rows[table].get(key, MISSING)
        if cached is MISSING:
            cached = None if self.complete else self.store.load_row(
                self.conn, self.tables[table], self.generation, key)
            self.rows[table][key] = cached
        return dict(cached) if cached is not None else None

    def put(self, table: str, row: Row) -> None:
        key = self.tables[table].key_of(row)
        self.rows[table][key] = row
        self.dirty[table].add(key)

    def delete(self, table: str, key: Key) -> None:
        self.rows[table][key] = None
        self.dirty[table].add(key)

    def flush(self, cursor: Any) -> int:
        written = 0
        for name, keys in self.dirty.items():
            if not keys:
                continue
            upserts = [self.rows[name][k] for k in keys if self.rows[name][k] is not None]
            deletes = [k for k in keys if self.rows[name][k] is None]
            self.store.write_rows(cursor, self.tables[name], self.generation, upserts, deletes)
            written += len(keys)
        return written

    def committed(self) -> None:
        for keys in self.dirty.values():
            keys.clear()


@dataclass
class Member:
    projection: Projection
    generation: int
    position: int
    cache: RowCache
    error: str | None = None
    rate: float | None = None
    topics: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        self.topics = frozenset(self.projection.topics)


def describe_failure(event: EventRecord, error: Exception) -> str:
    return (f"position {event.position}: {event.type} of stream {event.stream_id}: "
            f"{type(error).__name__}: {error}")


class ProjectorGroup:
    def __init__(self, db: Database, store: ReadStore, conn: Any, batch_size: int = 1000) -> None:
        self.db, self.store, self.conn, self.batch_size = db, store, conn, batch_size
        self.reader = EventReader(db)
        self.members: list[Member] = []

    def add(self, projection: Projection, generation: Generation) -> Member:
        complete = generation.position == 0 and generation.status == "building"
        cache = RowCache(self.store, self.conn, projection.tables, generation.generation, complete)
        member = Member(projection, generation.generation, generation.position, cache)
        self.members.append(member)
        return member

    @property
    def running(self) -> list[Member]:
        return [m for m in self.members if m.error is None]

    def topics(self) -> list[str]:
        return sorted(set().union(*(m.topics for m in self.running)))

    def step(self) -> int:
        """One batch; returns how many events it read (0 when every member is at the head)."""
        members = self.running
        if not members:
            return 0
        started = time.perf_counter()
        start = min(m.position for m in members)
        head = self.reader.head(self.conn)  # read first: every event up to it is visible below
        events = self.reader.read(self.conn, start, self.batch_size, self.topics())
        # A short page holds every event of our types up to ``head``: skip the others too.
        end = events[-1].position if len(events) == self.batch_size else max(head, start)
        if end == start:
            return 0
        for member in members:
            self._apply(member, events)
        self._commit([m for m in members if m.error is None], end,
                     len(events), time.perf_counter() - started)
        return max(len(events), 1)

    def _apply(self, member: Member, events: list[EventRecord]) -> None:
        for event in events:
            if event.position <= member.position or event.type not in member.topics:
                continue
            try:
                member.projection.apply(event, member.cache)
            except Exception as error:  # noqa: BLE001 — any failure stops only this member
                member.error = describe_failure(event, error)
                log.error("projection %s stopped at %s", member.projection.name, member.error)
                self.store.record_failure(self.conn, member.projection.name, member.generation,
                                          event.position, member.error)
                return

    def _commit(self, members: list[Member], end: int, count: int, seconds: float) -> None:
        rate = count / seconds if count and seconds > 0 else None
        try:
            with self.db.transaction(self.conn) as cursor:
                for m in members:
                    m.cache.flush(cursor)
                    if not self.store.advance(cursor, m.projection.name, m.generation,
                                              m.position, end, rate):
                        raise PositionMovedError(m.projection.name)
        except PositionMovedError:
            self.reload()
            return
        for m in members:
            m.position, m.rate = end, rate
            m.cache.committed()

    def reload(self) -> None:
        """Forget the caches and take positions from the registry (another runner moved).
        A member whose generation was retired and dropped meanwhile leaves the group."""
        registry = {(g.name, g.generation): g for g in self.store.generations(self.conn)}
        kept = []
        for m in self.members:
            generation = registry.get((m.projection.name, m.generation))
            if generation is None or generation.status == "retired":
                continue
            m.position = generation.position
            m.cache = RowCache(self.store, self.conn, m.projection.tables, m.generation, False)
            kept.append(m)
        self.members = kept

    def run_until_caught_up(self) -> None:
        while self.step():
            pass
