"""How decided events reach the store: one protocol, two ways.

- ``SimpleCommitter``: one transaction per call, in the calling thread (a coroutine's call
  runs in a worker thread).
- ``GroupCommitter`` (``infra.eventstore.group_commit``): concurrent calls share
  transactions; on PostgreSQL an event loop stores its own batches, awaited.

``committer_for`` picks one from the store's settings (``SFA_GROUP_COMMIT``, grouped by
default); the command path sees only the protocol.
"""

import asyncio
from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from domain.catalog import AggregateType
from infra.errors import ConflictError
from infra.eventstore.group_commit import GroupCommitter
from infra.eventstore.recorders import Group, Unchanged
from infra.eventstore.store import CONFLICT, EventStore, RecordedEvent

Claims = Sequence[tuple[str, str]]


class Committer(Protocol):
    def append(self, records: Sequence[RecordedEvent], claims: Claims = (),
               unchanged: Unchanged = ()) -> int:
        """Stores ``records`` and their ``claims`` atomically, if every stream of
        ``unchanged`` is still at its version (else ``ConflictError``); the last position."""

    async def append_async(self, records: Sequence[RecordedEvent], claims: Claims = (),
                           unchanged: Unchanged = ()) -> int:
        """``append`` awaited."""

    async def catch_up_async(self, streams: Sequence[tuple[AggregateType, UUID]]) -> bool:
        """Brings the cached states of ``streams`` up to date without a thread, if this
        committer can (False: the caller reads in a thread)."""

    async def aclose(self) -> None:
        """Closes what the running event loop holds."""

    def close(self) -> None:
        """Closes what the committer holds."""


class SimpleCommitter:
    """One transaction per append (``EventStore.insert_groups``)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def append(self, records: Sequence[RecordedEvent], claims: Claims = (),
               unchanged: Unchanged = ()) -> int:
        (position,) = self.store.insert_groups([Group(self.store.encode(records), claims,
                                                      unchanged)])
        if position is None:
            raise ConflictError(CONFLICT)
        return position

    async def append_async(self, records: Sequence[RecordedEvent], claims: Claims = (),
                           unchanged: Unchanged = ()) -> int:
        return await asyncio.to_thread(self.append, records, claims, unchanged)

    async def catch_up_async(self, streams: Sequence[tuple[AggregateType, UUID]]) -> bool:
        return False

    async def aclose(self) -> None:
        return None

    def close(self) -> None:
        return None


def committer_for(store: EventStore) -> Committer:
    """The committer the store's settings ask for."""
    if store.settings.group_commit:
        return GroupCommitter(store)
    return SimpleCommitter(store)
