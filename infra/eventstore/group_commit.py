"""Group commit: appends from many threads go to the store in one transaction.

The first thread that finds nobody writing becomes the leader: it takes everything queued
so far and stores it at once, while the others wait; then the next leader takes what queued
meanwhile. One client alone sees no delay (its append is stored at once); many concurrent
clients share transactions, and so the table lock the store takes per insert and the
commit's fsync.

``append_async`` is the same for coroutines of one event loop (the API's command path): they
queue in the loop, and while a batch is being stored the loop goes on deciding the next
commands. On PostgreSQL the loop stores each batch itself, on a connection of its own,
awaited: no thread and no hand-off at all. (Measured: a writer thread had to wait for the
GIL behind the loop, which made a shared write 3–8 times slower under load.) On SQLite one
writer thread of the committer's own stores each batch: a command costs its share of one
hand-off per batch.

Each appending thread encodes its own events before it queues them, so the shared
transaction, during which every other writer waits, carries bytes only. Two appends of one
batch that write the same stream version (or claim the same key, or of which the later read
a stream the earlier writes) cannot both succeed: the later one fails at once with
``ConflictError``, without a trip to the store. An append that
conflicts with what another process stored meanwhile gets its ``ConflictError`` alone: the
others of its batch are stored all the same (``EventStore.insert_groups``).
"""

import asyncio
import logging
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import AsyncConnection

from domain.catalog import AggregateType
from infra.errors import ConflictError
from infra.eventstore.cache_follower import CacheFollower, Following
from infra.eventstore.recorders import Group, Unchanged
from infra.eventstore.store import CONFLICT, EventStore, RecordedEvent
from infra.sql.failures import translated

Claims = Sequence[tuple[str, str]]
log = logging.getLogger(__name__)
# Loop iterations the loop's writer lets pass before it takes a batch, so that requests the
# worker has already read are decided and join it. Each call of the append function costs
# about the same whatever its size (the table lock, the notify, the commit); under the
# bench's load batches held 1-8 commands, and 3-20 yields gave 10-15 % more commands/s and
# a lower p99 (bench/api.py). Alone, a command waits only for these few empty iterations.
GATHER_YIELDS = 6


@dataclass
class _Pending:
    records: Sequence[RecordedEvent]
    claims: Claims
    stored: Sequence[StoredEvent] = ()
    unchanged: Unchanged = ()
    position: int = 0
    error: Exception | None = None
    done: bool = False

    def keys(self) -> set[object]:
        return ({(r.originator_id, r.originator_version) for r in self.records}
                | {("claim", key) for key, _ in self.claims})

    def finish(self, position: int = 0, error: Exception | None = None) -> None:
        """A driver's bounded wait that ran out is handed on as ours (``infra.sql.failures``)."""
        self.position, self.done = position, True
        self.error = None if error is None else translated(error)


@dataclass
class _LoopQueue:
    """The appends of one event loop waiting to be stored, and the task storing them."""

    waiting: list[tuple[_Pending, "asyncio.Future[int]"]] = field(default_factory=list)
    writing: "asyncio.Task[None] | None" = None
    connection: "AsyncConnection[dict[str, Any]] | None" = None  # PostgreSQL: the loop's own
    reader: "AsyncConnection[dict[str, Any]] | None" = None  # for catch_up_async
    following: Following = field(default_factory=Following)  # PostgreSQL: the cache follower


