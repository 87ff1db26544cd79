"""Runs projections: read a page of events, apply it in memory, write rows + position at once.

A ``ProjectorGroup`` drives several projection generations over one read of the log: each
member applies only events after its own position, so members at different positions can
share the work. Per batch, every member's changed rows and its new position are written in
one transaction; the position only moves if nobody else moved it (see
``ReadStore.advance``), so each event counts exactly once even after ``kill -9``.
An event a member cannot apply, or whose rows the database refuses (PostgreSQL refuses a NUL
character in text, a number out of range, ...), stops that member alone (the error names
position, type and stream) and leaves the others running: when a batch cannot be stored,
the group stores each member alone, then the failing member event by event, to find it.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from infra.eventstore.event_reader import EventReader
from infra.readside.leases import IDLE_TRANSACTION_SECONDS, Fence, LeaseLostError, check_fences
from infra.readside.readstore import Generation, ReadStore
from infra.readside.row_cache import Changes, RowCache
from infra.readside.segments import segment_of
from infra.sql.database import Connection, Database
from projections.base import EventRecord, Projection

log = logging.getLogger(__name__)


class UnreadableEventError(Exception):
    """A stored event the reader could not decode (``EventRecord.problem``)."""


class PositionMovedError(Exception):
    """Another runner advanced this generation: reload state and go on from there."""


class BatchAbandonedError(Exception):
    """While a batch was applied, the one before it turned out not stored: the group reloaded
    its positions and caches, and what was applied of this batch is dropped."""


@dataclass(frozen=True)
class Advance:
    name: str
    generation: int
    expected: int
    position: int
    fence: Fence | None = None  # the lease the batch was applied under (``infra.readside.leases``)
    segment: int | None = None  # of a generation built in segments (``infra.readside.segments``)


class BatchWriter:
    """Commits batches on a connection and thread of its own, one at a time and in order,
    so the database works on batch N while the projector applies batch N+1. Each batch is
    one transaction: every member's rows and new position, or nothing — and nothing if a
    member's lease changed holder meanwhile (``LeaseLostError``)."""

    def __init__(self, db: Database, store: ReadStore) -> None:
        self.db, self.store = db, store
        self.conn = db.connect()
        db.dialect.end_idle_transactions(self.conn, IDLE_TRANSACTION_SECONDS)
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
                                          rate, a.segment):
                    raise PositionMovedError(a.name)
            check_fences(self.db, cursor, [a.fence for a in advances if a.fence is not None])

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
    fence: Fence | None = None  # held by this node's lease, if it takes part in sharing
    # (index, count): applies only the events of its segment's streams, from its own position
    segment: tuple[int, int] | None = None
    error: str | None = None
    rate: float | None = None
    topics: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        self.topics = frozenset(self.projection.topics)

    @property
    def part(self) -> str:
        """What it applies, unique in its group: the model, or ``model/i``, a segment."""
        name = self.projection.name
        return name if self.segment is None else f"{name}/{self.segment[0]}"

    @property
    def index(self) -> int | None:
        return self.segment[0] if self.segment is not None else None

    def takes(self, event: EventRecord) -> bool:
        return self.segment is None or segment_of(event.stream_id, self.segment[1]) == self.segment[0]


def describe_failure(event: EventRecord, error: Exception) -> str:
    """One line naming the event and the error (database messages run over several lines)."""
    reason = (str(error).strip().splitlines() or [""])[0]
    return one_line(f"position {event.position}: {event.type} of stream {event.stream_id}: "
                    f"{type(error).__name__}: {reason}")


def one_line(text: str, limit: int = 500) -> str:
    """Text safe to store and print: no NUL or line breaks (the reason may quote the data)."""
    return " ".join(text.replace("\x00", "\\x00").split())[:limit]


