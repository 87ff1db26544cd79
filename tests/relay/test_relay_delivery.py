"""The relay against a real broker: every stored event arrives, in order per key, valid
against the published schemas; replay into a new topic; an event too large stops it."""

import threading

from bench.dataset import load
from infra.bootstrap import event_store
from infra.demo import load_demo
from infra.eventstore.event_reader import EventReader
from infra.settings import Settings
from infra.sql.database import Database
from infra.stream.kafka_publisher import ProducerConfig
from infra.stream.relay import Relay, RelayConfig
from tests.relay.checks import (
    assert_topic_equals_store,
    assert_valid_against_published_schemas,
    stored_envelopes,
)
from tests.relay.conftest import relay_process, stderr_of


def _relay(database_url: str, bootstrap: str, topic: str = "sfa.events", **config: object) -> Relay:
    producer = ProducerConfig(bootstrap, topic, partitions=6)
    return Relay(Database(Settings(database_url=database_url)),
                 RelayConfig(producer, **config))  # type: ignore[arg-type]


def test_every_stored_event_arrives_in_order_per_key_and_valid(database_url, sales, broker):
    load_demo(sales, seed=5, scale="small")
    relay = _relay(database_url, broker.bootstrap, batch_size=1000)
    try:
        position = relay.run(threading.Event(), once=True)
        state = relay.state()
    finally:
        relay.close()
    stored = stored_envelopes(database_url)
    assert len(stored) > 5000
    assert position == sales.store.max_position() and state.position == position
    assert state.status == "caught_up" and state.last_error is None

    messages = broker.messages("sfa.events", len(stored))

    assert len(messages) == len(stored)  # no fault, so not one repeat either
    assert_topic_equals_store(messages, stored)
    assert_valid_against_published_schemas(messages)
    assert {m.value["stream_type"] for m in messages} == {
        "Rep", "Lead", "Account", "Opportunity", "Order", "StockItem", "PriceList",
        "PromotionCalendar", "Campaign", "Policies", "Token"}


def test_replay_from_position_into_a_new_topic(postgres_url, pg_sales, broker):
    load(Database(Settings(database_url=postgres_url)), 8000, seed=6)
    first = relay_process(postgres_url, broker.bootstrap, "--once")
    assert first.wait(timeout=120) == 0, stderr_of(first)
    stored = stored_envelopes(postgres_url)

    replay = relay_process(postgres_url, broker.bootstrap, "--from-position", "0",
                           "--topic", "integrator.b", "--once")
    assert replay.wait(timeout=120) == 0
    partial = relay_process(postgres_url, broker.bootstrap, "--from-position", "5000",
                            "--topic", "integrator.c", "--once")
    assert partial.wait(timeout=120) == 0

    assert_topic_equals_store(broker.messages("integrator.b", len(stored)), stored)
    tail = {k: v for k, v in stored.items() if v["position"] > 5000}
    tail_messages = broker.messages("integrator.c", len(tail))
    assert {m.value["event_id"]: m.value for m in tail_messages} == tail
    assert len(broker.messages("sfa.events", len(stored))) == len(stored)  # untouched


def test_an_event_too_large_stops_the_relay_naming_it(sqlite_url, broker):
    event_store(Settings(database_url=sqlite_url)).close()
    db = Database(Settings(database_url=sqlite_url))
    load(db, 3000, seed=7)
    conn = db.connect()
    events = EventReader(db).read(conn, 0, 100_000)
    sizes = {e.position: len(_message_bytes(e)) for e in events}
    limit = sorted(sizes.values())[len(sizes) // 2]  # about half the events fit
    relay = relay_process(sqlite_url, broker.bootstrap, "--once", "--max-request-size", str(limit))
    assert relay.wait(timeout=120) == 1
    reason = stderr_of(relay)

    state = conn.execute("SELECT position, status, last_error FROM sfa_relay_positions").fetchone()
    blocked = next(e for e in events if e.position > state[0])
    assert f"position {blocked.position}: {blocked.type} of {blocked.stream_id}" in reason
    assert "max_request_size" in reason and state[1] == "failed" and state[2] in reason
    assert sizes[blocked.position] > limit - 100  # the record, with its overhead, is too large
    delivered = broker.messages("sfa.events", 1, seconds=5)
    assert {m.value["position"] for m in delivered} == {e.position for e in events
                                                        if e.position <= state[0]}
    conn.close()


def _message_bytes(event) -> bytes:  # type: ignore[no-untyped-def]
    from infra.stream.envelope import message

    key, value = message(event)
    return key + value
