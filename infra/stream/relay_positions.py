"""Where the Kafka relay keeps its place: one row per topic in ``sfa_relay_positions``.

``position`` is the last global position whose event *and every event before it* the
broker acknowledged for that topic; the relay resumes after it. ``status`` and
``last_error`` tell operators (``sfa relay status``, ``/metrics``) whether the relay is
publishing, waiting for the broker, or stopped on an event it cannot publish.

A status row alone cannot say that the relay died (a ``kill -9`` writes nothing), so a
running relay writes ``heartbeat_at`` every ``HEARTBEAT_SECONDS``, and readers derive its
liveness from the heartbeat's age: a relay whose last heartbeat is older than
``STALE_SECONDS`` shows ``down`` (``sfa_relay_up`` 0), so a killed relay shows down within
``STALE_SECONDS`` of its death. A relay that exits cleanly (``--once`` done, SIGTERM)
records ``stopped``; one stopped on an event it cannot publish keeps ``failed``.
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from infra.eventstore.event_reader import EventReader
from infra.sql.database import Connection, Database, close_quietly, now_text, rows_as_dicts

log = logging.getLogger(__name__)
TABLE = "sfa_relay_positions"
CREATE_TABLE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    topic TEXT PRIMARY KEY, position BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'idle', last_error TEXT, error_since TEXT,
    events_per_second REAL, updated_at TEXT, heartbeat_at TEXT)"""
STATUSES = ("idle", "publishing", "caught_up", "waiting_for_broker", "failed", "stopped", "down")
RUNNING = ("idle", "publishing", "caught_up", "waiting_for_broker")  # need a fresh heartbeat
HEARTBEAT_SECONDS = 2.0
STALE_SECONDS = 10.0


@dataclass(frozen=True)
class RelayState:
    topic: str
    position: int
    status: str = "idle"
    last_error: str | None = None
    error_since: str | None = None
    events_per_second: float | None = None
    updated_at: str | None = None
    heartbeat_at: str | None = None


class RelayPositions:
    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure_table(self, conn: Connection) -> None:
        """Creates the table, or adds ``heartbeat_at`` to one made by an older version."""
        self.db.create_table_once(conn, TABLE, CREATE_TABLE)
        self.db.add_columns_once(conn, TABLE, {"heartbeat_at": "TEXT"})

    def beat(self, conn: Connection, topic: str) -> None:
        """The relay is alive (see ``HEARTBEAT_SECONDS``)."""
        with self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(f"UPDATE {TABLE} SET heartbeat_at = ? WHERE topic = ?"),
                           (now_text(), topic))

    def all(self, conn: Connection) -> list[RelayState]:
        if not self.db.table_exists(conn, TABLE):
            return []
        cursor = conn.execute(f"SELECT * FROM {TABLE} ORDER BY topic")
        return [RelayState(**row) for row in rows_as_dicts(cursor, cursor.fetchall())]

    def get(self, conn: Connection, topic: str) -> RelayState:
        """The topic's state; a topic never published to starts before the first event."""
        cursor = conn.execute(self.db.sql(f"SELECT * FROM {TABLE} WHERE topic = ?"), (topic,))
        row = cursor.fetchone()
        if row is None:
            return RelayState(topic, 0)
        return RelayState(**rows_as_dicts(cursor, [row])[0])

    def ensure_row(self, conn: Connection, topic: str) -> None:
        with self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(
                f"INSERT INTO {TABLE} (topic, position, status, updated_at) VALUES (?, 0, 'idle', ?) "
                "ON CONFLICT (topic) DO NOTHING"), (topic, now_text()))

    def start_at(self, conn: Connection, topic: str, position: int) -> None:
        """Sets the topic's position (a replay from ``position``), creating the row if needed."""
        with self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(
                f"INSERT INTO {TABLE} (topic, position, status, updated_at) VALUES (?, ?, 'idle', ?) "
                "ON CONFLICT (topic) DO UPDATE SET position = excluded.position, "
                "last_error = NULL, error_since = NULL, updated_at = excluded.updated_at"),
                (topic, position, now_text()))

    def advance(self, conn: Connection, topic: str, expected: int, position: int,
                rate: float | None) -> bool:
        """Moves the position after the broker acknowledged, only if nobody else moved it
        (a second relay on the same topic must not make this one skip events)."""
        with self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(
                f"UPDATE {TABLE} SET position = ?, status = 'publishing', last_error = NULL, "
                "error_since = NULL, events_per_second = COALESCE(?, events_per_second), "
                "updated_at = ? WHERE topic = ? AND position = ?"),
                (position, rate, now_text(), topic, expected))
            return bool(cursor.rowcount == 1)

    def report(self, conn: Connection, topic: str, status: str, error: str | None = None) -> None:
        """Records the relay's condition; ``error_since`` keeps the start of an outage."""
        assert status in STATUSES, status
        with self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(
                f"UPDATE {TABLE} SET status = ?, last_error = ?, "
                "error_since = CASE WHEN CAST(? AS TEXT) IS NULL THEN NULL "
                "ELSE COALESCE(error_since, ?) END, "
                "updated_at = ? WHERE topic = ?"),
                (status, error, error, now_text(), now_text(), topic))


