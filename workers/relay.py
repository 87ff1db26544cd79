"""``sfa relay``: publishes the event stream to Kafka; ``sfa relay status``; ``sfa relay schemas``.

Wiring only: the relay itself is ``infra.stream.relay``.
"""

import json
import logging
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from infra.bootstrap import Root
from infra.eventstore.event_reader import EventReader
from infra.sql.database import Database
from infra.stream import schemas
from infra.stream.envelope import UnpublishableEventError
from infra.stream.kafka_publisher import BrokerUnavailableError, ProducerConfig
from infra.stream.relay import Relay, RelayConfig
from infra.stream.relay_positions import STALE_SECONDS, statuses
from workers.progress import events_progress
from workers.store import fail, settings_or_fail

relay_app = typer.Typer(help="Publish the event stream to Kafka (SFA_KAFKA_BOOTSTRAP).",
                        invoke_without_command=True)


@relay_app.callback()
def relay(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option(help="Publish up to the head of the log, then exit.")] = False,
    topic: Annotated[str | None, typer.Option(help="Topic (default SFA_KAFKA_TOPIC).")] = None,
    from_position: Annotated[int | None, typer.Option(
        min=0, help="Re-publish every event after this position (0: all history), "
                    "e.g. into a new --topic, with a progress bar.")] = None,
    partitions: Annotated[int, typer.Option(
        min=1, help="Partitions of a topic the relay creates (an existing one keeps its own).")] = 12,
    batch: Annotated[int, typer.Option(min=1, help="Events per acknowledged batch.")] = 5000,
    max_request_size: Annotated[int, typer.Option(
        help="Largest Kafka record, in bytes (the producer's max_request_size).")] = 1_048_576,
    ack_patience: Annotated[float, typer.Option(
        help="Seconds without acknowledgement before reporting waiting_for_broker.")] = 5.0,
    give_up_after: Annotated[float, typer.Option(
        min=0.1, help="With --once: seconds without a broker before exiting 1 (without "
                      "--once the relay waits for the broker for ever).")] = 30.0,
) -> None:
    """Follow the store's global order and publish every event (at least once, in order per key)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_or_fail()
    if not settings.kafka_bootstrap:
        fail("SFA_KAFKA_BOOTSTRAP is not set: the relay has no broker to publish to")
    producer = ProducerConfig(settings.kafka_bootstrap or "", topic or settings.kafka_topic,
                              partitions=partitions, max_request_size=max_request_size)
    config = RelayConfig(producer, batch_size=batch, ack_patience=ack_patience,
                         give_up_after=give_up_after if once else None)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)  # its INFO is every connection
    with Root(settings) as root:
        root.create_store()  # a fresh database gets the store's tables: nothing to publish yet
        if from_position is not None:
            _refuse_past_head(root.db, from_position)
        _run(root.relay(config), once, from_position)


def _refuse_past_head(db: Database, position: int) -> None:
    conn = db.connect()
    try:
        head = EventReader(db).head(conn)
    finally:
        conn.close()
    if position > head:
        fail(f"--from-position {position} is past the last stored event ({head})")


def _run(relay: Relay, once: bool, from_position: int | None) -> None:
    stop = _stop_on_signals()
    try:
        if from_position is not None:
            relay.start_at(from_position)
            with events_progress(f"replaying into {relay.topic}", from_position) as tick:
                position = relay.run(stop, once=True, progress=tick)
            print(f"sfa: replayed into {relay.topic} up to position {position}", file=sys.stderr)
            if once or stop.is_set():
                return
        position = relay.run(stop, once=once)
        print(f"sfa: relay to {relay.topic} at position {position}", file=sys.stderr)
    except (UnpublishableEventError, BrokerUnavailableError) as error:
        fail(f"relay stopped: {error}")
    finally:
        relay.close()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop




@relay_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
           ) -> None:
    """Each topic the relay publishes to: position / head, lag, status, last error."""
    with Root(settings_or_fail()) as root:
        conn = root.db.connect()
        try:
            found = statuses(root.db, conn)
        finally:
            conn.close()
    if as_json:
        for status in found:
            print(json.dumps({**asdict(status.state), "status": status.status,
                              "reported_status": status.state.status, "head": status.head,
                              "lag_events": status.lag_events,
                              "outage_seconds": round(status.outage_seconds, 1),
                              "heartbeat_age_seconds": _rounded(status.heartbeat_age_seconds)}))
        return
    table = Table(title=f"relay (down: no heartbeat for {STALE_SECONDS:.0f} s)")
    for column in ("topic", "status", "position", "lag (events)", "events/s", "outage (s)",
                   "heartbeat (s ago)", "last error"):
        table.add_column(column)
    for r in found:
        s = r.state
        rate = f"{s.events_per_second:,.0f}" if s.events_per_second else "-"
        beat = "-" if r.heartbeat_age_seconds is None else f"{r.heartbeat_age_seconds:.0f}"
        table.add_row(s.topic, r.status, f"{s.position}/{r.head}", str(r.lag_events), rate,
                      f"{r.outage_seconds:.0f}", beat, s.last_error or "")
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


@relay_app.command("schemas")
def write_schemas(
    out: Annotated[Path, typer.Option(help="Directory to write into.")] = Path("docs"),
    check: Annotated[bool, typer.Option(help="Only compare; exit 1 on a difference.")] = False,
) -> None:
    """Generate the JSON Schemas and the AsyncAPI document from the event classes."""
    if check:
        problems = schemas.check(out)
        if problems:
            fail("; ".join(problems))
        print("schemas up to date")
        return
    print(f"wrote {len(schemas.write(out))} files under {out}")