class ProjectorGroup:
    def __init__(self, db: Database, store: ReadStore, conn: Connection, batch_size: int = 1000,
                 log: Database | None = None, log_conn: Connection | None = None) -> None:
        """Rows and positions go to ``db`` (on ``conn``, and the writer's connection); the
        events come from ``log``, the event store's database (by default the same), on
        ``log_conn``. The caller owns both connections."""
        self.db, self.store, self.conn, self.batch_size = db, store, conn, batch_size
        self.reader = EventReader(log or db)
        self.log_conn = log_conn or conn
        self.members: list[Member] = []
        self.writer = BatchWriter(db, store)
        self._by_topic: dict[str, list[Member]] | None = None
        self.submitted_end = 0  # the end of the last batch handed to the writer
        self.isolate_until = 0  # after a batch was not stored: members store alone up to here

    def close(self) -> None:
        self.writer.close()

    def add(self, projection: Projection, generation: Generation, fence: Fence | None = None,
            cache: RowCache | None = None, segment: tuple[int, int, int] | None = None) -> Member:
        """A generation stopped by an event earlier (error after its position) stays stopped.
        With a ``fence``, its batches are stored only while that lease holds. ``cache``: one
        made for this generation at its position (``infra.readside.warm_caches``), else a
        new one. ``segment``: (index, count, position) of a generation built in segments,
        which this member applies alone."""
        position = generation.position if segment is None else segment[2]
        if cache is None:
            complete = position == 0 and generation.status == "building"
            cache = self._cache(projection, generation.generation, complete)
        cache.conn = self.conn
        member = Member(projection, generation.generation, position, cache, fence,
                        segment[:2] if segment is not None else None)
        if generation.error_position is not None and generation.error_position > generation.position:
            member.error = generation.last_error or f"stopped at {generation.error_position}"
        self.members.append(member)
        self._by_topic = None
        return member

    def remove(self, parts: set[str]) -> None:
        """Lets the members of ``parts`` (``Member.part``) go, once everything applied is
        stored."""
        self.flush()
        self.members = [m for m in self.members if m.part not in parts]
        self._by_topic = None

    @property
    def running(self) -> list[Member]:
        return [m for m in self.members if m.error is None]

    def topics(self) -> list[str]:
        return sorted(set().union(*(m.topics for m in self.running)))

    def step(self) -> int:
        """One batch; returns how many events it read (0 when every member is at the head
        and everything is stored). The batch is committed in the background: ``flush()``
        waits for it."""
        members = self.running
        if not members:
            return 0
        started = time.perf_counter()
        start = min(m.position for m in members)
        head = self.head()  # read first: every event up to it is visible below
        events = self.reader.read(self.log_conn, start, self.batch_size, self.topics())
        # A short page holds every event of our types up to ``head``: skip the others too.
        # (It may also hold events committed after we read ``head``: never end before them.)
        last = events[-1].position if events else start
        end = last if len(events) == self.batch_size else max(head, start, last)
        if end == start:
            return 0 if self.flush() else 1
        try:
            if start < self.isolate_until:
                self._step_alone(members, events, end)
                return max(len(events), 1)
            self._apply(events)
        except BatchAbandonedError:
            return max(len(events), 1)  # the next step starts again from the stored positions
        self._commit([m for m in members if m.error is None and m.position < end], end,
                     len(events), time.perf_counter() - started)
        return max(len(events), 1)

    def head(self) -> int:
        """The position of the newest event in the log."""
        return self.reader.head(self.log_conn)

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
                if member.error is None and event.position > member.position \
                        and member.takes(event):
                    self._apply_one(member, event)

    def _apply_one(self, member: Member, event: EventRecord) -> None:
        try:
            if event.problem is not None:
                raise UnreadableEventError(event.problem)
            member.projection.apply(event, member.cache)
        except Exception as error:  # any failure stops only this member (re-raised if abandoned)
            if not self.flush():  # the batch before was refused: the group reloaded
                raise BatchAbandonedError(member.projection.name) from error
            self._stop(member, event, error)

    def _stop(self, member: Member, event: EventRecord, error: Exception) -> None:
        member.error = describe_failure(event, error)
        log.error("projection %s stopped at %s", member.projection.name, member.error)
        self.store.record_failure(self.conn, member.projection.name, member.generation,
                                  event.position, member.error)

    def _commit(self, members: list[Member], end: int, count: int, seconds: float) -> None:
        rate = count / seconds if count and seconds > 0 else None
        changes = [c for m in members for c in m.cache.take_changes()]
        advances = [Advance(m.projection.name, m.generation, m.position, end, m.fence,
                            m.index) for m in members]
        try:
            self.writer.submit(changes, advances, rate)
        except LeaseLostError:
            raise  # the node's share changed: its follower starts afresh (never stored)
        except PositionMovedError:
            self.reload()  # the previous batch was refused: redo from the stored positions
            return
        except Exception as error:  # noqa: BLE001 — the previous batch was not stored
            return self._not_stored(error)
        self.submitted_end = max(self.submitted_end, end)
        for m in members:
            m.position, m.rate = end, rate
            m.cache.forget_past_bound()  # the batch before this one is committed

    def flush(self) -> bool:
        """Waits until every applied batch is stored; False if it was refused (the group
        then reloaded and goes on from the stored positions)."""
        try:
            self.writer.wait()
        except LeaseLostError:
            raise
        except PositionMovedError:
            self.reload()
            return False
        except Exception as error:  # noqa: BLE001 — see ``_not_stored``
            self._not_stored(error)
            return False
        return True

    def _not_stored(self, error: Exception) -> None:
        """A batch failed as a whole: its generation may have been swapped out and dropped
        (``reload`` lets it go), or one member's rows for one event are refused. Until the
        positions pass what was submitted, each member stores alone (``_step_alone``)."""
        log.warning("read-model batch not stored (%s); storing model by model",
                    one_line(str(error), 200))
        self.reload()
        self.isolate_until = max(self.submitted_end, self.isolate_until)

    def _step_alone(self, members: list[Member], events: list[EventRecord], end: int) -> None:
        for member in members:
            mine = [e for e in events if e.type in member.topics and e.position > member.position
                    and member.takes(e)]
            try:
                self._store_alone(member, mine, max(end, member.position))
            except PositionMovedError:
                self.reload()
                return

    def _store_alone(self, member: Member, events: list[EventRecord], end: int) -> None:
        """The member's part of a page in one transaction of its own; if that is refused,
        event by event, to name the one whose rows cannot be stored."""
        for event in events:
            self._apply_one(member, event)
            if member.error:
                return
        try:
            self._store_now(member, end)
            return
        except (PositionMovedError, LeaseLostError):
            raise
        except Exception as error:  # noqa: BLE001
            log.warning("read model %s: batch refused (%s); event by event",
                        member.projection.name, one_line(str(error), 200))
        if not self._reset(member):
            raise PositionMovedError(member.projection.name)
        for event in events:
            if event.position > member.position and not self._store_event(member, event):
                return
        self._store_now(member, end)

    def _store_event(self, member: Member, event: EventRecord) -> bool:
        """Applies and stores one event; a refusal seen twice while the database answers
        and the generation is still ours stops the member. False if it stopped."""
        for attempt in (1, 2):
            self._apply_one(member, event)
            if member.error:
                return False
            try:
                self._store_now(member, event.position)
                return True
            except (PositionMovedError, LeaseLostError):
                raise
            except Exception as error:  # judged below
                if not self._reset(member):
                    raise PositionMovedError(member.projection.name) from error
                if attempt == 2:
                    self.conn.execute("SELECT 1")  # an unreachable database raises here
                    self._stop(member, event, error)
        return False

    def _store_now(self, member: Member, end: int) -> None:
        advance = Advance(member.projection.name, member.generation, member.position, end,
                          member.fence, member.index)
        self.writer.submit(member.cache.take_changes(), [advance], None)
        self.writer.wait()
        member.position = end
        member.cache.forget_past_bound()

    def _reset(self, member: Member) -> bool:
        """Position from the registry and a fresh cache; False if the generation is gone."""
        found = next((g for g in self.store.generations(self.conn, member.projection.name)
                      if g.generation == member.generation), None)
        if found is None or found.status == "retired":
            return False
        member.position = self._stored_position(member, found)
        member.cache = self._cache(member.projection, member.generation, False)
        return True

    def _stored_position(self, member: Member, generation: Generation) -> int:
        if member.segment is None:
            return generation.position
        positions = self.store.segment_positions(self.conn)
        return positions[(member.projection.name, member.generation)][member.segment[0]]

    def _cache(self, projection: Projection, generation: int, complete: bool) -> RowCache:
        return RowCache(self.store, self.conn, projection.tables, generation, complete,
                        self.db.settings.projection_cache_rows)

    def reload(self) -> None:
        """Forget the caches and take positions from the registry (another runner moved).
        A member whose generation was retired and dropped meanwhile leaves the group."""
        try:
            self.writer.wait()  # a batch still in flight may yet commit: know before reloading
        except Exception as error:  # noqa: BLE001 — refused or failed: nothing of it was stored
            log.info("read-model batch not stored: %s", one_line(str(error), 200))
        self._by_topic = None
        registry = {(g.name, g.generation): g for g in self.store.generations(self.conn)}
        kept = []
        for m in self.members:
            generation = registry.get((m.projection.name, m.generation))
            if generation is None or generation.status == "retired":
                continue
            m.position = self._stored_position(m, generation)
            m.cache = self._cache(m.projection, m.generation, False)
            kept.append(m)
        self.members = kept

    def run_until_caught_up(self) -> None:
        while self.step():
            pass
