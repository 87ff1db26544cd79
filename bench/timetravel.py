"""The funnel and the forecast as of any instant, at size on PostgreSQL: ``GET /v1/funnel?as_of=``
and ``GET /v1/forecast?as_of=`` beside the same queries now, measured in the same run; and the
storage the intervals model takes beside the event log.

1. A fresh database with ``--opportunities`` (100,000) deals of 50 reps in 5 teams, each with a
   life spread over weeks: opened on a day of the last 24 months, moved through the stages,
   its amount changed (up or cut) and its close date pushed, now and then handed to another
   rep, called a few times, most of them won or lost at the end — the lives interleaved in
   time order as a store records them; a quota per rep and quarter, set and then corrected;
   two reps moving team half-way. About 10 events per deal: 1,000,000 events at the default.
2. The funnel, forecasts and intervals models built (``ReadModels.rebuild``, two processes),
   then ``VACUUM ANALYZE``.
3. The app in this process (``create_app``, projectors off, ``settle_gc`` as ``sfa serve``),
   asked through Starlette's TestClient one request at a time: each query now, then as of a
   different instant per request, drawn at random over the whole history (a seeded
   generator: every run asks the same instants). As an admin (every deal) and as a team's
   manager (the team's deals then, of those the manager may see now). p50 and p99 over
   ``--n`` requests after 10 untimed ones.

Usage (repository root, venv active)::

    python bench/timetravel.py                        # 100,000 deals, about 1,000,000 events
    python bench/timetravel.py --opportunities 10000 --n 50
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(REPO_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != REPO_ROOT / "bench"]

import psycopg  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from bench.append import postgres_server, throwaway_database  # noqa: E402
from bench.dataset import PROBABILITY, Writer, _id, _insert  # noqa: E402
from bench.lists import timed  # noqa: E402
from domain import account, opportunity, rep  # noqa: E402
from domain.events import Event  # noqa: E402
from infra.bootstrap import Root  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.sql.database import Database  # noqa: E402
from projections.deal_intervals.projection import DealIntervalsProjection  # noqa: E402

TARGET_MS = 100.0  # p99 as of any instant (issue 20)
REPS, TEAMS, MONTHS = 50, 5, 24
OPEN_PATH = ("qualification", "proposal", "negotiation")
Scheduled = tuple[float, int, UUID, Event]  # when (epoch seconds), order, stream, event


def deal_life(rng: random.Random, n: int, start: float, reps: list[str]) -> list[Scheduled]:
    """One deal's events, from its opening at ``start`` on, days apart."""
    aid, oid = _id("account", n), _id("opportunity", n)
    owner = reps[n % len(reps)]
    amount = Decimal(rng.choice([5, 10, 20, 40, 80])) * 1000
    close = (datetime.fromtimestamp(start, UTC) + timedelta(days=rng.randint(20, 150))).date()
    events: list[Event] = [
        account.AccountOpened(str(aid), f"Company {n}", "software", 120, f"region-{n % 5}", owner),
        opportunity.OpportunityOpened(str(oid), str(aid), owner, f"Deal {n}", amount,
                                      rng.choice(["EUR", "EUR", "EUR", "USD"]), close,
                                      tuple(rng.sample(["Gateway", "Sensor", "Hub"], rng.randint(0, 2))),
                                      "prospecting", 10, None)]
    streams = [aid, oid]
    stage = "prospecting"
    changes: list[Event] = [opportunity.OpportunityStageChanged(stage, to, PROBABILITY[to])
                            for to in OPEN_PATH[: rng.randint(0, 3)]]
    if changes:
        stage = changes[-1].to_stage  # type: ignore[attr-defined]
    for _ in range(rng.choice([0, 1, 1, 2])):
        new = amount * Decimal(rng.choice(["0.6", "0.8", "1.25"]))
        changes.append(opportunity.OpportunityAmountChanged(new, amount))
        amount = new
    for _ in range(rng.choice([0, 1, 1, 2])):
        pushed = close + timedelta(days=rng.choice([14, 30, 45]))
        changes.append(opportunity.OpportunityCloseDateChanged(pushed, close))
        close = pushed
    if rng.random() < 0.08:
        other = rng.choice(reps)
        if other != owner:
            changes.append(opportunity.OpportunityOwnerChanged(other, owner))
    for k in range(rng.randint(1, 5)):
        changes.append(opportunity.OpportunityInteractionLogged(f"{oid}-{k}", "call", "", None))
    moves = iter([c for c in changes if isinstance(c, opportunity.OpportunityStageChanged)])
    rng.shuffle(changes)  # the stage moves keep their order: put back in it below
    changes = [next(moves) if isinstance(c, opportunity.OpportunityStageChanged) else c
               for c in changes]
    currency = events[1].currency  # type: ignore[attr-defined]
    if rng.random() < 0.75:
        won = rng.random() < 0.5
        changes.append(opportunity.OpportunityStageChanged(
            stage, "closed_won" if won else "closed_lost", 100 if won else 0))
        changes.append(opportunity.OpportunityWon(amount, currency) if won
                       else opportunity.OpportunityLost("price", None))
    events += changes
    streams += [oid] * len(changes)
    when, found = start, []
    for i, (stream, event) in enumerate(zip(streams, events, strict=True)):
        if i > 1 and not isinstance(event, (opportunity.OpportunityWon, opportunity.OpportunityLost)):
            when += rng.expovariate(1 / (4 * 86_400))  # 4 days apart on average
        found.append((when, n * 100 + i, stream, event))
    return found


