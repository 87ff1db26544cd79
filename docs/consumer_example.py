"""An integrator's consumer of the sfa-core event stream — copy it and replace ``apply``.

Delivery is at least once, so a record may come again (after a relay crash or a replay):
drop it by ``event_id``. Each aggregate's events share a key, hence a partition, so Kafka
hands them over in order; a consumer group shares the partitions out. Keep ``seen`` (or
the last version per stream) in *your* database, in the same transaction as the effect of
``apply``, and commit the offsets after that: then a crash on your side repeats nothing.

    python docs/consumer_example.py localhost:9092 sfa.events
"""

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer

Event = dict[str, Any]


def consume(bootstrap: str, topic: str, apply: Callable[[Event], None],
            group_id: str = "example-integrator", stop_when_idle: float | None = None) -> int:
    """Applies every new event once, in order per aggregate; returns how many it applied.
    ``stop_when_idle``: return after that many seconds without a record (else run for ever)."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group_id,
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             # a group (re)join waits up to these: keep them short
                             max_poll_interval_ms=5_000, session_timeout_ms=6_000,
                             heartbeat_interval_ms=1_000)
    seen: set[str] = set()  # in production: a table, written with apply's effects
    last_version: dict[str, int] = {}
    applied, idle_since = 0, time.monotonic()
    try:
        while stop_when_idle is None or time.monotonic() - idle_since < stop_when_idle:
            polled = consumer.poll(timeout_ms=500)
            if not consumer.assignment():
                idle_since = time.monotonic()  # still joining the group: not idle yet
            for records in polled.values():
                idle_since = time.monotonic()
                for record in records:
                    event = json.loads(record.value)
                    if event["event_id"] in seen:
                        continue  # a repeat: applied before
                    # First occurrences of one stream arrive in version order: check it.
                    assert event["version"] > last_version.get(event["stream_id"], 0)
                    apply(event)
                    seen.add(event["event_id"])
                    last_version[event["stream_id"]] = event["version"]
                    applied += 1
            consumer.commit()
    finally:
        consumer.close()
    return applied


if __name__ == "__main__":
    def show(event: Event) -> None:
        print(event["position"], event["stream_type"], event["stream_id"], event["version"],
              event["type"], json.dumps(event["data"]))

    consume(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "sfa.events", show)
