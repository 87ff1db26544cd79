"""Group commit: appends from many threads go to the store in one transaction.

The first thread that finds nobody writing becomes the leader: it takes everything queued
so far and stores it at once, while the others wait; then the next leader takes what queued
meanwhile. One client alone sees no delay (its append is stored at once); many concurrent
clients share transactions, and so the table lock the store takes per insert. If a shared
transaction fails (one append lost an optimistic-concurrency race), each append of it is
retried alone, so only the loser gets its ``ConflictError``.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from infra.errors import ConflictError
from infra.store import EventStore, RecordedEvent

Claims = Sequence[tuple[str, str]]


@dataclass
class _Pending:
    records: Sequence[RecordedEvent]
    claims: Claims
    position: int = 0
    error: Exception | None = None
    done: bool = False


@dataclass
class GroupCommitter:
    store: EventStore
    max_batch: int = 100
    _queue: list[_Pending] = field(default_factory=list)
    _flushing: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def append(self, records: Sequence[RecordedEvent], claims: Claims = ()) -> int:
        """Stores ``records`` atomically (possibly with others'); returns the last position."""
        pending = _Pending(records, claims)
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
        if len(batch) > 1:
            try:
                positions = self.store.append_groups([(p.records, p.claims) for p in batch])
            except ConflictError:
                pass  # someone in the batch lost a race: find out who, one by one
            else:
                for pending, position in zip(batch, positions, strict=True):
                    pending.position, pending.done = position, True
                return
        for pending in batch:
            try:
                pending.position = self.store.append(pending.records, pending.claims)
            except Exception as error:  # noqa: BLE001 — handed to the thread that appended
                pending.error = error
            pending.done = True
