"""Console pages at size on PostgreSQL: the server time of every page of ``site.PAGES``,
each beside the JSON endpoint(s) it draws on, measured in the same run.

1. A fresh database with ``--opportunities`` (100,000) opportunities of 50 reps in 5 teams
   opened over the last 24 months, half of them since closed (won or lost), each rep with a
   quota per quarter (bulk-loaded domain events, ``bench.api.load_opportunities``); then one
   rep departs through the real command (``DepartureFlow``), handing over its ~1,000 open
   deals and ~2,000 accounts; every read model built (``ReadModels.rebuild``, two processes)
   and the audit chain sealed, as ``sfa serve`` leaves them; then ``VACUUM ANALYZE``.
2. The app in this process (``create_app``, projectors off: nothing moves while timing;
   ``settle_gc`` on, as ``sfa serve`` sets it: start-up objects and the directory frozen
   out of the garbage collector's full collections, which otherwise pause a request now
   and then for 60-300 ms at this size),
   asked through Starlette's TestClient: one request at a time, no network, so a time is
   the server's work for the request (and the client's few hundred microseconds, the same
   on both sides). A page is asked with a console session of a role it allows (admin if it
   may), its JSON endpoint with that role's bearer token.
3. Per page, each of its ``CASES`` (a page not named there is measured at its own path with
   no parameters, so a page added to ``site.PAGES`` later is measured without a change here;
   ``{departed}`` and ``{account}`` in a case stand for the departed rep and an account);
   p50 and p99 over ``--n`` requests after 10 untimed ones, the JSON endpoints beside.

Usage (repository root, venv active)::

    python bench/console.py                        # 100,000 opportunities, n=200
    python bench/console.py --opportunities 10000 --n 50
    python bench/console.py --pages forecast inventory   # only these pages
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parent.parent
# run as ``python bench/console.py``, bench/ comes first on the path, where bench/api.py
# would be taken for the ``api`` package: the repository root goes first instead
sys.path[:] = [str(REPO_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != REPO_ROOT / "bench"]

import psycopg  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.console import site  # noqa: E402
from bench.api import load_opportunities  # noqa: E402
from bench.append import postgres_server, throwaway_database  # noqa: E402
from bench.dataset import _id  # noqa: E402
from bench.lists import timed  # noqa: E402
from infra.bootstrap import Root  # noqa: E402
from infra.service.commands import CommandContext  # noqa: E402
from infra.settings import Settings  # noqa: E402
from projections.catalog import BY_NAME  # noqa: E402

TARGET_MS = 100.0  # p99 per page (issue 19)
TODAY = datetime.now(UTC).date()
MONTH, QUARTER = f"{TODAY:%Y-%m}", f"{TODAY.year}-Q{(TODAY.month - 1) // 3 + 1}"  # the pages' "now"


@dataclass(frozen=True)
class Case:
    label: str
    query: str  # the page's query string ("" for none)
    beside: tuple[str, ...]  # the JSON endpoints it draws on, with the same filters


# Sensible parameters per page (by its path); a page not named here: its path alone.
CASES: dict[str, list[Case]] = {
    "/funnel": [Case("company", "", ("/v1/funnel", "/v1/funnel/conversion", "/v1/reps")),
                Case("team", "?team=team-1", ("/v1/funnel?team=team-1",
                                               "/v1/funnel/conversion?team=team-1"))],
    "/deals": [Case("open, closing soonest", "", ("/v1/opportunities?open=true&sort=expected_close"
                                                  "&limit=25", "/v1/reps?limit=500")),
               Case("search", "?q=Company+77", ("/v1/opportunities?open=true&sort=expected_close"
                                                "&limit=25&q=Company+77",))],
    "/handovers": [Case("one rep departed", "", ("/v1/reps?active=false",
                                                 "/v1/handovers/{departed}?limit=50")),
                   Case("the rep's page 20", "/{departed}?offset=950",
                        ("/v1/handovers/{departed}?limit=50&offset=950",))],
    "/customers": [Case("first page", "", ("/v1/accounts?sort=name&limit=50",)),
                   Case("an account", "/{account}", ("/v1/accounts/{account}",
                                                     "/v1/accounts/{account}/timeline"))],
    "/forecast": [Case("company, quarters", "", ("/v1/forecast?period=quarter",
                                                  f"/v1/performance?period={QUARTER}")),
                  Case("team, months", "?period=month&team=team-1",
                       ("/v1/forecast?period=month&team=team-1",
                        f"/v1/performance?period={MONTH}&team=team-1"))],
    "/inventory": [Case("as is", "", ("/v1/inventory?limit=500",))],
    "/operations": [Case("every model", "", ("/healthz", "/console/operations/status"))],
}


def role_for(page: ModuleType) -> str | None:
    """A role the page allows that needs no rep of its own (admin first), else None."""
    roles = page.PAGE.roles
    return next((r for r in ("admin", "auditor", "integrator") if r in roles), None)


# /healthz says "degraded" (503) here: no projector runs while timing, on purpose
ANSWERS = {"/healthz": (200, 503)}


def measure(client: TestClient, n: int, path: str, headers: dict[str, str]) -> tuple[float, float]:
    def ask(_: int) -> None:
        answer = client.get(path, headers=headers, follow_redirects=False)
        assert answer.status_code in ANSWERS.get(path, (200,)), (path, answer.status_code,
                                                                  answer.text[:300])

    return timed(n, ask)


def bench_pages(client: Root, test: TestClient, n: int, pages: list[str],
                names: dict[str, str]) -> list[str]:
    lines = [f"| page or endpoint (n={n}) | p50 ms | p99 ms | p99 < {TARGET_MS:.0f} ms |",
             "|---|---:|---:|---|"]
    for page in site.PAGES:
        if pages and page.PAGE.path.strip("/") not in pages:
            continue
        role = role_for(page)
        if role is None:
            lines.append(f"| /console{page.PAGE.path}: skipped (no role without a rep of its own) | | | |")
            continue
        token = client.tokens.create(role, None, "bench")
        test.cookies.clear()
        signed = test.post("/console/sign-in", data={"token": token}, follow_redirects=False)
        assert signed.status_code == 303, signed.text[:300]
        bearer = {"Authorization": f"Bearer {token}"}
        for case in CASES.get(page.PAGE.path, [Case("as is", "", ())]):
            path = f"/console{page.PAGE.path}{case.query}".format(**names)
            p50, p99 = measure(test, n, path, {})
            lines.append(f"| **{path}** ({case.label}, {role}) | {p50:.1f} | {p99:.1f} | "
                         f"{'yes' if p99 < TARGET_MS else '**no**'} |")
            for endpoint in case.beside:
                endpoint = endpoint.format(**names)
                p50, p99 = measure(test, n, endpoint, bearer)
                lines.append(f"| &nbsp;&nbsp;beside: GET {endpoint} | {p50:.1f} | {p99:.1f} | |")
    return lines


def run(url: str, origin: str, args: argparse.Namespace) -> None:
    settings = Settings(database_url=url, pool_size=4, settle_gc=True)  # as ``sfa serve`` runs
    print(f"PostgreSQL, {origin}; {args.opportunities:,} opportunities")
    started = time.perf_counter()
    with Root(settings) as root:
        root.sales  # noqa: B018 — makes the store's tables
    reps = load_opportunities(url, args.opportunities, closed=0.5, months=24)
    print(f"  loaded in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with Root(settings) as root:  # one rep leaves: every open deal and account handed over
        root.sales.departure.depart(CommandContext(actor="bench", now=datetime.now(UTC)),
                                    reps[0], successor_id=reps[1])
    names = {"departed": reps[0], "account": str(_id("account", 77))}
    print(f"  {reps[0]} departed, handed over in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with Root(settings) as root:
        models = root.read_models()
        try:
            models.rebuild(list(BY_NAME), workers=2)
            models.catch_up()  # and the audit chain sealed, as the projector process does
        finally:
            models.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # what autovacuum would do soon: not while timing
    print(f"  read models built, chain sealed, vacuumed in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with TestClient(create_app(settings, run_projectors=False)) as test:
        lines = bench_pages(test.app.state.services, test, args.n,  # type: ignore[attr-defined]
                            args.pages, names)
    print(f"  timed in {time.perf_counter() - started:.0f} s\n")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=200, help="requests timed per page and endpoint")
    parser.add_argument("--pg-url", default=None, help="server to use (default: pgserver)")
    parser.add_argument("--pages", nargs="*", default=[],
                        help="only these pages, by path without the slash (default: every page)")
    args = parser.parse_args()
    if args.opportunities < 1 or args.n < 1:
        parser.error("--opportunities and --n must be positive")
    started = time.perf_counter()
    with postgres_server(args) as (server_url, origin), throwaway_database(server_url) as url:
        run(url, origin, args)
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
