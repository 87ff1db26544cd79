"""How the relay's condition reaches operators: ``sfa relay status`` and ``/metrics``."""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

from prometheus_client import CollectorRegistry, generate_latest

from api.relay_metrics import RelayCollector
from bench.dataset import load
from infra.bootstrap import event_store
from infra.settings import Settings
from infra.sql.database import Database
from infra.stream.relay_positions import CREATE_TABLE, TABLE, RelayPositions


def _outage(url: str) -> Database:
    event_store(Settings(database_url=url)).close()
    db = Database(Settings(database_url=url))
    load(db, 500, seed=2)
    positions, conn = RelayPositions(db), db.connect()
    positions.ensure_table(conn)
    positions.ensure_row(conn, "sfa.events")
    assert positions.advance(conn, "sfa.events", 0, 120, 900.0)
    positions.report(conn, "sfa.events", "waiting_for_broker", "NoBrokersAvailable (retry 3 in 2.0 s)")
    positions.beat(conn, "sfa.events")  # the relay is alive, waiting for its broker
    conn.close()
    return db


def test_relay_status_reports_position_lag_and_the_outage(sqlite_url):
    db = _outage(sqlite_url)
    head = db.connect().execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
    env = {**os.environ, "SFA_DATABASE_URL": sqlite_url}
    done = subprocess.run([sys.executable, "-m", "workers.cli", "relay", "status", "--json"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert (row["topic"], row["position"], row["head"], row["lag_events"]) == (
        "sfa.events", 120, head, head - 120)
    assert row["status"] == "waiting_for_broker"
    assert row["last_error"] == "NoBrokersAvailable (retry 3 in 2.0 s)"
    assert row["error_since"] is not None and row["outage_seconds"] >= 0


def test_metrics_show_the_relay_down_with_its_lag(sqlite_url):
    db = _outage(sqlite_url)
    registry = CollectorRegistry()
    registry.register(RelayCollector(SimpleNamespace(state=SimpleNamespace(  # type: ignore[arg-type]
        services=SimpleNamespace(db=db)))))
    head = db.connect().execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
    text = generate_latest(registry).decode()
    assert 'sfa_relay_position{topic="sfa.events"} 120.0' in text
    assert 'sfa_relay_up{topic="sfa.events"} 0.0' in text
    assert 'sfa_relay_status{status="waiting_for_broker",topic="sfa.events"} 1.0' in text
    assert f'sfa_relay_lag_events{{topic="sfa.events"}} {float(head - 120)}' in text


def test_a_positions_table_from_before_heartbeats_keeps_its_rows_and_gains_the_column(database_url):
    db = Database(Settings(database_url=database_url))
    conn = db.connect()
    try:
        with db.transaction(conn) as cursor:  # as versions before the heartbeat made it
            cursor.execute(CREATE_TABLE.replace(", heartbeat_at TEXT", ""))
            cursor.execute(db.sql(f"INSERT INTO {TABLE} (topic, position) VALUES (?, ?)"),
                           ("sfa.events", 120))
        positions = RelayPositions(db)
        positions.ensure_table(conn)
        positions.ensure_table(conn)  # a second start finds it migrated
        positions.beat(conn, "sfa.events")
        [state] = positions.all(conn)
    finally:
        conn.close()
        db.close()
    assert (state.topic, state.position, state.status) == ("sfa.events", 120, "idle")
    assert state.heartbeat_at is not None
