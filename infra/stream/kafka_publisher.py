"""The Kafka side of the relay: one producer configured so that order per key and
acknowledgement mean what the relay needs them to mean.

- ``acks="all"``: a record counts as published once every in-sync replica has it.
- ``max_in_flight_requests_per_connection=1``: the producer never has two requests on the
  wire, so a retried batch cannot overtake a later one — order per partition (hence per
  key) holds whatever the broker does with producer sequence numbers.
- idempotence (kafka-python's default, which it turns off for brokers older than 0.11):
  where the broker implements it, producer-level retries do not write duplicates either.
- The default partitioner hashes the key with murmur2 (as the Java client does): every
  event of one aggregate goes to the same partition.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError
from kafka.producer.future import FutureRecordMetadata

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProducerConfig:
    bootstrap: str
    topic: str
    partitions: int = 12
    max_request_size: int = 1_048_576
    request_timeout_ms: int = 10_000
    connect_timeout_ms: int = 5_000  # to give up on an unreachable bootstrap server (then retry)
    delivery_timeout_ms: int = 120_000
    reconnect_backoff_max_ms: int = 10_000
    linger_ms: int = 5
    batch_size: int = 512 * 1024


class BrokerUnavailableError(Exception):
    """The broker cannot be reached or did not acknowledge: retry later, skip nothing."""


class KafkaPublisher:
    def __init__(self, config: ProducerConfig) -> None:
        self.config = config
        self._producer: KafkaProducer | None = None

    def connect(self) -> KafkaProducer:
        """The producer, created (and the topic with it) on first use or after a discard."""
        if self._producer is None:
            try:
                ensure_topic(self.config)
                self._producer = KafkaProducer(**producer_settings(self.config))
            except KafkaError as error:
                raise BrokerUnavailableError(f"{type(error).__name__}: {error}") from error
        return self._producer

    def send(self, key: bytes, value: bytes) -> FutureRecordMetadata:
        """Queues one record (raises MessageSizeTooLargeError at once if it cannot fit)."""
        return self.connect().send(self.config.topic, key=key, value=value)

    def wait_for_acks(self, patience: float, on_stall: Callable[[float], bool]) -> bool:
        """Blocks until every queued record is acknowledged or failed. Every ``patience``
        seconds without that, calls ``on_stall(seconds)``; False from it stops the wait
        (returns False: the outcome of the tail is then unknown)."""
        producer, waited = self.connect(), 0.0
        while True:
            try:
                producer.flush(timeout=patience)
                return True
            except KafkaTimeoutError:
                waited += patience
                if not on_stall(waited):
                    return False

    def discard(self) -> None:
        """Drops the producer and whatever it still holds; the relay re-sends from its
        stored position with a fresh one."""
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=0)
            except Exception as error:  # noqa: BLE001 — closing a broken producer may fail
                log.info("closing the Kafka producer: %s", error)


def producer_settings(config: ProducerConfig) -> dict[str, object]:
    return {
        "bootstrap_servers": config.bootstrap.split(","),
        "client_id": "sfa-relay",
        "acks": "all",
        # enable_idempotence is left at kafka-python's default (on): so it is switched off,
        # with a warning, for a broker too old for it, where True would refuse to start.
        "max_in_flight_requests_per_connection": 1,
        "linger_ms": config.linger_ms,
        "batch_size": config.batch_size,
        "max_request_size": config.max_request_size,
        "request_timeout_ms": config.request_timeout_ms,
        "delivery_timeout_ms": config.delivery_timeout_ms,
        "max_block_ms": config.request_timeout_ms,
        "bootstrap_timeout_ms": config.connect_timeout_ms,
        "reconnect_backoff_max_ms": config.reconnect_backoff_max_ms,
        "retry_backoff_ms": 200,
    }


def ensure_topic(config: ProducerConfig) -> None:
    """Creates the topic with ``partitions`` partitions if it does not exist yet. The count
    of an existing topic is left alone: changing it would move keys to other partitions."""
    admin = KafkaAdminClient(bootstrap_servers=config.bootstrap.split(","),
                             client_id="sfa-relay-admin",
                             request_timeout_ms=config.request_timeout_ms,
                             bootstrap_timeout_ms=config.connect_timeout_ms)
    try:
        admin.create_topics([NewTopic(config.topic, config.partitions, 1)])
        log.info("created topic %s with %d partitions", config.topic, config.partitions)
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()
