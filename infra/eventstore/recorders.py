"""Event recorders that also claim duplicate keys in the same transaction as the events.

A lead or contact "claims" its normalised email / phone / company+person keys when it is
first stored. The claim table has the key as its primary key, so two concurrent captures
of the same person cannot both claim it: the loser's whole transaction (events included)
fails with an ``IntegrityError``, its command is retried, and on the retry it sees the
claim and is flagged as a duplicate instead of silently being created twice.
Pass the keys as ``claimed_keys=[(key, record_id), ...]`` to ``insert_events``, and, as
``unchanged=[(stream_id, version), ...]``, streams the command only read: if any has an event
after that version, the insert fails the same way (it was decided on a stale state).

On PostgreSQL an insert is one statement, one round trip and one transaction: a call of the
function ``<events table>_append`` (created with the schema) that takes the table lock,
notifies the followers and stores groups of events with their claims (the commands of a
group commit), given as plain arrays. Each group is stored whole or, when it conflicts with
what is stored, not at all, while the other groups are stored: a stale command costs no one
else a retry. Its fast form (``<events table>_append_together``) finds the conflicting
groups with one query and stores the rest with one INSERT each for claims and events; the
block-per-group form is the fallback for a batch whose own claims collide. The table lock,
which serialises every writer of every process so that positions commit in order, is held
only while the server runs that statement — the library's own insert holds it across two
round trips, until the client comes back for the commit. The client's work is small too:
one prepared statement, no composed SQL and no composite-type rows to build per insert. A
conflict still arrives as the library's ``IntegrityError``.
"""

from collections.abc import Callable, Sequence
from functools import cache
from importlib.resources import files
from itertools import accumulate
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresRecorder,
    PostgresTrackingRecorder,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg import AsyncConnection
from psycopg.errors import UniqueViolation
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composable, Composed, Identifier

from infra.sql.database import SCHEMA_LOCK

KEYS_TABLE = "sfa_duplicate_keys"
CREATE_KEYS_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (key TEXT PRIMARY KEY, record_id TEXT NOT NULL)"
)


def topic_index(events_table: str) -> str:
    """Readers that follow a few event types (the flows, the directory) select by topic."""
    return f"CREATE INDEX IF NOT EXISTS {events_table}_topic_idx ON {events_table} (topic)"


Claims = Sequence[tuple[str, str]]
Unchanged = Sequence[tuple[UUID, int]]  # streams a command read: still at these versions?


class Group(NamedTuple):
    """One command's write: its events, the keys they claim, and the streams it only read,
    with the versions it read them at (a newer event there makes it conflict)."""

    events: Sequence[StoredEvent]
    claims: Claims = ()
    unchanged: Unchanged = ()


# The append functions' statements take a batch's few elements as array arguments. Left to
# itself, PostgreSQL plans them again for every call (custom plans: a generic plan's estimate
# is worse, as it assumes ten elements per array), and for a command stored alone that
# planning was about a quarter of its time (BENCHMARKS.md, stop 14). Planned once instead, and
# as index probes whatever the tables' size when the plan is made: a generic plan made while
# a table is small would otherwise scan it, and keep scanning it as it grows.
PLAN_SETTINGS = {"plan_cache_mode": "force_generic_plan", "enable_seqscan": "off",
                 "enable_hashjoin": "off", "enable_mergejoin": "off"}


@cache
def plpgsql(name: str) -> str:
    """A stored function's definition (``plpgsql/<name>``, package data) as one line: each
    line of the file joined to the next with a space, the leading ``--`` comments left out."""
    lines = (files("infra.eventstore") / "plpgsql" / name).read_text().rstrip("\n").split("\n")
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return " ".join(lines)


