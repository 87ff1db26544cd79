"""Event recorders that also claim duplicate keys in the same transaction as the events.

A lead or contact "claims" its normalised email / phone / company+person keys when it is
first stored. The claim table has the key as its primary key, so two concurrent captures
of the same person cannot both claim it: the loser's whole transaction (events included)
fails with an ``IntegrityError``, its command is retried, and on the retry it sees the
claim and is flagged as a duplicate instead of silently being created twice.
Pass the keys as ``claimed_keys=[(key, record_id), ...]`` to ``insert_events``.

On PostgreSQL an insert is one statement, one round trip and one transaction: a call of the
function ``<events table>_append`` (created with the schema) that claims the keys, takes the
table lock, notifies the followers and inserts the events, with the events and claims as six
plain arrays. The table lock, which serialises every writer of every process so that
positions commit in order, is held only while the server runs that statement — the
library's own insert holds it across two round trips, until the client comes back for the
commit. The client's work is small too: one prepared statement, no composed SQL and no
composite-type rows to build per insert. A conflict still arrives as the library's
``IntegrityError``.
"""

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresRecorder,
    PostgresTrackingRecorder,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg.sql import SQL, Composed, Identifier

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
        self.sql_create_statements.append(self._append_function())
        function = Identifier(self.datastore.schema, f"{self.events_table_name}_append")
        self.append_statement = SQL(
            "SELECT notification_id FROM {}(%s::{}[], %s::bigint[], %s::text[], %s::bytea[], "
            "%s::text[], %s::text[]) AS notification_id"
        ).format(function, Identifier(self.datastore.originator_id_type)).as_bytes(None)

    def _append_function(self) -> Composed:
        """Claims, lock, notification and events in one server-side call (see the module)."""
        return SQL(
            "CREATE OR REPLACE FUNCTION {function}(ids {id_type}[], versions bigint[], "
            "topics text[], states bytea[], claim_keys text[], claim_records text[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $body$ "
            "BEGIN "
            "INSERT INTO {keys} (key, record_id) SELECT * FROM unnest(claim_keys, claim_records); "
            "SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "LOCK TABLE {table} IN EXCLUSIVE MODE; "
            "NOTIFY {channel}; "
            "RETURN QUERY INSERT INTO {table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id; "
            "END $body$"
        ).format(function=Identifier(self.datastore.schema, f"{self.events_table_name}_append"),
                 id_type=Identifier(self.datastore.originator_id_type),
                 keys=Identifier(self.datastore.schema, KEYS_TABLE),
                 lock_timeout=SQL(str(int(self.datastore.lock_timeout))),
                 table=Identifier(self.datastore.schema, self.events_table_name),
                 channel=Identifier(self.channel_name))

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        claims: Claims = kwargs.get("claimed_keys") or ()
        arrays = ([e.originator_id for e in stored_events],
                  [e.originator_version for e in stored_events],
                  [e.topic for e in stored_events], [e.state for e in stored_events],
                  [key for key, _ in claims], [record for _, record in claims])
        with self.datastore.get_connection() as conn:  # autocommit: the call is the transaction
            rows = conn.execute(self.append_statement, arrays, prepare=True).fetchall()
        ids = [row["notification_id"] for row in rows]
        if len(ids) != len(stored_events):
            raise IntegrityError(f"stored {len(ids)} of {len(stored_events)} events")
        return ids

    def find_claims(self, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(f"SELECT key, record_id FROM {KEYS_TABLE} WHERE key = ANY(%s)",
                         (list(keys),))
            return {row["key"]: row["record_id"] for row in curs.fetchall()}
