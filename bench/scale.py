"""The read side spread over projector nodes: rebuild speed with 1, 2 and 3 nodes, and live lag
with three nodes on a large store beside a small one — all measured in one run.

1. Loads ``--events`` (default 1,000,000) consistent events into a fresh PostgreSQL database
   (``bench/dataset.py``), and ``--small`` (default 20,000) into a second one.
2. Baseline, same run: a paged SELECT of the large store's events plus JSON decode (orjson),
   nothing else (``bench/rebuild.py``'s). Both stores' audit chains are sealed before any
   node starts (untimed), so the nodes' time is the read models'.
3. For 1, 2 and 3 nodes: a new, empty read database (``SFA_READ_DATABASE_URL``) and that many
   ``sfa project --node`` processes. The nodes share the read models out through their leases
   and build each from the first event; timed from their start until every model is active at
   the head. Reported: events/s of all models together (stored events ÷ wall time), per node
   (÷ nodes), which models each node built, and each node's peak resident memory.
4. Live lag with three nodes: on each store in turn (large, then small), three nodes follow;
   opportunity stage changes arrive at ``--rate`` per second for ``--seconds``; for each, the
   time from its commit to the funnel model's position (in the read database) reaching it.

Usage (repository root, venv active)::

    python bench/scale.py                     # 1,000,000 and 20,000 events, 500 commands/s
    python bench/scale.py --events 200000 --seconds 10
    python bench/scale.py --segments 3       # splittable models in 3 segments (shares)
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import psycopg  # noqa: E402

from bench.append import postgres_server, throwaway_database  # noqa: E402
from bench.dataset import load  # noqa: E402
from bench.rebuild import Observer, _drive, baseline, bench_deals, percentile  # noqa: E402
from infra.audit.seal import Sealer  # noqa: E402
from infra.bootstrap import bootstrap, event_store  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.sql.database import Database  # noqa: E402
from projections.catalog import BY_NAME  # noqa: E402

NODE_COUNTS = (1, 2, 3)


class Node:
    """``sfa project --node NAME`` on a store, its read models in ``read_url``."""

    def __init__(self, name: str, url: str, read_url: str) -> None:
        env = {**os.environ, "SFA_DATABASE_URL": url, "SFA_READ_DATABASE_URL": read_url,
               "PYTHONPATH": str(REPO_ROOT)}
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "project", "--node", name], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def peak_mb(self) -> float:
        """The process's peak resident memory (VmHWM), MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@contextmanager
def nodes(count: int, url: str, read_url: str) -> Iterator[list[Node]]:
    started = [Node(f"bench-{i + 1}", url, read_url) for i in range(count)]
    try:
        yield started
    finally:
        for node in started:
            node.stop()


def all_at(read_url: str, head: int) -> bool:
    """Every read model active at ``head`` (in the read database's registry)."""
    try:
        with psycopg.connect(read_url, autocommit=True) as conn:
            rows = conn.execute("SELECT name, position FROM sfa_projections "
                                "WHERE status = 'active'").fetchall()
    except psycopg.Error:
        return False  # the registry is not made yet
    positions = dict(rows)
    return set(positions) >= set(BY_NAME) and min(positions.values()) >= head


def holders(read_url: str) -> dict[str, list[str]]:
    with psycopg.connect(read_url, autocommit=True) as conn:
        rows = conn.execute("SELECT holder, share FROM sfa_projector_leases "
                            "WHERE holder IS NOT NULL ORDER BY share").fetchall()
    found: dict[str, list[str]] = {}
    for holder, share in rows:
        found.setdefault(holder, []).append(share)
    return found


def build_with(count: int, url: str, read_url: str, head: int) -> tuple[float, list[str]]:
    """Seconds until ``count`` new nodes have every model active at ``head``, and a line per
    node: what it held at the end and its peak memory."""
    started = time.perf_counter()
    with nodes(count, url, read_url) as running:
        while not all_at(read_url, head):
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        held = holders(read_url)
        lines = [f"    {n.name}: {n.peak_mb():,.0f} MB peak; holds "
                 f"{', '.join(held.get(n.name, [])) or 'nothing'}" for n in running]
    return seconds, lines


