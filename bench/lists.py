"""Work lists at size: a page of leads or deals, filtered, sorted, searched or deep, on PostgreSQL.

1. Fills the ``lists`` read model's tables (a generation made and swapped in as the projector
   does, indexes built on swap-in) with ``--leads`` leads (default 1,000,000) and
   ``--opportunities`` deals (default 200,000) of 500 reps in 25 teams and 50,000 accounts:
   rows written straight into the tables (COPY), since what is measured is the query side.
2. Baseline, same run: a plain indexed ``SELECT <the same columns> FROM lists_leads ORDER BY
   captured_at DESC LIMIT 50``, fetched with psycopg, nothing else.
3. Each list query as ``GET /v1/leads`` runs it (a pooled reader connection, the role scope,
   the statement, the rows typed): the time per page, p50 and p99 over ``--n`` pages with
   varying reps, teams, words and cursors.

Usage (repository root, venv active)::

    python bench/lists.py                       # 1M leads, 200k deals
    python bench/lists.py --leads 100000 --opportunities 20000 --n 200
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import psycopg  # noqa: E402

from bench.append import postgres_server, throwaway_database  # noqa: E402
from infra.readside.readstore import ReadStore, SqlReader  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.sql.database import Database  # noqa: E402
from projections.base import Table, search_text  # noqa: E402
from projections.paging import PageRequest, Scope  # noqa: E402
from projections.work_lists.projection import (  # noqa: E402
    ACCOUNTS,
    LEADS,
    OPPORTUNITIES,
    REPS,
    WorkListsProjection,
)
from projections.work_lists.queries import (  # noqa: E402
    LeadFilters,
    OpportunityFilters,
    WorkListQueries,
)

START = datetime(2025, 1, 1, tzinfo=UTC)
NO_FILTER = LeadFilters()
SYLLABLES = ("an", "be", "ca", "do", "el", "fi", "go", "ha", "in", "jo", "ka", "lu", "ma",
             "ne", "or", "pa", "ri", "so", "ta", "ul", "vi", "wa", "xe", "yo", "ze")
STATUSES = ("open",) * 6 + ("qualified", "disqualified", "converted")
CHANNELS = ("web_form", "social", "event", "referral", "purchased_list", "partner")
STAGES = ("prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost")


def words(rng: random.Random, count: int, length: int) -> list[str]:
    """``count`` distinct made-up words of ``length`` syllables (625 two-syllable ones)."""
    found: set[str] = set()
    while len(found) < count:
        found.add("".join(rng.choice(SYLLABLES) for _ in range(length)).capitalize())
    return sorted(found)


def uid(kind: int, n: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


class World:
    def __init__(self, rng: random.Random, leads: int, deals: int) -> None:
        self.rng, self.leads, self.deals = rng, leads, deals
        self.first = words(rng, 300, 2)
        self.last = words(rng, 3000, 3)  # a surname matches ~1 lead in 3,000
        self.companies = words(rng, 2000, 3)
        self.reps = [uid(1, n) for n in range(500)]
        self.accounts = [uid(2, n) for n in range(50_000)]

    def team_of(self, rep_index: int) -> str:
        return f"team-{rep_index % 25:02}"

    def rep_rows(self) -> Iterator[dict[str, Any]]:
        for i, rep_id in enumerate(self.reps):
            name = f"{self.first[i % 300]} {self.last[i]}"
            yield {"rep_id": rep_id, "name": name, "email": f"rep{i}@sales.example",
                   "role": "rep", "team": self.team_of(i), "region": f"r{i % 5}",
                   "manager_id": None, "active": True, "hired_at": START,
                   "search": search_text(name, f"rep{i}@sales.example")}

    def account_rows(self) -> Iterator[dict[str, Any]]:
        for i, account_id in enumerate(self.accounts):
            name = f"{self.companies[i % 2000]} {self.last[i % 3000]} {i}"
            yield {"account_id": account_id, "name": name, "region": f"r{i % 5}",
                   "industry": None, "grade": "B", "owner_id": self.reps[i % 500],
                   "opened_at": START, "open_opportunities": 0, "last_contact_at": None,
                   "search": search_text(name)}

    def lead_rows(self) -> Iterator[dict[str, Any]]:
        rng, seconds = self.rng, 2 * 365 * 86400
        for n in range(self.leads):
            person = f"{rng.choice(self.first)} {rng.choice(self.last)}"
            company = f"{rng.choice(self.companies)} GmbH"
            email = f"{person.lower().replace(' ', '.')}{n}@{company.split()[0].lower()}.example"
            owner = self.reps[rng.randrange(500)] if rng.random() < 0.85 else None
            yield {"lead_id": uid(3, n), "person": person, "company": company, "email": email,
                   "status": rng.choice(STATUSES), "score": rng.randrange(100),
                   "channel": rng.choice(CHANNELS), "region": f"r{rng.randrange(5)}",
                   "owner_id": owner,
                   "captured_at": START + timedelta(seconds=rng.randrange(seconds)),
                   "last_contact_at": None, "search": search_text(person, company, email)}

    def deal_rows(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for n in range(self.deals):
            account = rng.randrange(50_000)
            name = f"{rng.choice(self.companies)} roll-out {n}"
            amount = Decimal(rng.randrange(1_000, 200_000))
            stage = rng.choice(STAGES)
            opened = START + timedelta(days=rng.randrange(700))
            yield {"opportunity_id": uid(4, n), "name": name, "account_id": self.accounts[account],
                   "stage": stage, "probability": 50, "amount": amount, "currency": "EUR",
                   "weighted_amount": amount / 2, "owner_id": self.reps[rng.randrange(500)],
                   "expected_close": date(2026, 1, 1) + timedelta(days=rng.randrange(500)),
                   "opened_at": opened, "stage_entered_at": opened, "last_contact_at": None,
                   "open": not stage.startswith("closed"),
                   "search": search_text(name, f"{self.companies[account % 2000]} "
                                               f"{self.last[account % 3000]} {account}")}


def fill(db: Database, world: World) -> None:
    """A generation of the lists model holding the world, swapped in (indexes built then)."""
    store, projection = ReadStore(db), WorkListsProjection()
    conn = db.connect()
    store.ensure_registry(conn)
    generation = store.create_generation(conn, projection).generation
    for table, rows in ((REPS, world.rep_rows()), (ACCOUNTS, world.account_rows()),
                        (LEADS, world.lead_rows()), (OPPORTUNITIES, world.deal_rows())):
        write(db, store, conn, table, generation, rows)
    started = time.perf_counter()
    assert store.activate(conn, projection, generation)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    print(f"  indexes built and swapped in: {time.perf_counter() - started:.1f} s")


def write(db: Database, store: ReadStore, conn: Any, table: Table, generation: int,
          rows: Iterator[dict[str, Any]]) -> None:
    started, batch, count = time.perf_counter(), [], 0
    for row in rows:
        batch.append(row)
        if len(batch) == 50_000:
            count += flush(db, store, conn, table, generation, batch)
    count += flush(db, store, conn, table, generation, batch)
    print(f"  {table.name}: {count:,} rows in {time.perf_counter() - started:.1f} s")


def flush(db: Database, store: ReadStore, conn: Any, table: Table, generation: int,
          batch: list[dict[str, Any]]) -> int:
    if batch:
        with db.transaction(conn) as cursor:
            store.write_rows(cursor, table, generation, [], [], new_rows=list(batch))
    count = len(batch)
    batch.clear()
    return count


def timed(n: int, call: Callable[[int], object]) -> tuple[float, float]:
    """(p50, p99) in milliseconds of ``call(i)`` for i in range(n), after 10 untimed calls."""
    for i in range(10):
        call(i)
    times = []
    for i in range(n):
        started = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(n - 1, int(n * 0.99))]


def cases(db: Database, world: World) -> dict[str, Callable[[int], object]]:
    rng = random.Random(7)
    reps, team = world.reps, [r for i, r in enumerate(world.reps) if i % 25 == 0]
    surnames = [rng.choice(world.last) for _ in range(1000)]
    deep = deep_cursor(db)

    def leads(scope: Scope, request: PageRequest, f: LeadFilters = NO_FILTER) -> object:
        with db.reader() as conn:
            return WorkListQueries(SqlReader(db, conn)).leads(scope, request, f)

    def deals(scope: Scope, request: PageRequest, f: OpportunityFilters) -> object:
        with db.reader() as conn:
            return WorkListQueries(SqlReader(db, conn)).opportunities(
                scope, request, datetime.now(UTC), f)

    return {
        "leads: a rep's first page, newest first": lambda i: leads(
            Scope((reps[i % 500],)), PageRequest(sort="-captured_at")),
        "leads: a manager's team (20 reps), open, by score": lambda i: leads(
            Scope(tuple(team), unassigned=True), PageRequest(sort="-score"),
            LeadFilters(status="open")),
        "leads: everyone's, channel=event, by person": lambda i: leads(
            Scope(), PageRequest(sort="person"), LeadFilters(channel="event")),
        "leads: q=<a surname>, newest first": lambda i: leads(
            Scope(), PageRequest(sort="-captured_at", q=surnames[i % 1000])),
        "leads: q=gmbh (a word of every lead), newest first": lambda i: leads(
            Scope(), PageRequest(sort="-captured_at", q="gmbh")),
        "leads: q=<a first name> (1 lead in 300)": lambda i: leads(
            Scope(), PageRequest(sort="-captured_at", q=world.first[i % 300])),
        "leads: q=<first name + surname>": lambda i: leads(
            Scope(), PageRequest(q=f"{world.first[i % 300]} {surnames[i % 1000]}")),
        "leads: a rep's q=<a surname>": lambda i: leads(
            Scope((reps[i % 500],)), PageRequest(q=surnames[i % 1000])),
        "leads: the page after 100,000 (cursor)": lambda i: leads(
            Scope(), PageRequest(sort="-captured_at", cursor=deep)),
        "deals: a manager's team, proposal, by close date": lambda i: deals(
            Scope(tuple(team)), PageRequest(sort="expected_close"),
            OpportunityFilters(stage="proposal")),
        "deals: q=<an account's company word>": lambda i: deals(
            Scope(), PageRequest(q=world.companies[i % 2000]), OpportunityFilters()),
    }


def deep_cursor(db: Database) -> str:
    """The cursor ``GET /v1/leads?sort=-captured_at`` gives after 100,000 leads."""
    with db.reader() as conn:
        found = WorkListQueries(SqlReader(db, conn))
        page = found.leads(Scope(), PageRequest(limit=500, sort="-captured_at"))
        cursor = page.next_cursor
        for _ in range(199):
            page = found.leads(Scope(), PageRequest(limit=500, sort="-captured_at",
                                                    cursor=cursor))
            cursor = page.next_cursor
    assert cursor is not None
    return cursor


def baseline(url: str, n: int) -> tuple[float, float]:
    columns = ("lead_id, person, company, email, status, score, channel, region, owner_id, "
               "captured_at, last_contact_at")
    with psycopg.connect(url) as conn:
        return timed(n, lambda i: conn.execute(
            f"SELECT {columns} FROM lists_leads ORDER BY captured_at DESC, lead_id DESC "
            "LIMIT 50").fetchall())


def run(url: str, origin: str, args: argparse.Namespace) -> None:
    print(f"PostgreSQL, {origin}; {args.leads:,} leads, {args.opportunities:,} deals")
    db = Database(Settings(database_url=url, pool_size=2))
    world = World(random.Random(42), args.leads, args.opportunities)
    fill(db, world)
    base50, base99 = baseline(url, args.n)
    print(f"\nbaseline: plain indexed SELECT ... LIMIT 50: p50 {base50:.2f} ms, "
          f"p99 {base99:.2f} ms\n")
    print(f"| list query (n={args.n}) | p50 ms | p99 ms | p99 / baseline p99 |")
    print("|---|---:|---:|---:|")
    for name, call in cases(db, world).items():
        p50, p99 = timed(args.n, call)
        print(f"| {name} | {p50:.2f} | {p99:.2f} | {p99 / base99:.1f} |")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--opportunities", type=int, default=200_000)
    parser.add_argument("--n", type=int, default=500, help="pages timed per query")
    parser.add_argument("--pg-url", default=None, help="server to use (default: pgserver)")
    args = parser.parse_args()
    if args.leads < 100_500 or args.opportunities < 1 or args.n < 1:
        parser.error("--leads must be above 100,500 (the deep page), the others positive")
    with postgres_server(args) as (server_url, origin), throwaway_database(server_url) as url:
        run(url, origin, args)


if __name__ == "__main__":
    main()
