"""A small closed-loop HTTP/1.1 load generator: N keep-alive connections, one request in
flight on each, for a fixed time.

Written on raw asyncio streams rather than an HTTP client library because the load runs on
the same 2-core machine as the server under test: the less CPU the client burns per
request, the more of the machine the servers get, and the client costs the same for the
baseline and for sfa-core, so their ratio stays fair.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Opening every connection at the same instant lets one uvicorn worker accept them all
# (the workers share one listening socket); real clients arrive spread over time.
CONNECT_SPACING = 0.02
Request = tuple[str, str, str, bytes | None]  # (label, method, path, JSON body or None)
Scenario = Callable[[int, int], Request]  # (client number, request number) -> request


@dataclass
class Sample:
    label: str
    status: int
    seconds: float


@dataclass
class LoadResult:
    seconds: float
    samples: list[Sample] = field(default_factory=list)

    def rate(self, label: str | None = None, ok_only: bool = True) -> float:
        return len(self.select(label, ok_only)) / self.seconds

    def select(self, label: str | None = None, ok_only: bool = True) -> list[Sample]:
        return [s for s in self.samples if (label is None or s.label == label)
                and (not ok_only or s.status < 400)]

    def percentile_ms(self, q: float, label: str | None = None) -> float:
        latencies = sorted(s.seconds for s in self.select(label, ok_only=False))
        if not latencies:
            return float("nan")
        return 1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    def median_ms(self, label: str | None = None) -> float:
        return 1000 * statistics.median(s.seconds for s in self.select(label, ok_only=False))

    def errors(self) -> dict[int, int]:
        found: dict[int, int] = {}
        for sample in self.samples:
            if sample.status >= 400:
                found[sample.status] = found.get(sample.status, 0) + 1
        return found


class Connection:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        payload = body or b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.fixed}"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
        self.writer.write(head.encode() + payload)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                       if line.lower().startswith("content-length:")), 0)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _client(number: int, connection: Connection, scenario: Scenario, measure_from: float,
                  stop_at: float, samples: list[Sample], answers: list[tuple[str, bytes]]) -> None:
    await asyncio.sleep(number * CONNECT_SPACING)  # arrive one by one, as clients do
    await connection.open()
    k = 0
    try:
        while (started := time.perf_counter()) < stop_at:
            label, method, path, body = scenario(number, k)
            status, answer = await connection.request(method, path, body)
            if started >= measure_from:
                samples.append(Sample(label, status, time.perf_counter() - started))
            if status >= 400 and len(answers) < 5:
                answers.append((label, answer[:300]))
            k += 1
    finally:
        connection.close()


async def _run(host: str, port: int, headers: dict[str, str], scenario: Scenario, clients: int,
               seconds: float, warmup: float) -> tuple[LoadResult, list[tuple[str, bytes]]]:
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    samples: list[Sample] = []
    answers: list[tuple[str, bytes]] = []
    await asyncio.gather(*(_client(n, Connection(host, port, headers), scenario, measure_from,
                                   stop_at, samples, answers) for n in range(clients)))
    return LoadResult(time.perf_counter() - measure_from, samples), answers


def run(host: str, port: int, headers: dict[str, str], scenario: Scenario, *, clients: int,
        seconds: float, warmup: float) -> tuple[LoadResult, list[tuple[str, bytes]]]:
    """Runs the scenario; answers of the first few failed requests come back for a report."""
    try:
        import uvloop

        return uvloop.run(_run(host, port, headers, scenario, clients, seconds, warmup))
    except ImportError:
        return asyncio.run(_run(host, port, headers, scenario, clients, seconds, warmup))
