"""Audit speed: verifying the hash chain over a large store, and an account's history.

1. Loads ``--events`` (default 1,000,000) consistent events into a fresh PostgreSQL database
   (``bench/dataset.py``), plus one big customer with ``--account-events`` (default 10,000)
   events: the account, many opportunities moving through stages, orders that reserve and
   ship stock.
2. Baseline, same run: a raw paged SELECT of the same rows the verifier reads (position,
   stream, version, topic, stored bytes; 20,000 per page, by position), nothing else; the
   faster of a run before verify and one after.
3. Sealing the whole store (``Sealer``: chain rows + account index), then ``verify`` over
   every event (``Verifier``: paged join of events and chain, SHA-256 per event), in one
   process and shared out over processes, best of two runs each, as events/s. The load
   average is printed beside: the machine is shared, and the figures move with it.
4. The big customer's history (``AuditHistory``: index lookup, events by stream id and by
   position, fold of every aggregate), ``--runs`` times now and as of a mid-history
   instant: p50 / p99.

Usage (repository root, venv active)::

    python bench/audit.py                      # 1M events, a 10,000-event account
    python bench/audit.py --events 200000 --runs 50
    python bench/audit.py --sqlite             # also seal and verify 1M events on SQLite
    python bench/audit.py --history-only       # seal, then only the history (no verify)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid5

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import psycopg  # noqa: E402

from bench.append import postgres_server, throwaway_database  # noqa: E402
from bench.dataset import PROBABILITY, Writer, _insert, load  # noqa: E402
from domain import account, opportunity, order, stock_item  # noqa: E402
from domain.pricing import PricedLine  # noqa: E402
from infra.audit.chain import EventRows  # noqa: E402
from infra.audit.history import AuditHistory  # noqa: E402
from infra.audit.seal import Sealer  # noqa: E402
from infra.audit.verify import Verifier  # noqa: E402
from infra.bootstrap import event_store  # noqa: E402
from infra.eventstore.ids import NAMESPACE, stock_item_id  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.sql.database import Database  # noqa: E402


def big_customer(db: Database, events: int) -> tuple[str, datetime]:
    """Appends one account with about ``events`` events; returns its id and a mid instant."""
    w = Writer(random.Random(7), datetime(2026, 6, 1, tzinfo=UTC))
    aid = uuid5(NAMESPACE, "bench:big-account")
    owner = str(uuid5(NAMESPACE, "bench:rep:0"))
    conn = db.connect()
    for sku in range(100):  # stock items go on from the versions the data set left them at
        sid = stock_item_id(f"B-{sku:04d}")
        row = conn.execute("SELECT MAX(originator_version) FROM sfa_events WHERE originator_id = %s",
                           (sid,)).fetchone()
        w.versions[sid] = int(row[0] or 0)
    w.emit(aid, account.AccountOpened(str(aid), "Big Customer", "software", 5000, "north", owner))
    n, mid = 0, None
    while len(w.rows) < events:
        if len(w.rows) >= events // 2 and mid is None:
            mid = w.now
        oid = uuid5(NAMESPACE, f"bench:big-opp:{n}")
        w.emit(oid, opportunity.OpportunityOpened(str(oid), str(aid), owner, f"Big deal {n}",
                                                  Decimal(10000), "EUR", date(2027, 1, 31),
                                                  ("Gateway",), "prospecting", 10, None))
        stage = "prospecting"
        for to in ("qualification", "proposal", "negotiation", "closed_won"):
            w.emit(oid, opportunity.OpportunityStageChanged(stage, to, PROBABILITY[to]))
            stage = to
        w.emit(oid, opportunity.OpportunityWon(Decimal(10000), "EUR"))
        if n % 3 == 0:
            _big_order(w, n, aid, oid)
        w.emit(aid, account.AccountGraded("A" if n % 2 else "B"))
        n += 1
    _insert(db, conn, w.rows)
    conn.close()
    return str(aid), mid or w.now


def _big_order(w: Writer, n: int, aid: object, oid: object) -> None:
    order_id = uuid5(NAMESPACE, f"bench:big-order:{n}")
    sku = f"B-{n % 100:04d}"
    line = PricedLine(sku, 2, Decimal("50.00"), Decimal("50.00"), "base_price", Decimal("100.00"))
    w.emit(order_id, order.OrderPlaced(str(order_id), str(aid), str(oid), (line,),
                                       Decimal("100.00"), "EUR", False))
    w.emit(stock_item_id(sku), stock_item.StockReserved(str(order_id), 2))
    w.emit(order_id, order.OrderReserved())
    w.emit(order_id, order.OrderShipped("s1", (order.ShipmentLine(sku, 2),), True))
    w.emit(stock_item_id(sku), stock_item.StockShipped(str(order_id), "s1", 2))


def raw_select(db: Database) -> tuple[int, float]:
    """The same rows the verifier reads, paged the same way, with nothing done to them."""
    conn, rows = db.connect(), EventRows(db, page=20_000)
    started, count = time.perf_counter(), 0
    for page in rows.pages(conn, 0):
        count += len(page)
    conn.close()
    return count, time.perf_counter() - started


def timed(work):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def seal_and_verify(db: Database, conn: Any) -> int:
    """Seals the store, then prints verify beside the raw SELECT; returns the event count."""
    sealed, seal_s = timed(lambda: Sealer(db).seal(conn))
    if db.backend != "sqlite":
        conn.execute("ANALYZE")
    count, base_s = raw_select(db)
    results = {}
    for label, workers in (("verify, 1 process", 1), (f"verify, {Verifier(db).workers} processes",
                                                      None)):
        times = []
        for _ in range(2):
            verdict, seconds = timed(lambda w=workers: Verifier(db, workers=w).verify(conn))
            assert verdict.intact and verdict.checked == count == sealed, verdict
            times.append(seconds)
        results[label] = min(times)  # best of two, like the baseline
    base_s = min(base_s, raw_select(db)[1])  # the faster of a run before and one after
    base = count / base_s
    print(f"\n{'what':44} {'seconds':>8} {'events/s':>10} {'x baseline':>10}   "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"{'baseline: raw paged SELECT of the rows':44} {base_s:8.2f} {base:10,.0f} {1:10.2f}")
    for label, verify_s in results.items():
        print(f"{label:44} {verify_s:8.2f} {count / verify_s:10,.0f} {count / verify_s / base:10.2f}")
    print(f"{'seal (chain rows + account index)':44} {seal_s:8.2f} {sealed / seal_s:10,.0f} "
          f"{sealed / seal_s / base:10.2f}")
    return count


def run_sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="sfa-bench-audit-") as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/sfa.db")
        event_store(settings).close()
        db = Database(settings)
        total, load_s = timed(lambda: load(db, args.events))
        print(f"\nSQLite (file in a temp dir, WAL): loaded {total:,} events in {load_s:.1f} s")
        conn = db.connect()
        seal_and_verify(db, conn)
        conn.close()


def run(url: str, origin: str, args: argparse.Namespace) -> None:
    settings = Settings(database_url=url)
    event_store(settings).close()  # creates the store's tables
    db = Database(settings)
    total, load_s = timed(lambda: load(db, args.events))
    (account_id, mid), _ = timed(lambda: big_customer(db, args.account_events))
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("ANALYZE")
        stored = admin.execute("SELECT COUNT(*) FROM sfa_events").fetchone()[0]
    print(f"PostgreSQL: {origin}; loaded {total:,} + {stored - total:,} events in {load_s:.1f} s")
    conn = db.connect()
    if args.history_only:
        sealed, seal_s = timed(lambda: Sealer(db).seal(conn))
        conn.execute("ANALYZE")
        print(f"sealed {sealed:,} events in {seal_s:.1f} s (verify skipped: --history-only)")
    else:
        seal_and_verify(db, conn)
    history = AuditHistory(db, conn)
    n_events = len(history.events(account_id))
    for label, as_of in (("now", None), (f"as of {mid:%Y-%m-%d %H:%M}", mid)):
        times = [timed(lambda as_of=as_of: history.history(account_id, as_of))[1] for _ in range(args.runs)]
        print(f"\nhistory of a {n_events:,}-event account, {label}, {args.runs} runs "
              f"(load average {os.getloadavg()[0]:.1f}): "
              f"p50 {1000 * percentile(times, 0.5):.0f} ms   p99 {1000 * percentile(times, 0.99):.0f} ms"
              f"   mean {1000 * statistics.mean(times):.0f} ms")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--account-events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--pg-url", default=None, help="server to use (default: pgserver)")
    parser.add_argument("--sqlite", action="store_true", help="also verify on SQLite")
    parser.add_argument("--history-only", action="store_true",
                        help="seal, then time the history only (no baseline, no verify)")
    args = parser.parse_args()
    with postgres_server(args) as (server_url, origin), throwaway_database(server_url) as url:
        run(url, origin, args)
    if args.sqlite:
        run_sqlite(args)


if __name__ == "__main__":
    main()