class GroupsInOneTransaction:
    """``insert_event_groups`` for recorders whose only insert is one transaction of events
    (SQLite's, the in-memory one): all groups together, or, on a conflict, each half again."""

    if TYPE_CHECKING:  # the recorder's own (never defined here: it would hide the library's)
        def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any
                          ) -> Sequence[int] | None: ...

    def insert_event_groups(self, groups: Sequence[Group]) -> list[list[int] | None]:
        """Stores each group whole, or, if it conflicts with what is stored, not at all
        (None), without failing the others: all groups in one transaction; if that
        conflicts, each half again, down to the groups that conflict alone (about log2(n)
        extra transactions per conflict)."""
        try:
            return list(self._insert_together(groups))
        except IntegrityError:
            if len(groups) == 1:
                return [None]
            half = len(groups) // 2
            return self.insert_event_groups(groups[:half]) + self.insert_event_groups(groups[half:])

    def _insert_together(self, groups: Sequence[Group]) -> list[list[int]]:
        stored = [event for group in groups for event in group.events]
        claims = [claim for group in groups for claim in group.claims]
        unchanged = [read for group in groups for read in group.unchanged]
        ids = self.insert_events(stored, claimed_keys=claims, unchanged=unchanged)
        if ids is None or len(ids) != len(stored):
            raise RuntimeError("the recorder did not return the positions of stored events")
        positions, start = [], 0
        for group in groups:
            positions.append(list(ids[start:start + len(group.events)]))
            start += len(group.events)
        return positions


