"""Read-model rebuild speed from a large store, and live lag under a steady command load.

1. Loads ``--events`` (default 1,000,000) consistent events into a fresh PostgreSQL database
   (``bench/dataset.py``: real domain events, the store's own encoding, bulk-loaded).
2. Baseline, same run: a paged SELECT of the same events (10,000 per page, by position)
   plus JSON decode (orjson, the projectors' decoder), nothing else.
3. Full rebuild of the funnel read model alone, then of all read models together (from
   the first event, into fresh generations, swapped in at the end, as
   ``sfa projections rebuild`` does), reported as stored events per second.
4. Live lag: ``sfa project`` runs as its own process; commands (opportunity stage
   changes) arrive at ``--rate`` per second for ``--seconds``; for each, the time from its
   commit to the funnel model's position reaching it, as p50 / p99.

Usage (repository root, venv active)::

    python bench/rebuild.py                    # 1M events, 500 commands/s for 20 s
    python bench/rebuild.py --events 200000 --seconds 10
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import orjson  # noqa: E402
import psycopg  # noqa: E402

from bench.append import postgres_server, throwaway_database  # noqa: E402
from bench.dataset import load  # noqa: E402
from infra.bootstrap import Sales, bootstrap, event_store, read_models  # noqa: E402
from infra.service.commands import CommandContext  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.sql.database import Database  # noqa: E402
from projections.catalog import BY_NAME  # noqa: E402


def baseline(db: Database) -> tuple[int, float]:
    """Paged SELECT + decode of every event: the floor any projector pays."""
    conn = db.connect()
    started, position, count = time.perf_counter(), 0, 0
    while rows := conn.execute(
            "SELECT notification_id, originator_id::text, originator_version, topic, state "
            "FROM sfa_events WHERE notification_id > %s ORDER BY notification_id LIMIT 10000",
            (position,)).fetchall():
        for row in rows:
            orjson.loads(row[4])
        count, position = count + len(rows), rows[-1][0]
    conn.close()
    return count, time.perf_counter() - started


def rebuild(settings: Settings, names: list[str], workers: int) -> float:
    models = read_models(settings, [BY_NAME[n] for n in names], batch_size=10_000)
    started = time.perf_counter()
    models.rebuild(names, fresh=True, workers=workers)
    seconds = time.perf_counter() - started
    models.close()
    return seconds


def funnel_position(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT position FROM sfa_projections "
                       "WHERE name = 'funnel' AND status = 'active'").fetchone()
    return int(row[0]) if row else 0


class Observer(threading.Thread):
    """Polls the funnel's position every 2 ms, noting when it first reached each value."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.conn = psycopg.connect(url, autocommit=True)
        self.seen: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        last = -1
        while not self.stop.is_set():
            position = funnel_position(self.conn)
            if position != last:
                self.seen.append((time.time(), position))
                last = position
            time.sleep(0.002)

    def visible_at(self, position: int) -> float | None:
        return next((t for t, p in self.seen if p >= position), None)


def bench_deals(sales: Sales, count: int = 200) -> list[str]:
    """A rep, an account and ``count`` open deals whose stages the writers then change."""
    ctx = CommandContext(actor="bench")
    rep_id = str(sales.reps.hire(ctx, name="Bench Rep", email="bench@rep.example", role="rep",
                                 team="bench", region="bench").stream_id)
    account = str(sales.accounts.open(ctx, name="Bench Ltd", region="bench",
                                      owner_id=rep_id).stream_id)
    return [str(sales.opportunities.open(ctx, account_id=account, owner_id=rep_id,
                                         name=f"bench {i}", amount=Decimal(1000),
                                         expected_close=date(2027, 3, 31)).stream_id)
            for i in range(count)]


