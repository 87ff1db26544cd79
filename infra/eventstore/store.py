"""The event store: one ``eventsourcing`` Application over SQLite or PostgreSQL.

Events of every aggregate go into one table with one global order (``position``, the
library's notification id). Optimistic concurrency comes from the table's primary key
(stream id, version): a second writer of the same version fails and nothing of its
command is stored.
"""

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    Notification,
    StoredEvent,
)
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from domain.catalog import AGGREGATES, EVENT_TYPES, AggregateType
from domain.errors import NotFoundError
from domain.events import Event
from infra.errors import ConflictError
from infra.eventstore import codec
from infra.eventstore.codec import Metadata
from infra.eventstore.duplicate_keys import DuplicateKeys
from infra.eventstore.memory import memory_keys
from infra.eventstore.recorders import Group, PostgresSalesRecorder, SQLiteSalesRecorder
from infra.eventstore.subjects import KeyRing, key_ring
from infra.settings import Settings
from infra.sql.database import Database
from infra.sql.failures import translating

CONFLICT = "the record was changed by another writer; reload and try again"


@dataclass(frozen=True)
class RecordedEvent:
    """A domain event in its stream, with the envelope metadata the store keeps beside it."""

    originator_id: UUID
    originator_version: int
    event: Event
    meta: Metadata

    @property
    def timestamp(self) -> datetime:
        return datetime.fromisoformat(self.meta.occurred_at)


class EventMapper(Mapper[UUID]):
    """Maps ``RecordedEvent`` to the library's ``StoredEvent`` through ``infra.eventstore.codec``."""

    def __init__(self) -> None:
        super().__init__(transcoder=JSONTranscoder())
        self.keys: KeyRing | None = None  # personal data under per-subject keys (erasure)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        seal = self.keys.seal if self.keys else None
        return StoredEvent(domain_event.originator_id, domain_event.originator_version,
                           domain_event.event.type_name(),
                           codec.encode(domain_event.event, domain_event.meta, seal))

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        reveal = self.keys.reveal if self.keys else None
        event, meta = codec.decode(stored_event.topic, stored_event.state, reveal)
        return RecordedEvent(UUID(str(stored_event.originator_id)),
                             stored_event.originator_version, event, meta)


class SalesApplication(Application[UUID]):
    name = "sfa"

    def construct_mapper(self) -> Mapper[UUID]:
        return EventMapper()


@dataclass(frozen=True)
class Loaded:
    """An aggregate's state at ``version``; ``first`` is its creation event (for idempotency)."""

    state: Any
    version: int
    first: RecordedEvent | None


