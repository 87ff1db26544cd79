"""The Kafka relay: follows the store's global order and publishes every event, at least once.

One page of events at a time (``batch_size``): read through ``EventReader`` (the one read
path, with upcasting), queue every record on the producer, wait for the broker's acks,
then store the position of the last event of the *acknowledged prefix* of the page. So
the stored position only ever names events that are on the broker together with every
event before them; after a crash the relay re-sends from there (the duplicates of the
unacknowledged tail carry the same ``event_id``).

Faults: a broker that is down or does not answer makes the page fail as a whole; the
relay reports ``waiting_for_broker``, drops its producer, waits (capped exponential
backoff) and re-sends from its stored position. An event too large for the broker stops
the relay with ``EventTooLargeError`` naming it, its position not passed.

Liveness: while ``run`` goes on, a ``Heartbeat`` thread writes ``heartbeat_at`` (see
``infra.stream.relay_positions``); ``close`` records ``stopped`` (``failed`` stays). With
``give_up_after`` (``sfa relay --once``: 30 s by default) a broker that acknowledges nothing
for that long ends the run with ``BrokerUnavailableError`` instead of a retry for ever.

Why order per key survives a re-send: with one request in flight, what the broker holds of
a partition is always a prefix of what was sent to it, and a re-send starts at or before
the end of that prefix and goes on in order. Keeping the first occurrence of each
``event_id`` therefore leaves every stream's versions in increasing order, with no gap
(tests/relay/test_relay_faults.py checks exactly that after a dozen SIGKILLs).
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka.errors import KafkaError, KafkaTimeoutError, MessageSizeTooLargeError
from kafka.producer.future import FutureRecordMetadata

from infra.eventstore.event_reader import EventReader
from infra.sql.database import Database
from infra.stream.envelope import UnpublishableEventError, message
from infra.stream.kafka_publisher import BrokerUnavailableError, KafkaPublisher, ProducerConfig
from infra.stream.relay_positions import Heartbeat, RelayPositions, RelayState
from projections.base import EventRecord

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (position, head)


class EventTooLargeError(UnpublishableEventError):
    """An event the broker cannot take: the relay stops before it, naming it."""


@dataclass(frozen=True)
class RelayConfig:
    producer: ProducerConfig
    batch_size: int = 5000
    ack_patience: float = 5.0  # seconds without acks before the relay reports a stall
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    idle_wait: float = 1.0  # longest sleep at the head of the log
    give_up_after: float | None = None  # seconds of broker failure before run() raises


def backoff(attempt: int, config: RelayConfig) -> float:
    """Capped exponential: 0.5 s, 1 s, 2 s, … up to ``backoff_max``."""
    return float(min(config.backoff_max, config.backoff_initial * 2 ** max(attempt - 1, 0)))


def describe(event: EventRecord) -> str:
    return f"position {event.position}: {event.type} of {event.stream_id} (version {event.version})"


class Relay:
    def __init__(self, db: Database, config: RelayConfig,
                 publisher: KafkaPublisher | None = None) -> None:
        self.db, self.config = db, config
        self.topic = config.producer.topic
        self.publisher = publisher or KafkaPublisher(config.producer)
        self.reader, self.positions = EventReader(db), RelayPositions(db)
        self.conn = db.connect()
        self.positions.ensure_table(self.conn)
        self.positions.ensure_row(self.conn, self.topic)
        self.position = self.positions.get(self.conn, self.topic).position
        self._stop = threading.Event()
        self._status, self._ran = "idle", False
        self._last_error: str | None = None
        self._failing_since: float | None = None
        self.heartbeat = Heartbeat(db, self.topic)

    def close(self) -> None:
        """Records ``stopped`` (keeping the last error; ``failed`` stays as it is)."""
        self.publisher.discard()
        try:
            if self._ran and self._status != "failed":
                self.report("stopped", self._last_error)
        finally:
            self.conn.close()

    def start_at(self, position: int) -> None:
        """Replay: the next run publishes every event after ``position``."""
        self.positions.start_at(self.conn, self.topic, position)
        self.position = position

    def state(self) -> RelayState:
        return self.positions.get(self.conn, self.topic)

    def head(self) -> int:
        return self.reader.head(self.conn)

    def publish_page(self) -> int:
        """Publishes the next page; returns how many events were acknowledged (0: at head)."""
        events = self.reader.read(self.conn, self.position, self.config.batch_size)
        if not events:
            return 0
        started = time.perf_counter()
        sent, problem = self._send(events)
        acked, failure = self._acked_prefix(sent)
        if acked:
            self._advance(acked[-1].position, len(acked) / (time.perf_counter() - started))
        if failure is not None:
            raise failure
        if problem is not None:
            raise problem
        return len(acked)

    def _send(self, events: list[EventRecord]) -> tuple[
            list[tuple[EventRecord, FutureRecordMetadata]], Exception | None]:
        """Queues the page; stops at the first event that cannot be queued and says why."""
        sent: list[tuple[EventRecord, FutureRecordMetadata]] = []
        problem: Exception | None = None
        for event in events:
            key, value = message(event)
            try:
                sent.append((event, self.publisher.send(key, value)))
            except MessageSizeTooLargeError:
                problem = self._too_large(event, len(key) + len(value))
                break
            except (KafkaTimeoutError, BrokerUnavailableError) as error:
                problem = BrokerUnavailableError(f"{type(error).__name__}: {error}")
                break
        if sent and not self.publisher.wait_for_acks(self.config.ack_patience, self._stalled):
            problem = BrokerUnavailableError("stopped while waiting for acknowledgements")
        return sent, problem

    def _too_large(self, event: EventRecord, size: int) -> EventTooLargeError:
        limit = self.config.producer.max_request_size
        return EventTooLargeError(f"{describe(event)} is {size:,} bytes as a Kafka record, more "
                                  f"than the {limit:,} bytes allowed (max_request_size)")

    def _acked_prefix(self, sent: list[tuple[EventRecord, FutureRecordMetadata]]) -> tuple[
            list[EventRecord], Exception | None]:
        acked: list[EventRecord] = []
        for event, future in sent:
            if not future.is_done:
                return acked, BrokerUnavailableError(f"{describe(event)}: not acknowledged")
            if future.failed():
                return acked, self._failure(event, future.exception)
            acked.append(event)
        return acked, None

    def _failure(self, event: EventRecord, error: Exception | None) -> Exception:
        if isinstance(error, MessageSizeTooLargeError):
            return EventTooLargeError(f"{describe(event)}: the broker refused it as too large "
                                      f"({error})")
        if isinstance(error, KafkaError) and not error.retriable and not isinstance(
                error, KafkaTimeoutError):
            log.warning("non-retriable broker error at %s: %s", describe(event), error)
        return BrokerUnavailableError(f"{describe(event)}: {type(error).__name__}: {error}")

    def _advance(self, position: int, rate: float) -> None:
        if not self.positions.advance(self.conn, self.topic, self.position, position, rate):
            moved = self.positions.get(self.conn, self.topic).position
            log.warning("another relay moved %s to %d; going on from there", self.topic, moved)
            position = moved
        self.position, self._status = position, "publishing"

    def _stalled(self, seconds: float) -> bool:
        self.heartbeat.tick()
        reason = f"no acknowledgement from the broker for {seconds:.0f} s"
        self.report("waiting_for_broker", reason)
        self._failing_since = self._failing_since or time.monotonic() - seconds
        return not self._stop.is_set() and not self._given_up()

    def _given_up(self) -> bool:
        limit = self.config.give_up_after
        return limit is not None and self._failing_since is not None and \
            time.monotonic() - self._failing_since >= limit

    def report(self, status: str, error: str | None = None) -> None:
        self.positions.report(self.conn, self.topic, status, error)
        self._status, self._last_error = status, error

    def run(self, stop: threading.Event, once: bool = False,
            progress: Progress | None = None) -> int:
        """Publishes until ``stop`` is set (``once``: until the head, then returns).
        Broker trouble is retried with backoff for ever; returns the final position."""
        self._stop, failures, self._ran = stop, 0, True
        waiter = self.db.dialect.waiter()
        self.heartbeat.start()
        try:
            while not stop.is_set():
                self.heartbeat.tick()
                try:
                    published = self.publish_page()
                    failures, self._failing_since = 0, None
                except BrokerUnavailableError as error:
                    failures += 1
                    self._failing_since = self._failing_since or time.monotonic()
                    if self._given_up():
                        self._give_up(str(error))
                    self._retry_later(failures, str(error))
                    continue
                except UnpublishableEventError as error:
                    self.report("failed", str(error))
                    raise
                if progress is not None:
                    progress(self.position, self.head())
                if published == 0:
                    if self._status != "caught_up":
                        self.report("caught_up")
                    if once:
                        break
                    waiter.wait(self.config.idle_wait)
        finally:
            self.heartbeat.stop()
            waiter.close()
        return self.position

    def _give_up(self, reason: str) -> None:
        waited = time.monotonic() - (self._failing_since or time.monotonic())
        message = (f"no acknowledgement from the broker at {self.config.producer.bootstrap} "
                   f"for {waited:.0f} s ({reason}); position {self.position}")
        self.report("waiting_for_broker", message)
        raise BrokerUnavailableError(message)

    def _retry_later(self, attempt: int, reason: str) -> None:
        delay = backoff(attempt, self.config)
        log.warning("relay to %s: %s; retry %d in %.1f s", self.topic, reason, attempt, delay)
        self.report("waiting_for_broker", f"{reason} (retry {attempt} in {delay:.1f} s)")
        self.publisher.discard()
        if self.config.give_up_after is not None and self._failing_since is not None:
            delay = min(delay, max(self._failing_since + self.config.give_up_after
                                   - time.monotonic(), 0.0))
        self._stop.wait(delay)
