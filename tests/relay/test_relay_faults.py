"""Faults with a real broker and a real ``sfa relay`` process: SIGKILL at random points,
a paused broker (SIGSTOP), a broker that is not there yet. Nothing may go missing, order
per key must hold, and repeats may only come from the unacknowledged tail."""

import random
import signal
import time
from collections import Counter
from typing import Any

from bench.dataset import load
from infra.bootstrap import event_store
from infra.settings import Settings
from infra.sql.database import Database
from tests.relay.checks import assert_topic_equals_store, stored_envelopes
from tests.relay.conftest import Broker, free_port, relay_process, stderr_of

BATCH = 400
KILLS = 12
# Small requests: a page goes out in about a dozen requests, one at a time, so a kill often
# lands after part of a page was acknowledged and before the position was stored.
SMALL_REQUESTS = ("--batch", str(BATCH), "--max-request-size", "20000")


def _state(db: Database) -> tuple[int, str, str | None]:
    conn = db.connect()
    try:
        row = conn.execute("SELECT position, status, last_error FROM sfa_relay_positions "
                           "WHERE topic = 'sfa.events'").fetchone()
    except Exception:  # noqa: BLE001 — the relay has not created its table yet
        row = None
    finally:
        conn.close()
    return (int(row[0]), row[1], row[2]) if row else (0, "absent", None)


def _wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def test_relay_killed_at_random_points_loses_nothing(postgres_url, broker):
    settings = Settings(database_url=postgres_url)
    event_store(settings).close()
    db = Database(settings)
    total = load(db, 20_000, seed=3)
    rng, landed, killed_at = random.Random(2026), 0, []
    for target in sorted(rng.sample(range(1, total - 2 * BATCH), KILLS)):
        # this process must publish something before it is killed
        reach = max(target, _state(db)[0] + 1)
        relay = relay_process(postgres_url, broker.bootstrap, *SMALL_REQUESTS)
        _wait_for(lambda t=reach, r=relay: _state(db)[0] >= t or r.poll() is not None, 60,
                  "progress")
        time.sleep(rng.uniform(0, 0.03))  # somewhere inside the next batch
        relay.send_signal(signal.SIGKILL)
        relay.wait()
        killed_at.append(_state(db)[0])
        landed += killed_at[-1] < total
    finished = relay_process(postgres_url, broker.bootstrap, *SMALL_REQUESTS, "--once")
    assert finished.wait(timeout=120) == 0, stderr_of(finished)

    stored = stored_envelopes(postgres_url)
    messages = broker.messages("sfa.events", len(stored))
    assert landed >= 10  # the kills hit a relay that was still publishing
    assert_topic_equals_store(messages, stored)
    counts = Counter(m.value["event_id"] for m in messages)
    repeated = {stored[e]["position"] for e, n in counts.items() if n > 1}
    # Repeats come only from the page in flight at a kill: just after the stored position.
    assert all(any(k < p <= k + BATCH for k in killed_at) for p in repeated), sorted(repeated)[:20]
    assert len(messages) - len(stored) <= KILLS * BATCH


def test_a_paused_broker_is_waited_for_and_reported_then_caught_up(postgres_url, pg_sales, broker):
    db = Database(Settings(database_url=postgres_url))
    load(db, 6000, seed=8)
    relay = relay_process(postgres_url, broker.bootstrap, "--batch", "200", "--ack-patience", "0.5")
    try:
        _wait_for(lambda: _state(db)[0] > 1000, 60, "the relay to publish")
        broker.pause()
        pause_started = time.monotonic()
        _wait_for(lambda: _state(db)[1] == "waiting_for_broker", 10, "the stall to be reported")
        assert "no acknowledgement from the broker" in (_state(db)[2] or "")
        paused_at = _state(db)[0]
        for n in range(5):  # commands keep arriving during the outage
            pg_sales.reps.hire(_ctx(), name=f"Paused {n}", email=f"paused{n}@example.com",
                               role="rep", team="t", region="r")
        time.sleep(max(0.0, 4.0 - (time.monotonic() - pause_started)))
        assert _state(db)[0] == paused_at  # nothing acknowledged, nothing advanced
        broker.resume()
        head = pg_sales.store.max_position()
        _wait_for(lambda: _state(db)[0] == head, 60, "the relay to catch up")
        _wait_for(lambda: _state(db)[1] == "caught_up", 10, "caught_up")
        assert relay.poll() is None  # recovered by itself, no restart
    finally:
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=30) == 0, stderr_of(relay)
    stored = stored_envelopes(postgres_url)
    assert_topic_equals_store(broker.messages("sfa.events", len(stored)), stored)


def test_an_unreachable_broker_is_retried_with_backoff_until_it_appears(postgres_url, pg_sales):
    db = Database(Settings(database_url=postgres_url))
    load(db, 3000, seed=9)
    late = Broker(free_port())
    relay = relay_process(postgres_url, late.bootstrap, "--once")
    try:
        _wait_for(lambda: _state(db)[1] == "waiting_for_broker", 30, "the outage to be reported")
        assert "retry 1 in 0.5 s" in (_state(db)[2] or "")
        late.start()
        assert relay.wait(timeout=90) == 0, stderr_of(relay)
        assert _state(db)[:2] == (pg_sales.store.max_position(), "stopped")  # --once is done
        stored = stored_envelopes(postgres_url)
        assert_topic_equals_store(late.messages("sfa.events", len(stored)), stored)
    finally:
        if relay.poll() is None:
            relay.kill()
        late.stop()


def _ctx():  # type: ignore[no-untyped-def]
    from tests.conftest import ctx

    return ctx()