def live_lag(url: str, rate: int, seconds: float) -> tuple[list[float], int]:
    settings = Settings(database_url=url, pool_size=4)
    sales = bootstrap(settings)
    deals = bench_deals(sales)
    env = {**os.environ, "SFA_DATABASE_URL": url}
    follower = subprocess.Popen([sys.executable, "-m", "workers.cli", "project"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    observer = Observer(url)
    observer.start()
    try:
        head = sales.store.max_position()
        while funnel_position(observer.conn) < head:
            time.sleep(0.05)
        commits = _drive(url, deals, rate, seconds)
        time.sleep(1.0)
    finally:
        follower.terminate()
        follower.wait(timeout=30)
        observer.stop.set()
        observer.join()
        sales.close()
    lags = [(observer.visible_at(p) or float("inf")) - t for t, p in commits]
    # The observer polls every 2 ms: a lag is known to within that (and can read as < 0).
    return lags, len(commits)


def _drive(url: str, deals: list[str], rate: int, seconds: float,
           writers: int = 2) -> list[tuple[float, int]]:
    """``writers`` processes, each paced to its share of the rate (a command takes about a
    millisecond of Python, so one process cannot drive 500/s beside anything else)."""
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0  # every writer has imported and connected by then
    with ProcessPoolExecutor(writers, mp_context=context) as pool:
        parts = pool.map(_writer, [(url, deals, rate / writers, seconds, i, writers, start_at)
                                   for i in range(writers)])
        return [c for part in parts for c in part]


def _writer(job: tuple[str, list[str], float, float, int, int, float]) -> list[tuple[float, int]]:
    url, deals, rate, seconds, offset, writers, start_at = job
    sales = bootstrap(Settings(database_url=url, pool_size=2))
    commits, n = [], 0
    time.sleep(max(0.0, start_at - time.time()))
    while (now := time.time()) - start_at < seconds:
        due = start_at + n / rate
        if now < due:
            time.sleep(due - now)
        turn = writers * n + offset  # each deal is visited once per pass, by one writer
        stage = ("qualification", "proposal")[(turn // len(deals)) % 2]
        result = sales.opportunities.change_stage(CommandContext(actor="bench"),
                                                  deals[turn % len(deals)], stage=stage)
        assert result.events, "every command must change something"
        commits.append((time.time(), result.position))
        n += 1
    sales.close()
    return commits


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, default=500, help="commands per second (live lag)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pg-url", default=None, help="server to use (default: pgserver)")
    args = parser.parse_args()
    with postgres_server(args) as (server_url, origin), throwaway_database(server_url) as url:
        run(url, origin, args)


def run(url: str, origin: str, args: argparse.Namespace) -> None:
    settings = Settings(database_url=url)
    event_store(settings).close()  # creates the store's tables
    started = time.perf_counter()
    total = load(Database(settings), args.events)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    print(f"PostgreSQL: {origin}; loaded {total:,} events in {time.perf_counter() - started:.1f} s")
    count, base_s = baseline(Database(settings))
    base = count / base_s
    print(f"\n{'what':44} {'seconds':>8} {'events/s':>10} {'x baseline':>10}")
    print(f"{'baseline: paged SELECT + JSON decode':44} {base_s:8.2f} {base:10,.0f} {1:10.2f}")
    for label, names, workers in (("rebuild funnel alone", ["funnel"], 1),
                                  (f"rebuild all {len(BY_NAME)} read models, 1 process", list(BY_NAME), 1),
                                  (f"rebuild all {len(BY_NAME)} read models, 2 processes", list(BY_NAME), 2)):
        seconds = rebuild(settings, names, workers)
        print(f"{label:44} {seconds:8.2f} {count / seconds:10,.0f} {count / seconds / base:10.2f}")
    lags, n = live_lag(url, args.rate, args.seconds)
    achieved = n / args.seconds
    print(f"\nlive lag, command committed -> visible in the funnel, {n} commands "
          f"({achieved:,.0f}/s of {args.rate}/s asked):")
    print(f"  p50 {1000 * percentile(lags, 0.5):.1f} ms   p99 {1000 * percentile(lags, 0.99):.1f} ms"
          f"   max {1000 * max(lags):.1f} ms   mean {1000 * statistics.mean(lags):.1f} ms")


if __name__ == "__main__":
    main()