class StateCache:
    """Recently loaded states by stream: a load then reads only the events after the cached
    version. Safe because stored events never change: a cached state is always a true
    prefix, and a newer event written elsewhere is found by the catch-up read."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.entries: OrderedDict[UUID, tuple[str, Loaded]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, aggregate: str, stream_id: UUID) -> Loaded | None:
        with self.lock:
            entry = self.entries.get(stream_id)
            if entry is None or entry[0] != aggregate:
                return None
            self.entries.move_to_end(stream_id)
            return entry[1]

    def peek(self, stream_id: UUID) -> tuple[str, Loaded] | None:
        """The cached entry of a stream, of whatever aggregate, without refreshing its age."""
        with self.lock:
            return self.entries.get(stream_id)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def put(self, aggregate: str, stream_id: UUID, loaded: Loaded) -> None:
        with self.lock:
            current = self.entries.get(stream_id)
            if current is None or current[1].version <= loaded.version:
                self.entries[stream_id] = (aggregate, loaded)
                self.entries.move_to_end(stream_id)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


class EventStore:
    """The events of every aggregate in one log. A bounded wait that runs out in a method
    that reaches the database leaves it as ``DatabaseUnavailableError`` (``translating``)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.app = SalesApplication(env=db.dialect.eventsourcing_env())
        self.recorder: SQLiteSalesRecorder | PostgresSalesRecorder = self.app.recorder  # type: ignore[assignment]
        self.cache = StateCache()
        if db.dialect.persistent:
            self.keys = key_ring(db)
            self.duplicate_keys = DuplicateKeys.open(db)  # migrates plain keys
        else:  # service-layer tests: see infra.eventstore.memory
            self.keys, self.duplicate_keys = memory_keys()
        cast(EventMapper, self.app.mapper).keys = self.keys
        self._keys_seen = self.keys.generation

    @property
    def events_table(self) -> str:
        return self.recorder.events_table_name

    @property
    def backend(self) -> str:
        return self.settings.backend

    def close(self) -> None:
        self.app.close()

    @translating()
    def read_stream(self, stream_id: UUID, up_to_version: int | None = None) -> list[RecordedEvent]:
        return list(self.app.events.get(stream_id, lte=up_to_version))  # type: ignore[arg-type]

    @translating()
    def load(self, aggregate: AggregateType, stream_id: UUID,
             up_to_version: int | None = None) -> Loaded:
        """The aggregate's state, now or as of a version; current states come from the cache
        plus the events stored since."""
        if up_to_version is not None:
            return self.fold(aggregate, stream_id, Loaded(None, 0, None),
                              self.read_stream(stream_id, up_to_version))
        self._drop_cache_after_forget()
        start = self.cache.get(aggregate.name, stream_id) or Loaded(None, 0, None)
        newer = cast(list[RecordedEvent], list(self.app.events.get(stream_id, gt=start.version or None)))
        return self._cache_caught_up(aggregate, stream_id, start, newer)

    def _cache_caught_up(self, aggregate: AggregateType, stream_id: UUID, start: Loaded,
                         newer: list[RecordedEvent]) -> Loaded:
        """``start`` with the ``newer`` events folded in, cached (if the stream exists)."""
        loaded = self.fold(aggregate, stream_id, start, newer)
        if loaded.version:
            self.cache.put(aggregate.name, stream_id, loaded)
        return loaded

    def _drop_cache_after_forget(self) -> None:
        """Cached states hold decrypted personal data: a forget (here or in another process)
        drops them all."""
        self.keys.refresh()
        if self.keys.generation != self._keys_seen:
            self._keys_seen = self.keys.generation
            self.cache.clear()

    @staticmethod
    def fold(aggregate: AggregateType, stream_id: UUID, start: Loaded,
              events: list[RecordedEvent]) -> Loaded:
        state, first = start.state, start.first
        for recorded in events:
            if recorded.event.stream_type != aggregate.name:  # an id of another kind of record
                raise NotFoundError(f"{aggregate.name} {stream_id} not found")
            state = aggregate.evolve(state, recorded.event)
            first = first or recorded
        version = events[-1].originator_version if events else start.version
        return Loaded(state, version, first)

    @translating()
    def encode(self, records: Sequence[RecordedEvent]) -> list[StoredEvent]:
        """The stored form of events (canonical JSON): done by the command's own thread,
        so that the shared write transaction carries bytes only."""
        return [self.app.mapper.to_stored_event(r) for r in records]

    @translating()
    def append(self, records: Sequence[RecordedEvent],
               claimed_keys: Sequence[tuple[str, str]] = ()) -> int:
        """Stores the events atomically; returns the global position of the last one."""
        (position,) = self.insert_groups([Group(self.encode(records), claimed_keys)])
        if position is None:
            raise ConflictError(CONFLICT)
        return position

    @translating()
    def insert_groups(self, groups: Sequence[Group]) -> list[int | None]:
        """Stores encoded events of several commands in one transaction, straight through
        the recorder (the library's ``Application.save`` would only add snapshotting and
        in-process notification, neither used here). Each group is stored whole, or, when it
        conflicts with what is stored (None), not at all, the others being stored anyway;
        returns the last position of each group."""
        groups = self.duplicate_keys.groups(groups)
        return [positions[-1] if positions else None
                for positions in self.recorder.insert_event_groups(groups)]

    @property
    def writes_in_event_loop(self) -> bool:
        """Whether ``insert_groups_async`` exists for this backend (PostgreSQL)."""
        return self.recorder.writes_in_event_loop

    async def connect_async(self) -> "AsyncConnection[dict[str, Any]]":
        """A connection of an event loop's own for ``insert_groups_async``."""
        url = self.settings.database_url.replace("postgres://", "postgresql://", 1)
        return await AsyncConnection.connect(url, autocommit=True, row_factory=dict_row,
                                             connect_timeout=max(2, round(
                                                 self.settings.db_pool_timeout)),
                                             options=self.settings.postgres_options)

    async def insert_groups_async(self, conn: "AsyncConnection[dict[str, Any]]",
                                  groups: Sequence[Group]) -> list[int | None]:
        """``insert_groups`` awaited on ``conn`` (PostgreSQL only): no thread, so the event
        loop that decided the commands also stores them, with no hand-off or GIL to wait for."""
        recorder = cast(PostgresSalesRecorder, self.recorder)
        groups = self.duplicate_keys.groups(groups)
        return [positions[-1] if positions else None
                for positions in await recorder.insert_event_groups_async(conn, groups)]

    async def catch_up_async(self, conn: "AsyncConnection[dict[str, Any]]",
                             streams: Sequence[tuple[AggregateType, UUID]]) -> None:
        """Brings the cached states of ``streams`` up to what is stored, with one read awaited
        on ``conn`` (PostgreSQL only): ``load`` for the event loop, for several streams at
        once. A stream whose id is of another kind of record stays as it was."""
        self._drop_cache_after_forget()
        starts = {stream_id: (aggregate, self.cache.get(aggregate.name, stream_id)
                              or Loaded(None, 0, None)) for aggregate, stream_id in streams}
        recorder = cast(PostgresSalesRecorder, self.recorder)
        stored = await recorder.select_newer_events_async(
            conn, [(stream_id, start.version) for stream_id, (_, start) in starts.items()])
        newer: dict[UUID, list[RecordedEvent]] = {}
        for event in stored:
            recorded = cast(RecordedEvent, self.app.mapper.to_domain_event(event))
            newer.setdefault(recorded.originator_id, []).append(recorded)
        for stream_id, events in newer.items():
            aggregate, start = starts[stream_id]
            try:
                self._cache_caught_up(aggregate, stream_id, start, events)
            except NotFoundError:
                continue

    async def max_position_async(self, conn: "AsyncConnection[dict[str, Any]]") -> int:
        """``max_position`` awaited on ``conn`` (PostgreSQL only)."""
        return await cast(PostgresSalesRecorder, self.recorder).max_notification_id_async(conn)

    async def apply_stored_after_async(self, conn: "AsyncConnection[dict[str, Any]]",
                                       position: int, limit: int = 1000) -> tuple[int, int]:
        """Folds into the cached states the events stored after ``position`` (by anyone:
        our own are already in, and skipped), one read awaited on ``conn`` (PostgreSQL
        only); streams not cached are passed over. Returns the position reached and how many
        rows were read (``limit`` means there may be more)."""
        self._drop_cache_after_forget()
        recorder = cast(PostgresSalesRecorder, self.recorder)
        rows = await recorder.select_events_after_async(conn, position, limit)
        for _, stream_id, version, topic, state in rows:
            entry = self.cache.peek(stream_id)
            if entry is None or version != entry[1].version + 1:
                continue  # not cached, already in, or after a gap (the catch-up read's case)
            name, loaded = entry
            recorded = cast(RecordedEvent, self.app.mapper.to_domain_event(StoredEvent(
                originator_id=stream_id, originator_version=version, topic=topic,
                state=bytes(state))))
            try:
                self._cache_caught_up(AGGREGATES[name], stream_id, loaded, [recorded])
            except NotFoundError:
                continue
        return (rows[-1][0] if rows else position), len(rows)

    def cached(self, aggregate: AggregateType, stream_id: UUID) -> Loaded:
        """The last state this process saw of the stream, without reading the store (an
        unknown stream as empty). It may be stale: deciding on it is safe only because an
        append at a stale version fails on the (stream id, version) key."""
        self._drop_cache_after_forget()
        return self.cache.get(aggregate.name, stream_id) or Loaded(None, 0, None)

    def remember(self, aggregate: AggregateType, stream_id: UUID, before: Loaded,
                 records: Sequence[RecordedEvent]) -> None:
        """Caches the state after a successful append, so the next command on this stream
        need not read back what this process just wrote."""
        self.cache.put(aggregate.name, stream_id, self.fold(aggregate, stream_id, before,
                                                             list(records)))

    @translating()
    def find_claims(self, keys: Sequence[str]) -> dict[str, str]:
        """Who holds which of these (plain) keys; the table holds their keyed hashes."""
        hashed = {self.duplicate_keys.hash(key): key for key in keys}
        return {hashed[h]: record for h, record in self.recorder.find_claims(list(hashed)).items()}

    @translating()
    def notifications(self, after: int, limit: int = 1000,
                      topics: Sequence[str] = ()) -> Sequence[Notification]:
        return self.recorder.select_notifications(after, limit, topics=topics,
                                                  inclusive_of_start=False)

    @translating()
    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    @translating()
    def position_of(self, stream_id: UUID, version: int) -> int | None:
        """Where a stream's event stands in the global order (None: not stored)."""
        return self.recorder.position_of(stream_id, version)

    @translating()
    def decode(self, notification: Notification) -> RecordedEvent:
        return cast(RecordedEvent, self.app.mapper.to_domain_event(notification))

    @translating()
    def counts_by_type(self) -> dict[str, int]:
        sql = f"SELECT topic, COUNT(*) AS n FROM {self.events_table} GROUP BY topic"
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql)
            return {row["topic"]: row["n"] for row in cursor.fetchall()}


def creation_event_of(aggregate: AggregateType) -> str:
    return aggregate.event_types[0].type_name()


def aggregate_counts(counts_by_type: dict[str, int]) -> dict[str, int]:
    """Aggregates per type, counted by their creation events."""
    return {name: counts_by_type.get(creation_event_of(a), 0) for name, a in AGGREGATES.items()}


assert all(t in EVENT_TYPES for t in map(creation_event_of, AGGREGATES.values()))