def history(count: int, seed: int = 20) -> tuple[list[Scheduled], list[str], float]:
    """Every event of the benchmark's world in time order, the rep ids and the first instant."""
    rng = random.Random(seed)
    first = (datetime.now(UTC) - timedelta(days=30.4 * MONTHS)).timestamp()
    span = 30.4 * MONTHS * 86_400
    reps = [str(_id("rep", r)) for r in range(REPS)]
    found: list[Scheduled] = []
    for r, rid in enumerate(reps):
        found.append((first, r, UUID(rid), rep.RepHired(
            rid, f"Rep {r}", f"rep{r}@bench.example", "manager" if r < TEAMS else "rep",
            f"team-{r % TEAMS}", f"region-{r % 5}", None if r < TEAMS else reps[r % TEAMS])))
        for year in sorted({datetime.fromtimestamp(first + f * span, UTC).year for f in (0, 1)}):
            for quarter in range(1, 5):
                set_at = first + rng.random() * span
                for amount in (300_000, 400_000):  # set, then corrected
                    found.append((set_at, r * 100 + quarter, UUID(rid), rep.RepQuotaSet(
                        f"{year}-Q{quarter}", Decimal(amount))))
                    set_at += 86_400
    for r in (7, 8):  # two reps move team half-way
        found.append((first + span / 2, r, UUID(reps[r]), rep.RepMoved(
            f"team-{(r + 1) % TEAMS}", f"region-{r % 5}", reps[(r + 1) % TEAMS])))
    for n in range(count):
        found += deal_life(rng, n, first + rng.random() * span * 0.95, reps)
    now = datetime.now(UTC).timestamp() - 60
    found = sorted((e for e in found if e[0] < now), key=lambda e: (e[0], e[1]))  # none ahead
    return found, reps, first


def load(url: str, count: int) -> tuple[list[str], float, int]:
    events, reps, first = history(count)
    db = Database(Settings(database_url=url))
    w = Writer(random.Random(3), datetime.now(UTC))
    w.most_seconds = 1
    conn = db.connect()
    try:
        for when, _, stream, event in events:
            w.now = datetime.fromtimestamp(when, UTC) - timedelta(seconds=1)
            w.emit(stream, event)  # one second on: at ``when``
            if len(w.rows) >= 20_000:
                _insert(db, conn, w.rows)
                w.rows = []
        _insert(db, conn, w.rows)
    finally:
        conn.close()
        db.close()
    return reps, first, len(events)