@dataclass
class GroupCommitter:
    store: EventStore
    max_batch: int = 100
    _queue: list[_Pending] = field(default_factory=list)
    _flushing: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _loops: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopQueue]" = field(
        default_factory=weakref.WeakKeyDictionary)
    _writer: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="group-commit"))
    follower: CacheFollower | None = None  # PostgreSQL: see infra.eventstore.cache_follower

    def __post_init__(self) -> None:
        if self.follower is None and self.store.writes_in_event_loop:
            self.follower = CacheFollower(self.store)

    def append(self, records: Sequence[RecordedEvent], claims: Claims = (),
               unchanged: Unchanged = ()) -> int:
        """Stores ``records`` atomically (possibly with others'); returns the last position.
        ``unchanged``: streams the command only read, at the versions it read them."""
        pending = _Pending(records, claims, self.store.encode(records), unchanged)
        with self._cond:
            self._queue.append(pending)
            while not pending.done:
                if self._flushing:
                    self._cond.wait()
                else:
                    self._flush_a_batch()
        if pending.error is not None:
            try:
                raise pending.error
            finally:
                del pending  # see append_async
        return pending.position

    def _flush_a_batch(self) -> None:
        """Stores the oldest waiting batch; called holding the lock, released meanwhile."""
        self._flushing = True
        batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch:]
        self._cond.release()
        try:
            self._commit(batch)
        finally:
            self._cond.acquire()
            self._flushing = False
            self._cond.notify_all()

    async def append_async(self, records: Sequence[RecordedEvent], claims: Claims = (),
                           unchanged: Unchanged = ()) -> int:
        """``append`` for a coroutine: waits in the event loop, not in a thread. Each loop has
        a queue of its own (a process normally runs one)."""
        loop = asyncio.get_running_loop()
        queue = self._loops.setdefault(loop, _LoopQueue())
        answer: asyncio.Future[int] = loop.create_future()
        pending = _Pending(records, claims, self.store.encode(records), unchanged)
        queue.waiting.append((pending, answer))
        if self.follower is not None:
            self.follower.appending(queue.following)
        if queue.writing is None:
            queue.writing = loop.create_task(self._write_waiting(queue))
        try:
            return await answer
        finally:
            # A raised error's traceback holds this frame, and these hold the error: without
            # the del each conflict would leave a reference cycle (frames, states, events)
            # for the cyclic collector, whose pauses then stall every request of the loop.
            del answer, pending

    async def _write_waiting(self, queue: "_LoopQueue") -> None:
        """Stores what waits, a batch at a time, until nothing does."""
        loop = asyncio.get_running_loop()
        try:
            while queue.waiting:
                for _ in range(GATHER_YIELDS):
                    await asyncio.sleep(0)
                batch = queue.waiting[: self.max_batch]
                del queue.waiting[: self.max_batch]
                pendings = [pending for pending, _ in batch]
                try:
                    if self.store.writes_in_event_loop:
                        await self._commit_in_loop(queue, pendings)
                    else:
                        await loop.run_in_executor(self._writer, self._commit, pendings)
                except Exception:  # noqa: BLE001, S110 — each pending holds its own error
                    pass
                for pending, answer in batch:
                    if answer.done():  # the request was cancelled meanwhile
                        continue
                    if pending.error is not None:
                        answer.set_exception(pending.error)
                    else:
                        answer.set_result(pending.position)
        finally:
            queue.writing = None

    async def _commit_in_loop(self, queue: "_LoopQueue", batch: list[_Pending]) -> None:
        kept = _without_inner_conflicts(batch)
        if not kept:
            return
        try:
            if queue.connection is None or queue.connection.closed:
                queue.connection = await self.store.connect_async()
            groups = [Group(p.stored, p.claims, p.unchanged) for p in kept]
            positions = await self.store.insert_groups_async(queue.connection, groups)
        except BaseException as error:  # never leave a waiting request without an answer
            await self._drop_broken(queue)
            for pending in kept:
                pending.finish(error=error if isinstance(error, Exception)
                               else RuntimeError("the write was interrupted"))
            raise
        _finish(kept, positions)

    async def catch_up_async(self, streams: Sequence[tuple[AggregateType, UUID]]) -> bool:
        """Brings the cached states of ``streams`` up to date in the event loop (PostgreSQL),
        on a read connection of the loop's own (the write connection may be busy storing a
        batch): a command that conflicted on a stale state is decided again right here, with
        no worker thread. False if the read failed (the caller then takes the thread path,
        whose pool reconnects; a broken connection is replaced next time; SQLite: always)."""
        if not self.store.writes_in_event_loop:
            return False
        queue = self._loops.setdefault(asyncio.get_running_loop(), _LoopQueue())
        try:
            if queue.reader is None or queue.reader.closed:
                queue.reader = await self.store.connect_async()
            await self.store.catch_up_async(queue.reader, streams)
            return True
        except psycopg.Error as error:
            log.warning("catching up in the event loop failed, using a thread: %s", error)
            await self._drop_broken(queue, "reader")
            return False

    @staticmethod
    async def _drop_broken(queue: "_LoopQueue", slot: str = "connection") -> None:
        """A connection (``slot``: the loop's write connection, or its reader) that failed is
        replaced by the next use. Whether a failed batch was stored is unknown, as with any
        lost commit: its requests get the error."""
        connection = getattr(queue, slot)
        if connection is not None and connection.broken:
            await connection.close()
            setattr(queue, slot, None)

    async def aclose(self) -> None:
        """Closes the running loop's connections (the app's shutdown)."""
        queue = self._loops.get(asyncio.get_running_loop())
        if queue is None:
            return
        if self.follower is not None:
            await self.follower.aclose(queue.following)
        for connection in (queue.connection, queue.reader):
            if connection is not None:
                await connection.close()
        queue.connection = queue.reader = None

    def close(self) -> None:
        self._writer.shutdown(wait=True)

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            self._store(_without_inner_conflicts(batch))
        except BaseException as error:  # never leave a waiting thread without an answer
            for pending in batch:
                if not pending.done:
                    pending.finish(error=error if isinstance(error, Exception)
                                   else RuntimeError("the write was interrupted"))
            raise

    def _store(self, batch: list[_Pending]) -> None:
        if not batch:
            return
        try:
            positions = self.store.insert_groups(
                [Group(p.stored or self.store.encode(p.records), p.claims, p.unchanged)
                 for p in batch])
        except Exception as error:  # noqa: BLE001 — handed to each thread that appended
            for pending in batch:
                pending.finish(error=error)
            return
        _finish(batch, positions)


def _finish(batch: list[_Pending], positions: Sequence[int | None]) -> None:
    for pending, position in zip(batch, positions, strict=True):
        if position is None:  # this one lost a race with what is stored
            pending.finish(error=ConflictError(CONFLICT))
        else:
            pending.finish(position)


def _without_inner_conflicts(batch: list[_Pending]) -> list[_Pending]:
    """Fails, at once, each append that writes a stream version or claims a key an earlier
    append of the same batch writes, or that read a stream an earlier one writes; returns
    the others."""
    taken: set[object] = set()
    written: set[object] = set()
    kept = []
    for pending in batch:
        keys = pending.keys()
        if keys & taken or {stream_id for stream_id, _ in pending.unchanged} & written:
            pending.finish(error=ConflictError(CONFLICT))
            continue
        taken |= keys
        written |= {r.originator_id for r in pending.records}
        kept.append(pending)
    return kept