class SQLiteSalesRecorder(GroupsInOneTransaction, SQLiteApplicationRecorder):
    writes_in_event_loop = False  # no asynchronous form: commands are stored from a thread

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
        ids = super()._insert_events(c, stored_events, **kwargs)
        # after a write, so the transaction holds the write lock already: a read first would
        # have to upgrade its lock, which SQLite refuses at once ("database is locked")
        for stream_id, version in kwargs.get("unchanged") or ():
            c.execute(f"SELECT 1 FROM {self.events_table_name} WHERE originator_id = ? "
                      "AND originator_version = ?", (stream_id.hex, version + 1))
            if c.fetchone() is not None:
                raise IntegrityError(f"stream {stream_id} changed after version {version}")
        return ids

    def position_of(self, stream_id: UUID, version: int) -> int | None:
        """The global position of a stream's event (None: not stored)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT rowid FROM {self.events_table_name} "  # the library's position
                      "WHERE originator_id = ? AND originator_version = ?",
                      (stream_id.hex, version))
            row = c.fetchone()
            return None if row is None else int(row[0])

    def find_claims(self, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT key, record_id FROM {KEYS_TABLE} WHERE key IN ({marks})", list(keys))
            return {row["key"]: row["record_id"] for row in c.fetchall()}


Marks = Callable[[Sequence[Group], str], list[int]]


def _ends(groups: Sequence[Group], part: str) -> list[int]:
    """Where each group ends in the flat array of ``part`` (events, claims or unchanged)."""
    return list(accumulate(len(getattr(group, part)) for group in groups))


def _numbers(groups: Sequence[Group], part: str) -> list[int]:
    """The group number (from 1) of each element of the flat array of ``part``."""
    return [number for number, group in enumerate(groups, start=1)
            for _ in getattr(group, part)]


def _arrays(groups: Sequence[Group], marks: Marks = _ends) -> tuple[list[Any], ...]:
    """The append function's arguments: the groups' events, claims and read streams as
    plain arrays, each with ``marks`` telling which group an element belongs to (where each
    group ends, for the block-per-group function)."""
    events = [e for group in groups for e in group.events]
    claims = [c for group in groups for c in group.claims]
    reads = [r for group in groups for r in group.unchanged]
    return ([e.originator_id for e in events], [e.originator_version for e in events],
            [e.topic for e in events], [e.state for e in events], marks(groups, "events"),
            [key for key, _ in claims], [record for _, record in claims],
            marks(groups, "claims"),
            [stream_id for stream_id, _ in reads], [version for _, version in reads],
            marks(groups, "unchanged"))


def _group_arrays(groups: Sequence[Group]) -> tuple[list[Any], ...]:
    """The fast append function's arguments: each element's group number instead."""
    return _arrays(groups, _numbers)


def _stored_positions(groups: Sequence[Group], rows: Sequence[dict[str, Any]]
                      ) -> list[list[int] | None]:
    stored: list[list[int] | None] = [[] for _ in groups]
    for row in rows:
        number, position = row["group_number"] - 1, row["stored_position"]
        if position is None:
            stored[number] = None
        else:
            stored[number].append(position)  # type: ignore[union-attr]
    for group, positions in zip(groups, stored, strict=True):
        if positions is not None and len(positions) != len(group.events):
            raise IntegrityError(f"stored {len(positions)} of {len(group.events)} events")
    return stored


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
    writes_in_event_loop = True  # ``insert_event_groups_async`` on an event loop's connection

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements.append(SQL(CREATE_KEYS_TABLE))  # type: ignore[arg-type]
        self.sql_create_statements.append(SQL(topic_index(self.events_table_name)))  # type: ignore[arg-type]
        function = Identifier(self.datastore.schema, f"{self.events_table_name}_append")
        together = Identifier(self.datastore.schema, f"{self.events_table_name}_append_together")
        self.sql_create_statements.append(self._append_function(function))
        self.sql_create_statements.append(self._append_together_function(together))
        self.append_statement, self.append_together_statement = (SQL(
            "SELECT group_number, stored_position FROM {}(%s::{id}[], %s::bigint[], %s::text[], "
            "%s::bytea[], %s::int[], %s::text[], %s::text[], %s::int[], %s::{id}[], "
            "%s::bigint[], %s::int[])"
        ).format(name, id=Identifier(self.datastore.originator_id_type)).as_bytes(None)
            for name in (function, together))
        # An index probe per stream whatever the plan cache decides: a prepared join on
        # unnest of parameters gets a generic plan that hashes the whole table, and a plain
        # LATERAL subquery is flattened into that same join (OFFSET 0 keeps it apart).
        self.select_newer_statement = SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state "
            "FROM unnest(%s::{id}[], %s::bigint[]) AS s(id, after) CROSS JOIN LATERAL "
            "(SELECT originator_id, originator_version, topic, state FROM {table} "
            " WHERE originator_id = s.id AND originator_version > s.after OFFSET 0) e "
            "ORDER BY e.originator_id, e.originator_version"
        ).format(table=Identifier(self.datastore.schema, self.events_table_name),
                 id=Identifier(self.datastore.originator_id_type)).as_bytes(None)

        self.select_head_statement = SQL("SELECT max(notification_id) AS head FROM {}").format(
            Identifier(self.datastore.schema, self.events_table_name)).as_bytes(None)
        self.select_after_statement = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(Identifier(self.datastore.schema, self.events_table_name)).as_bytes(None)

    def _append_function(self, function: Identifier) -> Composed:
        """Groups of events with their claims in one server-side call (see the module). Each
        group in a block of its own: a group that conflicts with what is stored (a version
        or a key taken, or a stream it read changed since) is rolled back alone and answered
        with a NULL position."""
        return SQL(plpgsql("append.sql")).format(function=function, **self._function_names())

    def _function_names(self) -> dict[str, Composable]:
        """What the append functions' definitions name: their plan settings, types, tables,
        the lock timeout, the followers' channel."""
        return {"plan_once": SQL(" ".join(f"SET {name} = {value}"
                                          for name, value in PLAN_SETTINGS.items())),
                "id_type": Identifier(self.datastore.originator_id_type),
                "keys": Identifier(self.datastore.schema, KEYS_TABLE),
                "lock_timeout": SQL(str(int(self.datastore.lock_timeout))),
                "table": Identifier(self.datastore.schema, self.events_table_name),
                "channel": Identifier(self.channel_name)}

    def _append_together_function(self, function: Identifier) -> Composed:
        """The append function's fast form: the same arguments, but each element's group
        number instead of where each group ends, and no block per group. Under the table
        lock nothing else is stored meanwhile, so one query finds every group that conflicts
        with what is stored (a version taken, a stream it read changed, a key claimed), and
        the others' claims and events are each one INSERT, in batch order. Conflicts between
        groups of one batch never reach it (``GroupCommitter`` fails the later one first);
        if a claim collides all the same (a group claiming one key twice), the call fails
        with ``unique_violation`` as a whole, storing nothing, and the caller stores the
        batch through the block-per-group function instead."""
        return SQL(plpgsql("append_together.sql")).format(function=function,
                                                          **self._function_names())

    def insert_event_groups(self, groups: Sequence[Group]) -> list[list[int] | None]:
        """Stores each group whole, or, if it conflicts with what is stored, not at all
        (None), without failing the others: one statement and one transaction for all
        (two if the batch's own claims collide: see ``_append_together_function``)."""
        with self.datastore.get_connection() as conn:  # autocommit: the call is the transaction
            try:
                rows = conn.execute(self.append_together_statement, _group_arrays(groups),
                                    prepare=True).fetchall()
            except UniqueViolation:
                rows = conn.execute(self.append_statement, _arrays(groups), prepare=True).fetchall()
        return _stored_positions(groups, rows)

    async def insert_event_groups_async(self, conn: AsyncConnection[dict[str, Any]],
                                        groups: Sequence[Group]) -> list[list[int] | None]:
        """``insert_event_groups`` on an event loop's own connection (autocommit, dict rows)."""
        try:
            cursor = await conn.execute(self.append_together_statement, _group_arrays(groups),
                                        prepare=True)
        except UniqueViolation:
            cursor = await conn.execute(self.append_statement, _arrays(groups), prepare=True)
        return _stored_positions(groups, await cursor.fetchall())

    async def select_newer_events_async(self, conn: AsyncConnection[dict[str, Any]],
                                        after: Sequence[tuple[UUID, int]]) -> list[StoredEvent]:
        """The events of several streams after the given versions, in one statement, in
        stream and version order (on an event loop's own connection)."""
        cursor = await conn.execute(self.select_newer_statement,
                                    ([s for s, _ in after], [v for _, v in after]), prepare=True)
        return [StoredEvent(originator_id=row["originator_id"],
                            originator_version=row["originator_version"],
                            topic=row["topic"], state=bytes(row["state"]))
                for row in await cursor.fetchall()]

    async def max_notification_id_async(self, conn: AsyncConnection[dict[str, Any]]) -> int:
        """``max_notification_id`` on an event loop's own connection (0 for an empty log)."""
        cursor = await conn.execute(self.select_head_statement)
        row = await cursor.fetchone()
        return int(row["head"] or 0) if row else 0

    async def select_events_after_async(self, conn: AsyncConnection[dict[str, Any]],
                                        position: int, limit: int
                                        ) -> list[tuple[int, UUID, int, str, bytes]]:
        """Up to ``limit`` events after a global position, in order, as plain rows
        (position, stream id, version, topic, state), on an event loop's own connection: the
        caller looks at most of them only to pass them over."""
        async with conn.cursor(row_factory=tuple_row) as cursor:
            await cursor.execute(self.select_after_statement, (position, limit), prepare=True)
            return await cursor.fetchall()

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        (positions,) = self.insert_event_groups([Group(stored_events,
                                                       kwargs.get("claimed_keys") or (),
                                                       kwargs.get("unchanged") or ())])
        if positions is None:
            raise IntegrityError("the record was changed by another writer, or a key is taken")
        return positions

    def position_of(self, stream_id: UUID, version: int) -> int | None:
        """The global position of a stream's event (None: not stored)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(f"SELECT notification_id FROM {self.events_table_name} "
                         "WHERE originator_id = %s AND originator_version = %s",
                         (stream_id, version))
            row = curs.fetchone()
            return None if row is None else int(row["notification_id"])

    def find_claims(self, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(f"SELECT key, record_id FROM {KEYS_TABLE} WHERE key = ANY(%s)",
                         (list(keys),))
            return {row["key"]: row["record_id"] for row in curs.fetchall()}
