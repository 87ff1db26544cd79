"""The event store in memory (``SFA_DATABASE_URL=memory://``), for domain and service-layer tests.

Built on the ``eventsourcing`` library's POPO recorder, with what our SQLite and PostgreSQL
recorders (``infra.eventstore.recorders``) add to the library's: a command's duplicate keys
are claimed in the same atomic step as its events (a key already claimed, or claimed twice
by one insert, fails the whole insert with the library's ``IntegrityError``, nothing of it
stored), and an insert fails the same way when a stream it only read (``unchanged``) has an
event after the version it read. The subject keys and the duplicate keys' secret, which the
servers keep in side tables, live in memory too.

Each store opened on ``memory://`` is a database of its own, gone when it is dropped: there
is no second process to share it with. Store contracts, projectors, the API and fault tests
run on the real servers; this is for tests of decisions, not of storage.
"""

import os
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, cast

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from infra.eventstore.duplicate_keys import DuplicateKeys
from infra.eventstore.recorders import GroupsInOneTransaction
from infra.eventstore.subjects import RESERVE, KeyRing
from infra.sql.database import Database


class MemorySalesRecorder(GroupsInOneTransaction, POPOApplicationRecorder):
    """The library's in-memory application recorder, with duplicate-key claims and
    read-stream checks decided under the same lock as the events' own uniqueness."""

    events_table_name = "memory"
    writes_in_event_loop = False  # stored from a thread, like SQLite

    def __init__(self) -> None:
        super().__init__()
        self._claims: dict[str, str] = {}  # hashed key -> record id (sfa_duplicate_keys)

    def _assert_uniqueness(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._assert_uniqueness(stored_events)
        keys = [key for key, _ in kwargs.get("claimed_keys") or ()]
        if len(set(keys)) < len(keys) or any(key in self._claims for key in keys):
            raise IntegrityError(f"a duplicate key is claimed already: {keys}")
        for stream_id, version in kwargs.get("unchanged") or ():
            if version + 1 in self._stored_events_index.get(str(stream_id), {}):
                raise IntegrityError(f"stream {stream_id} changed after version {version}")

    def _update_table(self, stored_events: Sequence[StoredEvent], **kwargs: Any
                      ) -> Sequence[int] | None:
        self._claims.update(kwargs.get("claimed_keys") or ())
        return super()._update_table(stored_events)

    def position_of(self, stream_id: uuid.UUID, version: int) -> int | None:
        """The global position of a stream's event (None: not stored)."""
        with self._database_lock:
            index = self._stored_events_index[str(stream_id)].get(version)
            return None if index is None else index + 1

    def find_claims(self, keys: Sequence[str]) -> dict[str, str]:
        with self._database_lock:
            return {key: self._claims[key] for key in keys if key in self._claims}


class MemoryFactory(POPOFactory):
    """``PERSISTENCE_MODULE`` for ``memory://``: the library's POPO factory with our recorder."""

    def application_recorder(self) -> ApplicationRecorder:
        return MemorySalesRecorder()


class MemoryKeyRing(KeyRing):
    """Subject keys in a dict instead of ``sfa_subject_keys``: the same sealing, reserve and
    forgetting (a forgotten subject keeps a ``None`` tombstone), no connection."""

    def __init__(self) -> None:
        super().__init__(cast(Database, None))
        self._stored: dict[str, bytes | None] = {}

    def refill_reserve(self) -> None:
        rows = [(str(uuid.uuid4()), AESGCM.generate_key(256)) for _ in range(RESERVE)]
        with self._lock:
            self._stored.update(rows)
            self._keys.update(rows)
            self._reserve.extend(subject for subject, _ in rows)

    def forget(self, subjects: Iterable[str]) -> int:
        with self._lock:
            destroyed = 0
            for subject in subjects:
                destroyed += self._stored.get(subject) is not None
                self._stored[subject] = None
            self._keys.clear()
            self._reserve.clear()
            self.generation += 1
        return destroyed

    def refresh(self) -> bool:
        return False  # no other process: ``forget`` drops the cache itself

    def _create(self, subject: str) -> bool:
        with self._lock:
            if subject in self._stored:
                return False
            self._stored[subject] = self._keys[subject] = AESGCM.generate_key(256)
            return True

    def _load(self, subjects: list[str]) -> None:
        with self._lock:
            self._keys.update({subject: self._stored.get(subject) for subject in subjects})

    def close(self) -> None:
        pass


def memory_keys() -> tuple[KeyRing, DuplicateKeys]:
    """The subject keys and the duplicate keys' hasher of a new in-memory store."""
    return MemoryKeyRing(), DuplicateKeys(os.urandom(32))
