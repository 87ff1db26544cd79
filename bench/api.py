"""HTTP API speed on PostgreSQL: a mixed command workload and the funnel query, each beside
a raw baseline measured in the same run.

1. **Commands.** ``sfa serve --workers 2`` (the API workers plus the projector process, as a
   user runs it) on a fresh PostgreSQL database with reps, accounts, 200 stock items and
   opportunities set up. ``--clients`` (32) keep-alive connections each send, in turn:
   capture a lead, advance one of their opportunities to its next stage, place an order of
   one line (three commands in the store: the order placed, stock reserved, the order
   reserved). Reported: successful commands/s and latency percentiles.
2. **Baseline, same run:** ``bench/api_baseline.py`` under uvicorn with 2 workers: a
   FastAPI endpoint that validates a lead-shaped body and does one INSERT per request
   through an async psycopg pool, driven by the same client code at the same concurrency;
   then the same app's ``POST /validate`` (the same validation, no database: the floor of
   the HTTP layer). With the whole machine's CPU per request of each (servers, PostgreSQL,
   the load client), the script prints the budget the target leaves for deciding, storing
   and projecting a command once the floor is paid.
3. **Funnel query.** A store with ``--opportunities`` (100,000) opportunities (bulk-loaded
   events of the domain, projected by the server at start-up); one client asks
   ``GET /v1/funnel`` again and again (company-wide, by team, and as a rep); beside the
   baseline's plain ``GET /items/{id}`` (one SELECT by key and a JSON decode).

Usage (repository root, venv active)::

    python bench/api.py
    python bench/api.py --seconds 10 --opportunities 20000
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import orjson  # noqa: E402
import psycopg  # noqa: E402

from bench import http_load  # noqa: E402
from bench.append import postgres_server, throwaway_database  # noqa: E402
from bench.dataset import PROBABILITY, Writer, _id, _insert  # noqa: E402
from domain import account, opportunity, rep  # noqa: E402
from infra.access.tokens import TokenStore  # noqa: E402
from infra.bootstrap import Sales, bootstrap, read_models  # noqa: E402
from infra.service.commands import CommandContext  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.sql.database import Database  # noqa: E402

CYCLE = ("qualification", "proposal", "negotiation", "proposal")
SKUS = 200
OPPORTUNITIES_PER_CLIENT = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    return sorted({int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                   for c in (task / "children").read_text().split()})


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = _stat_fields(current)
            total += (int(fields[11]) + int(fields[12])) / ticks
            pending += _children(current)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def server_split_seconds(pid: int, projector_first: bool) -> dict[str, float]:
    """CPU seconds of each part of ``sfa serve`` (the supervisor, the projector process, each API
    worker) and of every PostgreSQL process on the machine. ``sfa serve`` starts the projector
    before uvicorn starts the workers, so its earliest-started spawned child is the projector
    (``projector_first``; the baseline has none)."""
    spawned = sorted((child for child in _children(pid) if _is_spawned(child)),
                     key=lambda child: int(_stat_fields(child)[19]))
    parts = {"supervisor": tree_cpu_seconds(pid) - sum(map(tree_cpu_seconds, spawned))}
    for n, child in enumerate(spawned):
        name = "projector" if projector_first and n == 0 else f"worker {n + 1 - projector_first}"
        parts[name] = tree_cpu_seconds(child)
    parts["PostgreSQL"] = sum(_postgres_cpu_seconds(proc) for proc in Path("/proc").iterdir()
                              if proc.name.isdigit())
    return parts


def _is_spawned(pid: int) -> bool:
    return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()


def _postgres_cpu_seconds(proc: Path) -> float:
    """The process's own CPU seconds if it is a PostgreSQL process, else 0."""
    try:
        if (proc / "comm").read_text().strip() != "postgres":
            return 0.0
        fields = _stat_fields(int(proc.name))
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (every process: servers, PostgreSQL, the
    load client), from /proc/stat."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Measured:
    result: http_load.LoadResult
    answers: list[tuple[str, bytes]]
    server_cpu: float  # seconds, the server's process tree
    machine_cpu: float  # seconds, the whole machine
    wall: float
    split: dict[str, float]  # seconds, by part of the server and PostgreSQL

    def ms_per_request(self, cpu_seconds: float) -> float:
        return 1000 * cpu_seconds / self.wall / self.result.rate(ok_only=False)