@dataclass(frozen=True)
class RelayStatus:
    """What ``sfa relay status`` and ``/metrics`` show for one topic."""

    state: RelayState
    head: int
    lag_events: int
    outage_seconds: float  # since the broker stopped acknowledging; 0 when it does
    heartbeat_age_seconds: float | None  # None: no heartbeat recorded

    @property
    def status(self) -> str:
        """The reported status, or ``down`` for a running one whose heartbeat went stale."""
        if self.state.status in RUNNING and (
                self.heartbeat_age_seconds is None or self.heartbeat_age_seconds > STALE_SECONDS):
            return "down"
        return self.state.status

    @property
    def up(self) -> bool:
        return self.status in ("idle", "publishing", "caught_up")


def statuses(db: Database, conn: Connection) -> list[RelayStatus]:
    states = RelayPositions(db).all(conn)
    if not states:
        return []  # no relay ran here (maybe not even a store yet)
    reader = EventReader(db)
    head = reader.head(conn)
    return [RelayStatus(s, head, reader.count_after(conn, s.position) if s.position < head else 0,
                        _seconds_since(s.error_since),
                        _seconds_since(s.heartbeat_at) if s.heartbeat_at else None)
            for s in states]


def _seconds_since(moment: str | None) -> float:
    if moment is None:
        return 0.0
    return max((datetime.now(UTC) - datetime.fromisoformat(moment)).total_seconds(), 0.0)


class Heartbeat:
    """Writes the relay's ``heartbeat_at`` every ``interval`` seconds from a thread with a
    connection of its own, as long as the relay's loop ticked within ``loop_bound`` seconds
    (a loop stuck somewhere stops the heartbeat too, so the relay then shows ``down``).
    The loop's longest wait between ticks is the capped backoff (30 s), below the bound."""

    def __init__(self, db: Database, topic: str, interval: float = HEARTBEAT_SECONDS,
                 loop_bound: float = 60.0) -> None:
        self.db, self.topic, self.interval, self.loop_bound = db, topic, interval, loop_bound
        self._last_tick = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        self._last_tick = time.monotonic()

    def start(self) -> None:
        self.stop()
        self.tick()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sfa-relay-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        positions, conn = RelayPositions(self.db), None
        try:
            while True:
                if time.monotonic() - self._last_tick < self.loop_bound:
                    try:
                        conn = conn or self.db.connect()
                        positions.beat(conn, self.topic)
                    except Exception as error:  # noqa: BLE001 — the store may come back
                        log.warning("relay heartbeat not written: %s", error)
                        close_quietly(conn)
                        conn = None
                if self._stop.wait(self.interval):
                    return
        finally:
            close_quietly(conn)
