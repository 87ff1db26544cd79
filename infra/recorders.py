"""Event recorders that also claim duplicate keys in the same transaction as the events.

A lead or contact "claims" its normalised email / phone / company+person keys when it is
first stored. The claim table has the key as its primary key, so two concurrent captures
of the same person cannot both claim it: the loser's whole transaction (events included)
fails with an ``IntegrityError``, its command is retried, and on the retry it sees the
claim and is flagged as a duplicate instead of silently being created twice.
Pass the keys as ``claimed_keys=[(key, record_id), ...]`` to ``insert_events``.

On PostgreSQL an insert is one round trip: the claims, the table lock, the events, the
notification and the commit go down one pipeline with a single sync at the end. The
library's own insert syncs once after the events to raise a conflict early and then commits
in a second round trip, so the table lock (which serialises every writer of every process)
stayed held while the client came back for the commit — and a client process busy with other
requests may take milliseconds to come back. Here the lock lasts only as long as the server
needs; a conflict still arrives as the library's ``IntegrityError``.
"""

from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresRecorder,
    PostgresTrackingRecorder,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL

KEYS_TABLE = "sfa_duplicate_keys"
CREATE_KEYS_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (key TEXT PRIMARY KEY, record_id TEXT NOT NULL)"
)


def topic_index(events_table: str) -> str:
    """Readers that follow a few event types (the flows, the directory) select by topic."""
    return f"CREATE INDEX IF NOT EXISTS {events_table}_topic_idx ON {events_table} (topic)"


Claims = Sequence[tuple[str, str]]
SCHEMA_LOCK = 4242001  # one creator of tables at a time, across processes (pg_advisory_xact_lock)


class SQLiteSalesRecorder(SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), CREATE_KEYS_TABLE,
                topic_index(self.events_table_name)]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        claims: Claims = kwargs.get("claimed_keys") or ()
        for key, record_id in claims:
            c.execute(f"INSERT INTO {KEYS_TABLE} VALUES (?, ?)", (key, record_id))
        return super()._insert_events(c, stored_events, **kwargs)

    def find_claims(self, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT key, record_id FROM {KEYS_TABLE} WHERE key IN ({marks})", list(keys))
            return {row["key"]: row["record_id"] for row in c.fetchall()}


class SchemaLocked(PostgresRecorder):
    """Creates the library's schema while holding an advisory lock: processes starting
    together on a new database (``sfa serve --workers 2``) would otherwise race on
    ``CREATE OR REPLACE FUNCTION`` ("tuple concurrently updated"), on a type's name, or on
    the tracking table's migration record. A session lock, held on a connection of its own,
    because the library creates the schema over several transactions."""

    def create_table(self) -> None:
        with self.datastore.get_connection() as conn:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                super().create_table()
            finally:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))


class PostgresSalesTrackingRecorder(SchemaLocked, PostgresTrackingRecorder):
    """The library's tracking recorder (the flows' position), its schema created locked."""


class PostgresSalesRecorder(SchemaLocked, PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements.append(SQL(CREATE_KEYS_TABLE))  # type: ignore[arg-type]
        self.sql_create_statements.append(SQL(topic_index(self.events_table_name)))  # type: ignore[arg-type]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        claims: Claims = kwargs.get("claimed_keys") or ()
        failure: Exception | None = None
        with self.datastore.get_connection() as conn:
            inserted = conn.cursor()
            with conn.pipeline():
                try:
                    with conn.transaction(), conn.cursor() as curs:
                        self._queue_insert(curs, inserted, stored_events, claims)
                except psycopg.IntegrityError as error:
                    failure = IntegrityError(str(error))
                except Exception as error:  # noqa: BLE001 — re-raised once the pipeline is closed
                    failure = error
            if failure is not None:
                inserted.close()
                raise failure
            ids = [row["notification_id"] for row in inserted.fetchall()]
            inserted.close()
        if len(ids) != len(stored_events):
            raise IntegrityError(f"stored {len(ids)} of {len(stored_events)} events")
        return ids

    def _queue_insert(self, curs: Cursor[DictRow], inserted: Cursor[DictRow],
                      stored_events: Sequence[StoredEvent], claims: Claims) -> None:
        """Queues the whole write; nothing is sent until the transaction's end."""
        if claims:
            curs.executemany(f"INSERT INTO {KEYS_TABLE} VALUES (%s, %s)", list(claims))
        self._lock_table(curs)
        self._notify_channel(curs)
        rows = [self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic,
                                               e.state) for e in stored_events]
        inserted.execute(self.insert_events_statement, (rows,))

    def find_claims(self, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(f"SELECT key, record_id FROM {KEYS_TABLE} WHERE key = ANY(%s)",
                         (list(keys),))
            return {row["key"]: row["record_id"] for row in curs.fetchall()}