@contextmanager
def served(argv: list[str], env: dict[str, str], port: int, ready_path: str,
           timeout: float = 600) -> Iterator[int]:
    """Starts a server process, waits until ``ready_path`` answers 200; yields its pid."""
    log = open(f"/tmp/sfa-bench-api-{port}.log", "w")  # noqa: SIM115 — closed below
    process = subprocess.Popen(argv, env={**os.environ, **env}, cwd=REPO_ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not _answers(port, ready_path):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start; see {log.name}")
            time.sleep(0.2)
        yield process.pid
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def _answers(port: int, path: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@contextmanager
def sfa_served(url: str, args: argparse.Namespace) -> Iterator[tuple[int, int]]:
    """``sfa serve`` on the database, as a user runs it; yields (port, pid)."""
    port = free_port()
    sfa = str(Path(sys.executable).parent / "sfa")
    with served([sfa, "serve", "--port", str(port), "--workers", str(args.workers)],
                {"SFA_DATABASE_URL": url}, port, "/healthz") as pid:
        yield port, pid


@contextmanager
def baseline_served(server_url: str, args: argparse.Namespace,
                    rows: tuple[bytes, ...] = ()) -> Iterator[tuple[int, int]]:
    """The raw baseline app on a database of its own holding ``rows``; yields (port, pid)."""
    from bench.api_baseline import TABLE

    with throwaway_database(server_url) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(TABLE)
            for state in rows:
                conn.execute("INSERT INTO bench_items (topic, state) VALUES ('x', %s)", (state,))
        port = free_port()
        uvicorn = [sys.executable, "-m", "uvicorn", "bench.api_baseline:create_app", "--factory",
                   "--port", str(port), "--workers", str(args.workers), "--log-level", "warning"]
        with served(uvicorn, {"BENCH_DATABASE_URL": url}, port, "/docs") as pid:
            yield port, pid


def load_with_cpu(port: int, pid: int, headers: dict[str, str], scenario: http_load.Scenario,
                  args: argparse.Namespace, projector_first: bool = False) -> Measured:
    """The load at ``--clients``, and the CPU seconds spent meanwhile (server, machine, by part)."""
    split = server_split_seconds(pid, projector_first)
    cpu, machine, started = tree_cpu_seconds(pid), machine_busy_seconds(), time.monotonic()
    result, answers = http_load.run("127.0.0.1", port, headers, scenario, clients=args.clients,
                                    seconds=args.seconds, warmup=args.warmup)
    after = server_split_seconds(pid, projector_first)
    return Measured(result, answers, tree_cpu_seconds(pid) - cpu,
                    machine_busy_seconds() - machine, time.monotonic() - started,
                    {part: seconds - split.get(part, 0.0) for part, seconds in after.items()})


# --- the command workload -------------------------------------------------------------------

def ctx() -> CommandContext:
    return CommandContext(actor="bench", now=datetime.now(UTC))


def set_up_world(sales: Sales, clients: int) -> dict[str, list]:
    manager = str(sales.reps.hire(ctx(), name="Mia Manager", email="mia@bench.example",
                                  role="manager", team="north", region="north").stream_id)
    reps = [str(sales.reps.hire(ctx(), name=f"Rep {r}", email=f"rep{r}@bench.example", role="rep",
                                team="north", region="north", manager_id=manager).stream_id)
            for r in range(8)]
    accounts = [str(sales.accounts.open(ctx(), name=f"Customer {c}", region="north",
                                        owner_id=reps[c % len(reps)]).stream_id)
                for c in range(clients)]
    skus = [f"SKU-{s:04d}" for s in range(SKUS)]
    for sku in skus:
        sales.stock.register(ctx(), sku=sku, name=f"Item {sku}", base_price=Decimal("19.90"))
        sales.stock.receive(ctx(), sku, quantity=1_000_000_000)
    deals = [[str(sales.opportunities.open(
        ctx(), account_id=accounts[c], owner_id=reps[c % len(reps)], name=f"Deal {c}-{d}",
        amount=Decimal(10_000), expected_close=date(2027, 3, 31)).stream_id)
        for d in range(OPPORTUNITIES_PER_CLIENT)] for c in range(clients)]
    return {"accounts": accounts, "skus": skus, "deals": deals}


def lead_body(client: int, k: int, run: str) -> bytes:
    return orjson.dumps({"person": f"Person {client}-{k}", "company": f"Company {run} {client}-{k}",
                         "email": f"p{client}.{k}.{run}@bench.example", "channel": "web_form",
                         "region": "north"})


def command_scenario(world: dict[str, list], run: str) -> http_load.Scenario:
    rng = random.Random(7)

    def next_request(client: int, k: int) -> http_load.Request:
        step = k % 3
        if step == 0:
            return "lead", "POST", "/v1/leads", lead_body(client, k, run)
        if step == 1:
            deal = world["deals"][client][(k // 3) % OPPORTUNITIES_PER_CLIENT]
            stage = CYCLE[(k // (3 * OPPORTUNITIES_PER_CLIENT)) % len(CYCLE)]
            return "stage", "POST", f"/v1/opportunities/{deal}/stage", orjson.dumps({"stage": stage})
        line = {"sku": rng.choice(world["skus"]), "quantity": 1}
        body = orjson.dumps({"account_id": world["accounts"][client], "lines": [line]})
        return "order", "POST", "/v1/orders", body

    return next_request


def baseline_scenario(run: str, label: str, path: str) -> http_load.Scenario:
    def next_request(client: int, k: int) -> http_load.Request:
        return label, "POST", path, lead_body(client, k, run)

    return next_request


def report(title: str, result: http_load.LoadResult, labels: list[str],
           answers: list[tuple[str, bytes]], measured: Measured | None = None) -> None:
    errors = result.errors()
    print(f"\n{title}: {result.rate():,.0f} ok requests/s over {result.seconds:.1f} s "
          f"(p50 {result.median_ms():.1f} ms, p99 {result.percentile_ms(0.99):.1f} ms, "
          f"max {result.percentile_ms(1.0):.1f} ms); errors {errors or 'none'}")
    if measured is not None:
        print(f"  CPU per request: server processes "
              f"{measured.ms_per_request(measured.server_cpu):.2f} ms "
              f"({measured.server_cpu / measured.wall:.2f} cores busy); whole machine "
              f"(+ PostgreSQL, load client) {measured.ms_per_request(measured.machine_cpu):.2f} ms "
              f"({measured.machine_cpu / measured.wall:.2f} of {os.cpu_count()} cores)")
        rest = measured.machine_cpu - sum(measured.split.values())
        parts = [*measured.split.items(), ("the rest (load client, other)", rest)]
        print("  ms per request by part: " + ", ".join(
            f"{part} {measured.ms_per_request(seconds):.2f}" for part, seconds in parts))
    for label in labels:
        print(f"  {label:>7}: {result.rate(label):8,.0f}/s  p50 {result.median_ms(label):6.1f} ms"
              f"  p99 {result.percentile_ms(0.99, label):6.1f} ms")
    for label, answer in answers:
        print(f"  first failures: {label}: {answer!r}")


def bench_commands(server_url: str, args: argparse.Namespace) -> dict[str, Measured]:
    """The command load, the baseline and the floor (the baseline's app without its INSERT)."""
    measured = {}
    with throwaway_database(server_url) as url:
        sales = bootstrap(Settings(database_url=url))
        world = set_up_world(sales, args.clients)
        sales.close()
        token = TokenStore(Database(Settings(database_url=url))).create("admin", None, "bench")
        with sfa_served(url, args) as (port, pid):
            with LagWatch(url) as lag:
                measured["sfa"] = load_with_cpu(port, pid, {"Authorization": f"Bearer {token}"},
                                                command_scenario(world, uuid4().hex[:8]), args,
                                                projector_first=True)
            caught_up = lag.caught_up_after()
        report("sfa-core mixed commands", measured["sfa"].result, ["lead", "stage", "order"],
               measured["sfa"].answers, measured["sfa"])
        print(f"  events stored in all: {_count_events(url):,}; read models during the load: up "
              f"to {lag.worst_events:,} events ({lag.worst_seconds:.2f} s) behind the log, all "
              f"caught up {caught_up:.2f} s after it stopped")
    with baseline_served(server_url, args) as (port, pid):
        measured["baseline"] = load_with_cpu(port, pid, {}, baseline_scenario("b", "insert", "/items"),
                                             args)
        measured["floor"] = load_with_cpu(port, pid, {}, baseline_scenario("f", "validate", "/validate"),
                                          args)
    report("baseline: validate + one INSERT per request", measured["baseline"].result,
           ["insert"], measured["baseline"].answers, measured["baseline"])
    report("floor: the baseline's validation alone, no database", measured["floor"].result,
           ["validate"], measured["floor"].answers, measured["floor"])
    return measured


def print_budget(measured: dict[str, Measured]) -> None:
    """What the target leaves per request once the HTTP layer's own cost (the floor) is paid:
    the machine's cores over the target rate, minus the floor's whole-machine CPU."""
    sfa, base, floor = measured["sfa"], measured["baseline"], measured["floor"]
    target = 1.2 * base.result.rate()
    allowed = 1000 * (os.cpu_count() or 1) / target
    floor_ms = floor.ms_per_request(floor.machine_cpu)
    print(f"\nbudget at the target ({target:,.0f} requests/s on {os.cpu_count()} cores): "
          f"{allowed:.2f} ms of machine CPU per request; the floor takes {floor_ms:.2f} ms, "
          f"leaving {allowed - floor_ms:.2f} ms for deciding, storing and projecting a command "
          f"(sfa-core spends {sfa.ms_per_request(sfa.machine_cpu) - floor_ms:.2f} ms on that now)")
    print_bound(sfa, base, floor_ms)


def print_bound(sfa: Measured, base: Measured, floor_ms: float) -> None:
    """The most the design could reach if its API workers cost no more than the floor's HTTP
    layer: what PostgreSQL and the projector process spend per command (storing its events,
    projecting them, sealing the audit chain) still comes on top."""
    beyond = {part: sfa.ms_per_request(sfa.split.get(part, 0.0))
              for part in ("PostgreSQL", "projector")}
    bound_ms = floor_ms + sum(beyond.values())
    bound = 1000 * (os.cpu_count() or 1) / bound_ms
    print(f"bound: the floor ({floor_ms:.2f} ms) + PostgreSQL ({beyond['PostgreSQL']:.2f}) + "
          f"the projector ({beyond['projector']:.2f}) = {bound_ms:.2f} ms per request, "
          f"at most {bound:,.0f} requests/s ({bound / base.result.rate():.2f} x the baseline) "
          f"with workers as cheap as the floor's; the baseline's one INSERT costs "
          f"{base.ms_per_request(base.machine_cpu) - floor_ms:.2f} ms beyond the floor")


class LagWatch:
    """Samples how far the read models are behind the log while the load runs (the
    projectors must keep up under it, or the commands' rate is not honest), then how long
    they take to catch up once it stops."""

    def __init__(self, url: str, every: float = 0.25) -> None:
        self.models = read_models(Settings(database_url=url))
        self.every, self.worst_events, self.worst_seconds = every, 0, 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> LagWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _sample(self) -> None:
        while not self.stop.wait(self.every):
            self._lag()

    def _lag(self) -> int:
        statuses = self.models.status()
        self.worst_seconds = max(self.worst_seconds, *(s.lag_seconds for s in statuses))
        behind = max(s.lag_events for s in statuses)
        self.worst_events = max(self.worst_events, behind)
        return behind

    def caught_up_after(self, timeout: float = 120) -> float:
        started = time.monotonic()
        while self._lag() and time.monotonic() - started < timeout:
            time.sleep(0.02)
        self.models.close()
        return time.monotonic() - started


def _count_events(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM sfa_events").fetchone()[0])


# --- the funnel query -----------------------------------------------------------------------

EVENTS_PER_DEAL = 4.5  # about: its account, its opening, 1.5 stage moves, a close for some


def load_opportunities(url: str, count: int, *, closed: float = 0.0,
                       months: int | None = None) -> list[str]:
    """Bulk-loads reps, accounts and ``count`` opportunities in every open stage; returns rep
    ids. ``closed``: the share of deals then closed, half won and half lost. ``months``: the
    history spans about that many months up to now (else it starts on 2026-01-01 and takes
    a few weeks), so wins fall in every month of it, and each rep has a quota for each
    quarter of this year."""
    db = Database(Settings(database_url=url))
    w = Writer(random.Random(3), datetime(2026, 1, 1, tzinfo=UTC))
    if months is not None:
        span = timedelta(days=30.4 * months)
        w.now = datetime.now(UTC) - span
        w.most_seconds = max(2, int(2 * span.total_seconds() / (count * EVENTS_PER_DEAL)))
    reps = [str(_id("rep", r)) for r in range(50)]
    for r, rid in enumerate(reps):
        w.emit(UUID(rid), rep.RepHired(rid, f"Rep {r}", f"rep{r}@bench.example", "rep",
                                       f"team-{r % 5}", f"region-{r % 5}", None))
        if months is not None:  # a quota for each quarter of this year
            for quarter in range(1, 5):
                w.emit(UUID(rid), rep.RepQuotaSet(f"{datetime.now(UTC).year}-Q{quarter}",
                                                  Decimal(400_000)))
    conn = db.connect()
    for n in range(count):
        _one_opportunity(w, n, reps[n % len(reps)], closed)
        if len(w.rows) >= 20_000:
            _insert(db, conn, w.rows)
            w.rows = []
    _insert(db, conn, w.rows)
    conn.close()
    db.close()
    return reps


def _one_opportunity(w: Writer, n: int, owner: str, closed: float = 0.0) -> None:
    aid, oid = _id("account", n), _id("opportunity", n)
    amount = Decimal(w.rng.choice([5, 10, 20, 40])) * 1000
    w.emit(aid, account.AccountOpened(str(aid), f"Company {n}", "software", 120,
                                      f"region-{n % 5}", owner))
    w.emit(oid, opportunity.OpportunityOpened(str(oid), str(aid), owner, f"Deal {n}", amount,
                                              "EUR", date(2027, 1, 31), ("Gateway",),
                                              "prospecting", 10, None))
    stage = "prospecting"
    for to in ("qualification", "proposal", "negotiation")[: w.rng.randint(0, 3)]:
        w.emit(oid, opportunity.OpportunityStageChanged(stage, to, PROBABILITY[to]))
        stage = to
    if closed and w.rng.random() < closed:
        if w.rng.random() < 0.5:
            w.emit(oid, opportunity.OpportunityStageChanged(stage, "closed_won", 100))
            w.emit(oid, opportunity.OpportunityWon(amount, "EUR"))
        else:
            w.emit(oid, opportunity.OpportunityStageChanged(stage, "closed_lost", 0))
            w.emit(oid, opportunity.OpportunityLost("price", None))


def bench_funnel(server_url: str, args: argparse.Namespace) -> tuple[float, float]:
    results = {}
    with throwaway_database(server_url) as url:
        bootstrap(Settings(database_url=url)).close()  # creates the store's tables
        started = time.perf_counter()
        reps = load_opportunities(url, args.opportunities)
        print(f"\nloaded {args.opportunities:,} opportunities ({_count_events(url):,} events) "
              f"in {time.perf_counter() - started:.0f} s")
        tokens = TokenStore(Database(Settings(database_url=url)))
        admin = {"Authorization": f"Bearer {tokens.create('admin', None, 'bench')}"}
        as_rep = {"Authorization": f"Bearer {tokens.create('rep', reps[0], 'bench')}"}
        with sfa_served(url, args) as (port, _):
            for label, path, headers in (("company", "/v1/funnel", admin),
                                         ("team", "/v1/funnel?team=team-1", admin),
                                         ("region", "/v1/funnel?region=region-2", admin),
                                         ("as rep", "/v1/funnel", as_rep)):
                result, answers = http_load.run("127.0.0.1", port, headers,
                                                lambda c, k, p=path: ("funnel", "GET", p, None),
                                                clients=1, seconds=args.query_seconds, warmup=1)
                results[label] = result
                report(f"GET {path} ({label})", result, [], answers)
    row = orjson.dumps({"data": {"stage": "proposal"}})
    with baseline_served(server_url, args, (row,)) as (port, _):
        base, answers = http_load.run("127.0.0.1", port, {},
                                      lambda c, k: ("select", "GET", "/items/1", None),
                                      clients=1, seconds=args.query_seconds, warmup=1)
    report("baseline: GET /items/1 (one SELECT + decode)", base, [], answers)
    worst = max(r.percentile_ms(0.99) for r in results.values())
    return worst, base.percentile_ms(0.99)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--query-seconds", type=float, default=5)
    parser.add_argument("--only", choices=["commands", "funnel"], default=None)
    parser.add_argument("--pg-url", default=None, help="a PostgreSQL server to create databases on")
    args = parser.parse_args(argv)
    with postgres_server(args) as (server_url, origin):
        print(f"PostgreSQL: {origin}")
        if args.only in (None, "commands"):
            measured = bench_commands(server_url, args)
            rate, base = measured["sfa"].result.rate(), measured["baseline"].result.rate()
            print(f"\ncommands/s {rate:,.0f} vs baseline {base:,.0f} requests/s: "
                  f"ratio {rate / base:.2f} (target >= 1.2); "
                  f"p99 {measured['sfa'].result.percentile_ms(0.99):.1f} ms (target < 50)")
            print_budget(measured)
        if args.only in (None, "funnel"):
            worst, base_p99 = bench_funnel(server_url, args)
            print(f"\nfunnel p99 (worst of the four) {worst:.1f} ms (target < 20); "
                  f"baseline SELECT p99 {base_p99:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
