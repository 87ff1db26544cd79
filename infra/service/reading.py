"""What the services read of the store, and no more: states, a stream's history, who holds a
duplicate key, the head of the log, and ids whose personal-data keys are stored already."""

from collections.abc import Sequence
from uuid import UUID

from domain.catalog import AggregateType
from infra.eventstore.store import EventStore, Loaded, RecordedEvent


class Reading:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def load(self, aggregate: AggregateType, stream_id: UUID) -> Loaded:
        """The current state (a stream of another kind of record: ``NotFoundError``)."""
        return self.store.load(aggregate, stream_id)

    def cached(self, aggregate: AggregateType, stream_id: UUID) -> Loaded:
        """The state this process last saw, without a read (see ``EventStore.cached``)."""
        return self.store.cached(aggregate, stream_id)

    def history(self, stream_id: UUID) -> list[RecordedEvent]:
        return self.store.read_stream(stream_id)

    def find_claims(self, keys: Sequence[str]) -> dict[str, str]:
        """Who holds which of these duplicate keys."""
        return self.store.find_claims(keys)

    def max_position(self) -> int:
        return self.store.max_position()

    def reserved_id(self) -> UUID | None:
        """A new record's id from the key ring's reserve, if one is ready (no I/O)."""
        subject = self.store.keys.reserved_subject()
        return None if subject is None else UUID(subject)

    def new_id(self) -> UUID:
        """A new record's id whose personal-data key is stored already (refills the reserve)."""
        subject = self.store.keys.reserved_subject()
        while subject is None:
            self.store.keys.refill_reserve()
            subject = self.store.keys.reserved_subject()
        return UUID(subject)