def lag_with_three_nodes(url: str, read_url: str, rate: int, seconds: float) -> list[float]:
    """Three nodes follow the store (after building its models); commands at ``rate``."""
    settings = Settings(database_url=url, pool_size=4)
    sales = bootstrap(settings)
    deals = bench_deals(sales)
    with ExitStack() as stack:
        stack.enter_context(nodes(3, url, read_url))
        head = sales.store.max_position()
        while not all_at(read_url, head):
            time.sleep(0.05)
        observer = Observer(read_url)
        observer.start()
        try:
            commits = _drive(url, deals, rate, seconds)
            time.sleep(1.0)
        finally:
            observer.stop.set()
            observer.join()
            sales.close()
    return [(observer.visible_at(p) or float("inf")) - t for t, p in commits]


def loaded(url: str, events: int) -> int:
    """Loads ``events`` and seals the audit chain over them: the nodes then build read models
    only (the first node would otherwise seal the whole log in the same process)."""
    settings = Settings(database_url=url)
    event_store(settings).close()
    db = Database(settings)
    total = load(db, events)
    conn = db.connect()
    try:
        conn.execute("ANALYZE")
        Sealer(db).seal(conn)
    finally:
        conn.close()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=20_000, help="events of the small store")
    parser.add_argument("--rate", type=int, default=500, help="commands per second (live lag)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pg-url", default=None, help="server to use (default: pgserver)")
    parser.add_argument("--only-lag", action="store_true", help="skip the rebuilds (3.)")
    parser.add_argument("--segments", type=int, default=1,
                        help="SFA_PROJECTION_SEGMENTS of the nodes (splittable models)")
    args = parser.parse_args()
    os.environ["SFA_PROJECTION_SEGMENTS"] = str(args.segments)  # the nodes' environment
    with postgres_server(args) as (server_url, origin), ExitStack() as databases:
        large, small = (databases.enter_context(throwaway_database(server_url)) for _ in "ab")
        started = time.perf_counter()
        total = loaded(large, args.events)
        loaded(small, args.small)
        print(f"PostgreSQL: {origin}; loaded and sealed {total:,} + {args.small:,} events in "
              f"{time.perf_counter() - started:.1f} s; splittable models in {args.segments} "
              "segment(s)", flush=True)
        count, base_s = baseline(Database(Settings(database_url=large)))
        base = count / base_s
        print(f"\n{'what':44} {'seconds':>8} {'events/s':>10} {'per node':>10} {'x baseline':>10}")
        print(f"{'baseline: paged SELECT + JSON decode':44} {base_s:8.2f} {base:10,.0f} "
              f"{'':>10} {1:10.2f}")
        for count_of_nodes in () if args.only_lag else NODE_COUNTS:
            with throwaway_database(server_url) as read_url:
                seconds, lines = build_with(count_of_nodes, large, read_url, count)
            rate = count / seconds
            label = f"all {len(BY_NAME)} read models, {count_of_nodes} node(s)"
            print(f"{label:44} {seconds:8.2f} {rate:10,.0f} {rate / count_of_nodes:10,.0f} "
                  f"{rate / base:10.2f}")
            print("\n".join(lines), flush=True)
        for label, url in ((f"{total:,} events", large), (f"{args.small:,} events", small)):
            with throwaway_database(server_url) as read_url:
                lags = lag_with_three_nodes(url, read_url, args.rate, args.seconds)
            print(f"\nlive lag with 3 nodes, store of {label}: {len(lags)} commands "
                  f"({len(lags) / args.seconds:,.0f}/s of {args.rate}/s asked): "
                  f"p50 {1000 * percentile(lags, 0.5):.1f} ms   "
                  f"p99 {1000 * percentile(lags, 0.99):.1f} ms   max {1000 * max(lags):.1f} ms   "
                  f"mean {1000 * statistics.mean(lags):.1f} ms")


if __name__ == "__main__":
    main()