def storage(url: str) -> list[str]:
    """The intervals model's tables and the event log, each after ``VACUUM FULL`` (a
    rebuild's updates leave dead rows that autovacuum would reuse, not return)."""
    tables = [t.name for t in DealIntervalsProjection.tables]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM FULL")
        events = conn.execute("SELECT pg_total_relation_size('sfa_events')").fetchone()[0]
        found = {}
        for (name,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = "
                                    "current_schema()").fetchall():
            model = next((t for t in tables if name.startswith(t + "__g")), None)
            if model is not None:
                rows = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                size = conn.execute(f"SELECT pg_total_relation_size('{name}')").fetchone()[0]
                found[model] = (rows, size)
    lines = ["| table | rows | MB (with indexes) |", "|---|---:|---:|"]
    for name, (rows, size) in sorted(found.items(), key=lambda kv: -kv[1][1]):
        lines.append(f"| {name} | {rows:,} | {size / 1e6:.1f} |")
    total = sum(size for _, size in found.values())
    lines.append(f"| **intervals model** | | **{total / 1e6:.1f}** |")
    lines.append(f"| the event log (sfa_events) | | {events / 1e6:.1f} |")
    return lines


def _ask(test: TestClient, path: str, headers: dict[str, str]) -> None:
    answer = test.get(path, headers=headers)
    assert answer.status_code == 200, (path, answer.text[:300])


def bench_queries(test: TestClient, services: object, n: int, reps: list[str],
                  first: float) -> list[str]:
    tokens = services.tokens  # type: ignore[attr-defined]
    admin = {"Authorization": f"Bearer {tokens.create('admin', None, 'bench')}"}
    manager = {"Authorization": f"Bearer {tokens.create('manager', reps[1], 'bench')}"}
    now = datetime.now(UTC).timestamp()
    rng = random.Random(5)
    instants = [datetime.fromtimestamp(first + rng.random() * (now - first), UTC)
                .strftime("%Y-%m-%dT%H:%M:%S.%fZ") for _ in range(n + 10)]
    lines = [f"| query (n={n}) | p50 ms | p99 ms | p99 < {TARGET_MS:.0f} ms |", "|---|---:|---:|---|"]
    for path, who, headers in (("/v1/funnel", "admin", admin), ("/v1/funnel", "manager", manager),
                               ("/v1/forecast?period=quarter", "admin", admin),
                               ("/v1/forecast?period=quarter", "manager", manager)):
        joiner = "&" if "?" in path else "?"
        for label, paths in (("now", [path] * (n + 10)),
                             ("as of", [f"{path}{joiner}as_of={i}" for i in instants])):
            each = iter(paths)  # the 10 untimed requests ask instants of their own
            p50, p99 = timed(n, lambda _, each=each, headers=headers: _ask(test, next(each), headers))
            target = f"{'yes' if p99 < TARGET_MS else '**no**'}" if label == "as of" else ""
            lines.append(f"| GET {path} {label} ({who}) | {p50:.1f} | {p99:.1f} | {target} |")
    return lines


def run(url: str, origin: str, args: argparse.Namespace) -> None:
    settings = Settings(database_url=url, pool_size=4, settle_gc=True)
    print(f"PostgreSQL, {origin}; {args.opportunities:,} opportunities")
    started = time.perf_counter()
    with Root(settings) as root:
        root.sales  # noqa: B018 — makes the store's tables
    reps, first, count = load(url, args.opportunities)
    print(f"  loaded {count:,} events in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with Root(settings) as root:
        models = root.read_models()
        try:
            models.rebuild(["funnel", "forecasts", "intervals"], workers=2)
        finally:
            models.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"  funnel, forecasts and intervals built and vacuumed in "
          f"{time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with TestClient(create_app(settings, run_projectors=False)) as test:
        lines = bench_queries(test, test.app.state.services, args.n, reps, first)  # type: ignore[attr-defined]
    print(f"  timed in {time.perf_counter() - started:.0f} s\n")
    print("\n".join(lines))
    print()
    print("\n".join(storage(url)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=200, help="requests timed per query")
    parser.add_argument("--pg-url", default=None, help="server to use (default: pgserver)")
    args = parser.parse_args()
    if args.opportunities < 1 or args.n < 1:
        parser.error("--opportunities and --n must be positive")
    started = time.perf_counter()
    with postgres_server(args) as (server_url, origin), throwaway_database(server_url) as url:
        run(url, origin, args)
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
