"""Group commit: appends from many threads go to the store in one transaction.

The first thread that finds nobody writing becomes the leader: it takes everything queued
so far and stores it at once, while the others wait; then the next leader takes what queued
meanwhile. One client alone sees no delay (its append is stored at once); many concurrent
clients share transactions, and so the table lock the store takes per insert and the
commit's fsync.

Each appending thread encodes its own events before it queues them, so the shared
transaction, during which every other writer waits, carries bytes only. Two appends of one
batch that write the same stream version (or claim the same key) cannot both succeed: the
later one fails at once with ``ConflictError``, without a trip to the store. If a shared
transaction fails anyway (a race with another process), the batch is split in halves and
each half retried, so only the loser gets its ``ConflictError`` and a batch of n costs
about log2(n) extra transactions, not n.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from eventsourcing.persistence import StoredEvent

from infra.errors import ConflictError
from infra.store import EventStore, RecordedEvent

Claims = Sequence[tuple[str, str]]


@dataclass
class _Pending:
    records: Sequence[RecordedEvent]
    claims: Claims
    stored: Sequence[StoredEvent] = ()
    position: int = 0
    error: Exception | None = None
    done: bool = False

    def keys(self) -> set[object]:
        return ({(r.originator_id, r.originator_version) for r in self.records}
                | {("claim", key) for key, _ in self.claims})

    def finish(self, position: int = 0, error: Exception | None = None) -> None:
        self.position, self.error, self.done = position, error, True


@dataclass
class GroupCommitter:
    store: EventStore
    max_batch: int = 100
    _queue: list[_Pending] = field(default_factory=list)
    _flushing: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def append(self, records: Sequence[RecordedEvent], claims: Claims = ()) -> int:
        """Stores ``records`` atomically (possibly with others'); returns the last position."""
        pending = _Pending(records, claims, self.store.encode(records))
        with self._cond:
            self._queue.append(pending)
            while not pending.done:
                if self._flushing:
                    self._cond.wait()
                    continue
                self._flushing = True
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch:]
                self._cond.release()
                try:
                    self._commit(batch)
                finally:
                    self._cond.acquire()
                    self._flushing = False
                    self._cond.notify_all()
        if pending.error is not None:
            raise pending.error
        return pending.position

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
                [(p.stored or self.store.encode(p.records), p.claims) for p in batch])
        except ConflictError as error:
            if len(batch) == 1:
                batch[0].finish(error=error)
                return
            half = len(batch) // 2  # someone lost a race: find out who, halving
            self._store(batch[:half])
            self._store(batch[half:])
            return
        except Exception as error:  # noqa: BLE001 — handed to each thread that appended
            for pending in batch:
                pending.finish(error=error)
            return
        for pending, position in zip(batch, positions, strict=True):
            pending.finish(position)


def _without_inner_conflicts(batch: list[_Pending]) -> list[_Pending]:
    """Fails, at once, each append that writes a stream version or claims a key an earlier
    append of the same batch writes; returns the others."""
    taken: set[object] = set()
    kept = []
    for pending in batch:
        keys = pending.keys()
        if keys & taken:
            pending.finish(error=ConflictError("the record was changed by another writer; "
                                               "reload and try again"))
            continue
        taken |= keys
        kept.append(pending)
    return kept
