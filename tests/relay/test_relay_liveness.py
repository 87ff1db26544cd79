"""The relay's liveness as operators see it: a killed relay shows down within the stated
bound (heartbeat age), and ``sfa relay --once`` without a reachable broker exits 1 in bounded
time with a one-line reason."""

import json
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from api.relay_metrics import RelayCollector
from bench.dataset import load
from infra.bootstrap import event_store
from infra.settings import Settings
from infra.sql.database import Database
from infra.stream.relay_positions import HEARTBEAT_SECONDS, STALE_SECONDS, statuses
from tests.relay.conftest import Broker, free_port, relay_process, stderr_of


def _status(db: Database) -> str:
    conn = db.connect()
    try:
        found = statuses(db, conn)
    except Exception:  # noqa: BLE001 — the relay has not created its table yet
        return "absent"
    finally:
        conn.close()
    return found[0].status if found else "absent"


def _cli_status(url: str) -> dict:
    env = {**os.environ, "SFA_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "workers.cli", "relay", "status", "--json"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _metrics(db: Database) -> str:
    registry = CollectorRegistry()
    registry.register(RelayCollector(SimpleNamespace(state=SimpleNamespace(  # type: ignore[arg-type]
        services=SimpleNamespace(db=db)))))
    return generate_latest(registry).decode()


def _store(url: str, events: int) -> Database:
    event_store(Settings(database_url=url)).close()
    db = Database(Settings(database_url=url))
    load(db, events, seed=3)
    return db


def test_a_killed_relay_shows_down_within_the_stated_bound(postgres_url, broker):
    db = _store(postgres_url, 500)
    relay = relay_process(postgres_url, broker.bootstrap)
    try:
        deadline = time.monotonic() + 60
        while _status(db) != "caught_up":
            assert relay.poll() is None and time.monotonic() < deadline, stderr_of(relay)
            time.sleep(0.2)
        time.sleep(HEARTBEAT_SECONDS * 2)  # beats go on while it idles at the head
        alive = _cli_status(postgres_url)
        assert (alive["status"], alive["position"]) == ("caught_up", alive["head"])
        assert alive["heartbeat_age_seconds"] <= HEARTBEAT_SECONDS + 1
        assert 'sfa_relay_up{topic="sfa.events"} 1.0' in _metrics(db)
    finally:
        relay.send_signal(signal.SIGKILL)
        relay.wait()
    killed = time.monotonic()
    while _status(db) != "down":
        assert time.monotonic() - killed < STALE_SECONDS + HEARTBEAT_SECONDS + 2, "still up"
        time.sleep(0.25)
    assert time.monotonic() - killed > STALE_SECONDS - HEARTBEAT_SECONDS - 1  # not before
    dead = _cli_status(postgres_url)
    assert (dead["status"], dead["reported_status"]) == ("down", "caught_up")
    text = _metrics(db)
    assert 'sfa_relay_up{topic="sfa.events"} 0.0' in text
    assert 'sfa_relay_status{status="down",topic="sfa.events"} 1.0' in text


@pytest.mark.parametrize("broker_state", ["no listener", "paused"])
def test_once_without_a_broker_exits_1_in_bounded_time(sqlite_url, broker_state):
    _store(sqlite_url, 200)
    broker = Broker(free_port())
    if broker_state == "paused":
        broker.start()
        broker.pause()  # accepts connections, answers nothing
    try:
        started = time.monotonic()
        relay = relay_process(sqlite_url, broker.bootstrap, "--once", "--give-up-after", "2")
        code = relay.wait(timeout=60)
        took = time.monotonic() - started
    finally:
        broker.stop()
    lines = stderr_of(relay).strip().splitlines()
    assert code == 1 and took < 30, (took, lines)
    assert lines[-1].startswith(f"sfa: relay stopped: no acknowledgement from the broker at "
                                f"{broker.bootstrap} for "), lines[-1]
    assert "Traceback" not in "\n".join(lines)
    state = _cli_status(sqlite_url)
    assert (state["status"], state["position"]) == ("stopped", 0)
    assert state["last_error"] in lines[-1]
