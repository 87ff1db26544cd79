"""Append throughput: commands per second beside a raw single-row INSERT baseline.

Runs on both backends, each in a throw-away database:

* SQLite: a file in a temporary directory (the library puts it in WAL mode).
* PostgreSQL: a fresh database created on the server ``--pg-url`` names (default: the
  ``SFA_BENCH_DATABASE_URL`` or ``SFA_TEST_DATABASE_URL`` environment variable, else a
  throw-away PostgreSQL 16 started by ``pgserver`` in a temporary directory), dropped at
  the end.

Workloads (each after a warm-up that is not timed; ``--repeat`` times, medians reported):

* ``create``: ``sales.stock.register(...)``, one new StockItem aggregate per command.
* ``append``: ``sales.stock.receive(ctx, sku, quantity=1)``, one more event on an existing
  item, round-robin over ``--items`` items registered (untimed) for each repeat; each
  command first loads that item's whole stream, which grows during a repeat from about
  1 + warm-up / items to 1 + (warm-up + n) / items events (printed).

Baselines, measured in the same run, on the same backend, just before each workload:
plain single-row ``INSERT`` + ``COMMIT`` transactions (one row each) of a ~300 byte JSON
payload into a simple table with an id and a ``(stream_id, version)`` primary key --
psycopg on PostgreSQL (``bigserial`` id), sqlite3 on SQLite (rowid id, the same journal
mode as the store's connection: WAL, ``synchronous`` left at its default).
The ``create`` baseline writes version 1 of a new stream per row; the ``append`` baseline
writes the next version of one of ``--items`` streams, round-robin.

Usage (from the repository root, venv active)::

    python bench/append.py                  # both backends, --n 2000
    python bench/append.py --n 500 --backends sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import psycopg  # noqa: E402

from infra.bootstrap import Sales, bootstrap  # noqa: E402
from infra.service.commands import CommandContext  # noqa: E402
from infra.settings import Settings  # noqa: E402

RAW_TABLE = "bench_raw_events"


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    """One workload on one backend: per-repeat rates, reported as medians."""

    backend: str
    workload: str
    commands: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def commands_per_s(self) -> float:
        return statistics.median(self.commands)

    @property
    def baseline_rows_per_s(self) -> float:
        return statistics.median(self.baseline)

    @property
    def ratio(self) -> float:
        return self.commands_per_s / self.baseline_rows_per_s


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def timed(n: int, warmup: int, step: Callable[[int], object]) -> float:
    """Runs ``step(i)`` for ``warmup`` untimed then ``n`` timed calls; returns per second."""
    for i in range(warmup):
        step(i)
    start = time.perf_counter()
    for i in range(warmup, warmup + n):
        step(i)
    return rate(n, time.perf_counter() - start)


# --------------------------------------------------------------------------- raw payloads


def raw_payload(stream_id: UUID, version: int) -> bytes:
    """A JSON body shaped like a stored event's (data + meta envelope), ~300 bytes."""
    body = {
        "schema_version": 1,
        "data": {"quantity": 1},
        "meta": {
            "event_id": str(uuid4()),
            "occurred_at": "2026-11-23T09:30:00.000000+00:00",
            "actor": "bench",
            "correlation_id": str(uuid4()),
            "causation_id": str(uuid4()),
            "idempotency_key": None,
            "request_hash": None,
        },
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def raw_rows(count: int, streams: int | None) -> list[tuple[UUID, int, bytes]]:
    """``streams=None``: a new stream per row (version 1); else round-robin over them."""
    if streams is None:
        ids = [uuid4() for _ in range(count)]
        return [(sid, 1, raw_payload(sid, 1)) for sid in ids]
    ids = [uuid4() for _ in range(streams)]
    return [(ids[i % streams], i // streams + 1, raw_payload(ids[i % streams], i // streams + 1))
            for i in range(count)]


# --------------------------------------------------------------------------- baselines


class SQLiteBaseline:
    """Plain sqlite3: one BEGIN / INSERT / COMMIT per row, WAL like the store's database."""

    def __init__(self, path: Path, journal_mode: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.journal_mode = self.conn.execute(f"PRAGMA journal_mode={journal_mode}").fetchone()[0]
        self.synchronous = self.conn.execute("PRAGMA synchronous").fetchone()[0]
        self.conn.execute(
            f"CREATE TABLE IF NOT EXISTS {RAW_TABLE} (stream_id TEXT NOT NULL, "
            "version INTEGER NOT NULL, topic TEXT, state BLOB, "
            "PRIMARY KEY (stream_id, version))")

    def run(self, n: int, warmup: int, streams: int | None) -> float:
        rows = raw_rows(n + warmup, streams)
        conn = self.conn
        sql = f"INSERT INTO {RAW_TABLE} VALUES (?, ?, ?, ?)"

        def insert(i: int) -> None:
            sid, version, state = rows[i]
            conn.execute("BEGIN")
            conn.execute(sql, (sid.hex, version, "RawEvent", state))
            conn.execute("COMMIT")

        return timed(n, warmup, insert)

    def close(self) -> None:
        self.conn.close()


class PostgresBaseline:
    """Plain psycopg: one INSERT ... RETURNING id + COMMIT per row."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url)
        with self.conn.transaction():
            self.conn.execute(
                f"CREATE TABLE IF NOT EXISTS {RAW_TABLE} (id bigserial, stream_id uuid NOT NULL, "
                "version bigint NOT NULL, topic text, state bytea, "
                "PRIMARY KEY (stream_id, version))")
        self.conn.commit()

    def run(self, n: int, warmup: int, streams: int | None) -> float:
        rows = raw_rows(n + warmup, streams)
        conn = self.conn
        sql = (f"INSERT INTO {RAW_TABLE} (stream_id, version, topic, state) "
               "VALUES (%s, %s, %s, %s) RETURNING id")

        def insert(i: int) -> None:
            sid, version, state = rows[i]
            conn.execute(sql, (sid, version, "RawEvent", state), prepare=True).fetchone()
            conn.commit()

        return timed(n, warmup, insert)

    def server_settings(self) -> str:
        names = ("server_version", "fsync", "synchronous_commit", "wal_sync_method")
        values = [self.conn.execute(f"SHOW {name}").fetchone()[0] for name in names]  # type: ignore[index]
        self.conn.rollback()
        return ", ".join(f"{k}={v}" for k, v in zip(names, values, strict=True))

    def close(self) -> None:
        self.conn.close()


# --------------------------------------------------------------------------- workloads


def ctx() -> CommandContext:
    return CommandContext(actor="bench")


def bench_create(sales: Sales, n: int, warmup: int, run: str) -> float:
    def register(i: int) -> None:
        sales.stock.register(ctx(), sku=f"BENCH-C-{run}-{i:07d}", name=f"Bench item {i}",
                             base_price=Decimal("19.90"), reorder_level=5)

    return timed(n, warmup, register)


def bench_append(sales: Sales, n: int, warmup: int, items: int, run: str) -> tuple[float, list[int]]:
    skus = [f"BENCH-A-{run}-{i:04d}" for i in range(items)]
    for sku in skus:  # set-up, not timed
        sales.stock.register(ctx(), sku=sku, name=f"Bench item {sku}",
                             base_price=Decimal("19.90"), reorder_level=5)
    loaded: list[int] = []  # events in the stream each timed command loaded first

    def receive(i: int) -> None:
        result = sales.stock.receive(ctx(), skus[i % items], quantity=1)
        if i >= warmup:
            loaded.append(result.version - 1)

    return timed(n, warmup, receive), loaded


def payload_sizes(sales: Sales) -> dict[str, float]:
    sql = (f"SELECT topic, AVG(LENGTH(state)) AS size FROM {sales.store.events_table} "
           "GROUP BY topic")
    with sales.store.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(sql)
        return {row["topic"]: float(row["size"]) for row in cursor.fetchall()}


# --------------------------------------------------------------------------- backends


def run_backend(backend: str, url: str, baseline: SQLiteBaseline | PostgresBaseline,
                args: argparse.Namespace) -> list[Row]:
    """Each repeat: create baseline, create, append baseline, append (fresh items)."""
    run = uuid4().hex[:8]
    create = Row(backend, "create (stock.register)")
    append = Row(backend, f"append (stock.receive, {args.items} items)")
    loaded: list[int] = []
    sales = bootstrap(Settings(database_url=url))
    try:
        for r in range(args.repeat):
            create.baseline.append(baseline.run(args.n, args.warmup, None))
            create.commands.append(bench_create(sales, args.n, args.warmup, f"{run}-{r}"))
            append.baseline.append(baseline.run(args.n, args.warmup, args.items))
            per_s, stream_lengths = bench_append(sales, args.n, args.warmup, args.items,
                                                 f"{run}-{r}")
            append.commands.append(per_s)
            loaded.extend(stream_lengths)

        counts = sales.store.counts_by_type()
        assert counts.get("StockItemRegistered") == args.repeat * (
            args.n + args.warmup + args.items), counts
        assert counts.get("StockReceived") == args.repeat * (args.n + args.warmup), counts
        sizes = payload_sizes(sales)
    finally:
        sales.close()

    raw_size = len(raw_payload(uuid4(), 1))
    append.notes.append(f"events in the stream each timed command loaded first: min "
                        f"{min(loaded)}, mean {statistics.fmean(loaded):.1f}, max {max(loaded)}")
    for row, topic in ((create, "StockItemRegistered"), (append, "StockReceived")):
        row.notes.append(f"stored event payload {sizes[topic]:.0f} bytes avg, "
                         f"baseline payload {raw_size} bytes")
        row.notes.append("per repeat, commands/s: " + ", ".join(f"{v:,.0f}" for v in row.commands)
                         + "; baseline rows/s: " + ", ".join(f"{v:,.0f}" for v in row.baseline))
    return [create, append]


def run_sqlite(args: argparse.Namespace) -> tuple[list[Row], str]:
    with tempfile.TemporaryDirectory(prefix="sfa-bench-sqlite-") as tmp:
        url = f"sqlite:///{tmp}/sfa.db"
        # Open the store first so its file exists in the mode the library chose.
        probe = bootstrap(Settings(database_url=url))
        with probe.store.recorder.datastore.transaction(commit=False) as store_cursor:
            cursor: Any = store_cursor  # the library's SQLite cursor (rows are sqlite3.Row)
            cursor.execute("PRAGMA journal_mode")
            store_journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            store_sync = cursor.fetchone()[0]
        probe.close()
        baseline = SQLiteBaseline(Path(tmp) / "raw.db", store_journal)
        try:
            info = (f"SQLite {sqlite3.sqlite_version}; store journal_mode={store_journal}, "
                    f"synchronous={store_sync}; baseline journal_mode={baseline.journal_mode}, "
                    f"synchronous={baseline.synchronous} (0=OFF 1=NORMAL 2=FULL)")
            return run_backend("sqlite", url, baseline, args), info
        finally:
            baseline.close()


def with_database(server_url: str, name: str) -> str:
    base, _, query = server_url.partition("?")
    base = base.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


@contextmanager
def postgres_server(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    configured = (args.pg_url or os.environ.get("SFA_BENCH_DATABASE_URL")
                  or os.environ.get("SFA_TEST_DATABASE_URL"))
    if configured:
        yield configured, "configured server"
        return
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    data_dir = tempfile.mkdtemp(prefix="sfa-bench-pg-")
    try:
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
        try:
            yield server.get_uri(), "throw-away pgserver in a temp dir (unix socket)"
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server for one benchmark, dropped afterwards; yields its URL."""
    name = f"sfa_bench_{uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run_postgres(args: argparse.Namespace) -> tuple[list[Row], str]:
    with postgres_server(args) as (server_url, origin), throwaway_database(server_url) as url:
        baseline = PostgresBaseline(url)
        try:
            info = f"PostgreSQL, {origin}; {baseline.server_settings()}"
            return run_backend("postgresql", url, baseline, args), info
        finally:
            baseline.close()


# --------------------------------------------------------------------------- main


def print_table(rows: list[Row]) -> None:
    headers = ("backend", "workload", "commands/s", "baseline rows/s", "ratio")
    cells = [(r.backend, r.workload, f"{r.commands_per_s:,.0f}", f"{r.baseline_rows_per_s:,.0f}",
              f"{r.ratio:.2f}") for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    right = (False, False, True, True, True)

    def line(values: tuple[str, ...]) -> str:
        return "| " + " | ".join(v.rjust(w) if r else v.ljust(w)
                                 for v, w, r in zip(values, widths, right, strict=True)) + " |"

    print(line(headers))
    print("|" + "|".join(("-" * (w + 1) + ":") if r else ("-" * (w + 2))
                         for w, r in zip(widths, right, strict=True)) + "|")
    for c in cells:
        print(line(c))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000,
                        help="timed commands per workload, and rows per baseline (default 2000)")
    parser.add_argument("--warmup", type=int, default=100,
                        help="untimed commands / rows before each measurement (default 100)")
    parser.add_argument("--items", type=int, default=100,
                        help="existing stock items the append workload spreads over (default 100)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="measurements per figure; the table shows medians (default 5)")
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default both)")
    parser.add_argument("--pg-url", default=None,
                        help="PostgreSQL server URL (a fresh database is created on it and "
                             "dropped); default $SFA_BENCH_DATABASE_URL, $SFA_TEST_DATABASE_URL, "
                             "else a throw-away pgserver")
    args = parser.parse_args(argv)
    if args.n < 1 or args.warmup < 0 or args.items < 1 or args.repeat < 1:
        parser.error("--n, --items and --repeat must be positive, --warmup not negative")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")

    print(f"sfa-core append benchmark: n={args.n}, warm-up={args.warmup}, items={args.items}, "
          f"repeat={args.repeat}; "
          f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    started = time.perf_counter()
    rows: list[Row] = []
    for backend in backends:
        runner = run_sqlite if backend == "sqlite" else run_postgres
        backend_rows, info = runner(args)
        print(f"[{backend}] {info}")
        rows.extend(backend_rows)

    print()
    print_table(rows)
    print()
    for r in rows:
        for note in r.notes:
            print(f"  {r.backend} / {r.workload}: {note}")
        print(f"  {r.backend} / {r.workload}: {1000 / r.commands_per_s:.2f} ms per command, "
              f"{1000 / r.baseline_rows_per_s:.2f} ms per baseline row")
    print(f"\nmedians of {args.repeat} repeat(s); ratio = commands/s / baseline rows/s "
          f"(1.00 = as fast as a bare single-row INSERT transaction). "
          f"Total time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
