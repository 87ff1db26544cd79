"""Runs projections: read a page of events, apply it in memory, write rows + position at once.

A ``ProjectorGroup`` drives several projection generations over one read of the log: each
member applies only events after its own position, so members at different positions can
share the work. Per batch, every member's changed rows and its new position are written in
one transaction; the position only moves if nobody else moved it (see
``ReadStore.advance``), so each event counts exactly once even after ``kill -9``.
An event a member cannot apply stops that member (the error names position, type and
stream) and leaves the others running.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from infra.event_reader import EventReader
from infra.readstore import Generation, ReadStore
from infra.sqldb import Database
from projections.base import EventRecord, Key, Projection, Row, Table

log = logging.getLogger(__name__)
MISSING = object()
KEY_SET_LIMIT = 500_000  # keys per table a live cache holds to know which rows are absent


class PositionMovedError(Exception):
    """Another runner advanced this generation: reload state and go on from there."""


class RowCache:
    """The rows a member has read or written; the source of truth between batches.

    ``complete`` means the tables were empty when this runner started them and nobody else
    writes them, so a row not in the cache does not exist (no database read needed).

    Otherwise (a live model that was built before), the first miss in a table reads the
    keys stored in it, once: a later miss on a key not among them is a row that does not
    exist (most misses are for new records), and costs no query. Like the cached rows
    themselves, that holds while this runner is the model's only writer — if another one
    moves the position, the group reloads and starts a fresh cache.
    """

    def __init__(self, store: ReadStore, conn: Any, tables: Iterable[Table], generation: int,
                 complete: bool) -> None:
        self.store, self.conn, self.generation, self.complete = store, conn, generation, complete
        self.tables = {t.name: t for t in tables}
        self.rows: dict[str, dict[Key, Any]] = {name: {} for name in self.tables}
        self.dirty: dict[str, set[Key]] = {name: set() for name in self.tables}
        # With a complete cache we know which keys are stored: new ones need no delete first.
        self.stored: dict[str, set[Key]] = {name: set() for name in self.tables}
        # Non-complete: the keys stored when first needed; None where the table is too big.
        self.keys_at_start: dict[str, frozenset[Key] | None] = {}

    def get(self, table: str, key: Key) -> Row | None:
        cached = self.rows[table].get(key, MISSING)
        if cached is MISSING:
            cached = None if self.complete else self._load(table, key)
            self.rows[table][key] = cached
        return dict(cached) if cached is not None else None

    def _load(self, name: str, key: Key) -> Row | None:
        if name not in self.keys_at_start:
            self.keys_at_start[name] = self.store.load_keys(
                self.conn, self.tables[name], self.generation, KEY_SET_LIMIT)
        known = self.keys_at_start[name]
        if known is not None and key not in known:
            return None
        return self.store.load_row(self.conn, self.tables[name], self.generation, key)

    def put(self, table: str, row: Row) -> None:
        key = self.tables[table].key_of(row)
        self.rows[table][key] = row
        self.dirty[table].add(key)

    def delete(self, table: str, key: Key) -> None:
        self.rows[table][key] = None
        self.dirty[table].add(key)

    def take_changes(self) -> list[Changes]:
        """The batch's changed rows (rows are never mutated after ``put``, so they can be
        written by another thread while the next batch is applied)."""
        changes = []
        for name, keys in self.dirty.items():
            if not keys:
                continue
            rows, stored = self.rows[name], self.stored[name]
            deletes = [k for k in keys if rows[k] is None]
            if self.complete:
                deletes = [k for k in deletes if k in stored]
                new = [rows[k] for k in keys if rows[k] is not None and k not in stored]
                upserts = [rows[k] for k in keys if rows[k] is not None and k in stored]
                stored.update(k for k in keys if rows[k] is not None)
                stored.difference_update(k for k in keys if rows[k] is None)
            else:
                new, upserts = [], [rows[k] for k in keys if rows[k] is not None]
            changes.append(Changes(self.tables[name], self.generation, upserts, deletes, new))
            keys.clear()
        return changes


@dataclass(frozen=True)
class Changes:
    table: Table
    generation: int
    upserts: list[Row]
    deletes: list[Key]
    new_rows: list[Row]


@dataclass(frozen=True)
class Advance:
    name: str
    generation: int
    expected: int
    position: int


class BatchWriter:
    """Commits batches on a connection and thread of its own, one at a time and in order,
    so the database works on batch N while the projector applies batch N+1. Each batch is
    one transaction: every member's rows and new position, or nothing."""

    def __init__(self, db: Database, store: ReadStore) -> None:
        self.db, self.store = db, store
        self.conn = db.connect()
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="read-model-writer")
        self.pending: Future[None] | None = None

    def submit(self, changes: list[Changes], advances: list[Advance], rate: float | None) -> None:
        self.wait()
        self.pending = self.pool.submit(self._write, changes, advances, rate)

    def wait(self) -> None:
        """Blocks until the batch in flight is stored; re-raises its error."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def _write(self, changes: list[Changes], advances: list[Advance], rate: float | None) -> None:
        with self.db.transaction(self.conn) as cursor:
            for c in changes:
                self.store.write_rows(cursor, c.table, c.generation, c.upserts, c.deletes,
                                      c.new_rows)
            for a in advances:
                if not self.store.advance(cursor, a.name, a.generation, a.expected, a.position,
                                          rate):
                    raise PositionMovedError(a.name)

    def close(self) -> None:
        """Stops; a batch still in flight is awaited, and if it failed, nothing of it is stored."""
        try:
            self.wait()
        except Exception as error:  # noqa: BLE001 — e.g. its generation was swapped out
            log.info("a pending read-model batch was not stored: %s", error)
        finally:
            self.pool.shutdown()
            self.conn.close()


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
        self.writer = BatchWriter(db, store)
        self._by_topic: dict[str, list[Member]] | None = None

    def close(self) -> None:
        self.writer.close()

    def add(self, projection: Projection, generation: Generation) -> Member:
        complete = generation.position == 0 and generation.status == "building"
        cache = RowCache(self.store, self.conn, projection.tables, generation.generation, complete)
        member = Member(projection, generation.generation, generation.position, cache)
        self.members.append(member)
        self._by_topic = None
        return member

    @property
    def running(self) -> list[Member]:
        return [m for m in self.members if m.error is None]

    def topics(self) -> list[str]:
        return sorted(set().union(*(m.topics for m in self.running)))

    def step(self) -> int:
        """One batch; returns how many events it read (0 when every member is at the head).
        The batch is committed in the background: ``flush()`` waits for it."""
        members = self.running
        if not members:
            return 0
        started = time.perf_counter()
        start = min(m.position for m in members)
        head = self.reader.head(self.conn)  # read first: every event up to it is visible below
        events = self.reader.read(self.conn, start, self.batch_size, self.topics())
        # A short page holds every event of our types up to ``head``: skip the others too.
        # (It may also hold events committed after we read ``head``: never end before them.)
        last = events[-1].position if events else start
        end = last if len(events) == self.batch_size else max(head, start, last)
        if end == start:
            self.flush()
            return 0
        self._apply(events)
        self._commit([m for m in members if m.error is None], end,
                     len(events), time.perf_counter() - started)
        return max(len(events), 1)

    def _members_by_topic(self) -> dict[str, list[Member]]:
        if self._by_topic is None:
            self._by_topic = {}
            for m in self.members:
                for topic in m.topics:
                    self._by_topic.setdefault(topic, []).append(m)
        return self._by_topic

    def _apply(self, events: list[EventRecord]) -> None:
        by_topic = self._members_by_topic()
        for event in events:
            for member in by_topic.get(event.type, ()):
                if member.error is None and event.position > member.position:
                    self._apply_one(member, event)

    def _apply_one(self, member: Member, event: EventRecord) -> None:
        try:
            member.projection.apply(event, member.cache)
        except Exception as error:  # noqa: BLE001 — any failure stops only this member
            member.error = describe_failure(event, error)
            log.error("projection %s stopped at %s", member.projection.name, member.error)
            self.flush()
            self.store.record_failure(self.conn, member.projection.name, member.generation,
                                      event.position, member.error)

    def _commit(self, members: list[Member], end: int, count: int, seconds: float) -> None:
        rate = count / seconds if count and seconds > 0 else None
        changes = [c for m in members for c in m.cache.take_changes()]
        advances = [Advance(m.projection.name, m.generation, m.position, end) for m in members]
        try:
            self.writer.submit(changes, advances, rate)
        except PositionMovedError:
            self.reload()  # the previous batch was refused: redo from the stored positions
            return
        for m in members:
            m.position, m.rate = end, rate

    def flush(self) -> None:
        """Waits until every applied batch is stored (or refused: then reload)."""
        try:
            self.writer.wait()
        except PositionMovedError:
            self.reload()

    def reload(self) -> None:
        """Forget the caches and take positions from the registry (another runner moved).
        A member whose generation was retired and dropped meanwhile leaves the group."""
        try:
            self.writer.wait()  # a batch still in flight may yet commit: know before reloading
        except Exception as error:  # noqa: BLE001 — refused or failed: nothing of it was stored
            log.info("read-model batch not stored: %s", error)
        self._by_topic = None
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
        self.flush()
