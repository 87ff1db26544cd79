"""The ``sfa`` command line (typer). Exit 0 on success; otherwise a one-line reason on stderr."""

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from typer.exceptions import TyperException

from domain.catalog import AGGREGATES
from domain.errors import DomainError
from domain.token import TokenRole
from infra.bootstrap import Root, Sales
from infra.demo import SCALES, load_demo
from infra.eventstore.store import aggregate_counts
from infra.readside.leases import Lease
from infra.readside.projector import one_line
from infra.settings import Settings
from projections.catalog import BY_NAME
from workers import projector
from workers.audit import audit_app
from workers.progress import Count, counted_progress, events_progress
from workers.relay import relay_app
from workers.store import fail, settings_or_fail

app = typer.Typer(help="sfa-core: an event-sourced Sales Force Automation core.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
flows_app = typer.Typer(help="Cross-aggregate flows.", no_args_is_help=True)
app.add_typer(flows_app, name="flows")
projections_app = typer.Typer(help="Read models: status and rebuilds.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")
tokens_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
app.add_typer(relay_app, name="relay")
app.add_typer(audit_app, name="audit")


@tokens_app.command("create")
def tokens_create(
    role: Annotated[TokenRole, typer.Option(help="rep | manager | auditor | integrator | admin")],
    rep: Annotated[str | None, typer.Option(help="Rep id (required for rep and manager)")] = None,
    label: Annotated[str | None, typer.Option(help="A note to recognise the token by")] = None,
) -> None:
    """Print a new bearer token (only its hash is stored)."""
    with Root(settings_or_fail()) as root:
        try:
            if rep is not None:
                rep = root.sales.reps.get(rep).id  # must exist; canonical spelling
            print(root.tokens.create(role.value, rep, label, actor="cli"))
        except DomainError as error:
            fail(f"{error.code}: {error.detail}")


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="The id part: sfa_<id>_...")]) -> None:
    """Revoke a token: it stops working at once."""
    with Root(settings_or_fail()) as root:
        try:
            root.tokens.revoke(token_id, actor="cli")
        except DomainError as error:
            fail(f"{error.code}: {error.detail}")
    out.print(f"Token {token_id} revoked.")


@tokens_app.command("list")
def tokens_list() -> None:
    """Tokens by id, role, rep and state (never the secrets)."""
    table = Table(title="tokens")
    for column in ("id", "role", "rep", "label", "created", "revoked"):
        table.add_column(column)
    with Root(settings_or_fail()) as root:
        for t in root.tokens.list():
            table.add_row(t["token_id"], t["role"], t["rep_id"] or "", t["label"] or "",
                          t["created_at"][:19], (t["revoked_at"] or "")[:19])
    out.print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API worker processes.")] = 1,
    with_demo: Annotated[bool, typer.Option(
        "--demo", help="Load the demo data first (if not loaded) and print an admin token.")] = False,
    access_log: Annotated[bool, typer.Option(
        help="Log every request (uvicorn's access log); /metrics counts them either way.")] = False,
    create: Annotated[bool, typer.Option(
        "--create", help="Make a new SQLite store if the path names none (else refused).")] = False,
) -> None:
    """Run the API and the projectors (one projector process beside the API workers)."""
    settings = settings_or_fail(create=create or with_demo)
    import uvicorn

    if with_demo:
        _prepare_demo(host, port)
    _resume_flows()  # creates the store's tables before any projector reads them, and
    # completes interrupted flows before any request: nothing else is running a flow yet
    os.environ["SFA_SETTLE_GC"] = "true"  # the workers read their settings afresh
    # every worker's metrics in files of their own, summed at each scrape (api.metrics)
    metrics_dir = tempfile.mkdtemp(prefix="sfa-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    supervisor = None
    if workers > 1:
        supervisor = projector.ProjectorSupervisor(settings)
        supervisor.start()
        os.environ["SFA_RUN_PROJECTORS"] = "false"
    try:
        # a worker slow to start on a busy machine is not killed for it (uvicorn's default: 5 s)
        uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level="info", access_log=access_log,
                    timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS)
    finally:
        if supervisor is not None:
            supervisor.stop()
        shutil.rmtree(metrics_dir, ignore_errors=True)
out = Console(width=None if sys.stdout.isatty() else 160)
WORKER_HEALTHCHECK_SECONDS = 30
DEMO_SCALE = "small"  # what `sfa serve --demo` loads


class Scale(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


@contextmanager
def rooted(create: bool = False) -> Iterator[Root]:
    """The composition root for the configured store (an existing one unless ``create``),
    its command side open; configuration and store errors end in one line."""
    root = Root(settings_or_fail(create))
    try:
        try:
            root.sales  # noqa: B018 — opens the event store, or says in one line why not
        except Exception as error:  # noqa: BLE001 — any failure to reach the store is one line
            fail(f"cannot open the event store: {type(error).__name__}: {error}".splitlines()[0])
        try:
            yield root
        except DomainError as error:
            fail(f"{error.code}: {error.detail}")
    finally:
        root.close()


@contextmanager
def opened(create: bool = False) -> Iterator[Sales]:
    """The command side for the configured store (see ``rooted``)."""
    with rooted(create) as root:
        yield root.sales


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 42,
    scale: Annotated[Scale, typer.Option(help="small | medium | large")] = Scale.SMALL,
) -> None:
    """Load a realistic demo data set through the commands (idempotent per seed)."""
    with opened(create=True) as sales:
        started, before = time.monotonic(), sales.store.max_position()
        leads = _loading_demo(sales, scale,
                              lambda count: load_demo(sales, seed, scale, progress=count))
        if leads == 0:
            out.print(f"Demo data for seed {seed} is already loaded; nothing written.")
            return
        written = sales.store.max_position() - before
        out.print(f"Loaded {leads} leads: {written} events in {time.monotonic() - started:.1f} s "
                  f"into {sales.settings.backend}.")


def _loading_demo(sales: Sales, scale: str, load: Callable[[Count], int]) -> int:
    """``load`` (the demo's loader) saying on stderr how far it is: leads begun of the
    scale's total, and events written so far."""
    before = sales.store.max_position()
    with counted_progress("Loading demo data", SCALES[scale][1], "leads", Console(stderr=True),
                          lambda: f"{sales.store.max_position() - before:,} events") as count:
        return load(count)


@app.command()
def info() -> None:
    """Backend, number of events, and number of each aggregate."""
    with opened() as sales:
        counts = sales.store.counts_by_type()
        table = Table(title=f"sfa-core store ({sales.settings.backend})")
        table.add_column("aggregate")
        table.add_column("count", justify="right")
        for name, n in aggregate_counts(counts).items():
            table.add_row(name, str(n))
        out.print(f"backend: {sales.settings.backend}")
        out.print(f"events: {sum(counts.values())}")
        out.print(f"last position: {sales.store.max_position()}")
        out.print(table)


@flows_app.command("resume")
def flows_resume() -> None:
    """Complete every flow (conversion, order, departure) that was interrupted between steps,
    and carry out the approved departures whose effective date has come."""
    with opened() as sales:
        ran = sales.flows.resume()
        executed = sales.flows.execute_due_departures()
        if ran is None or executed is None:
            fail("another process is resuming the flows right now; try again shortly")
        out.print(f"Checked {ran} flows; position {sales.flows.position()}; "
                  f"{executed} departures due executed.")


def _resume_flows() -> None:
    """Start-up of ``serve`` and ``project``: completes the flows a crash interrupted (the
    caller has already checked that the store exists, or may be created)."""
    with opened(create=True) as sales:
        ran = sales.flows.resume()
        if ran:
            out.print(f"Resumed {ran} interrupted flows.")
        if executed := sales.flows.execute_due_departures():
            out.print(f"Executed {executed} departures due today.")


@app.command()
def project(
    once: Annotated[bool, typer.Option(help="Catch up once, then exit.")] = False,
    node: Annotated[str | None, typer.Option(
        help="This node's name among the projector nodes sharing the read models "
             "(SFA_PROJECTOR_NODE; default host:pid). Unique per running node.")] = None,
) -> None:
    """Run the projectors alone (no API): follow the log until interrupted, sharing the read
    models with the other projector nodes of the store (leases in the read database)."""
    if node is not None:
        os.environ["SFA_PROJECTOR_NODE"] = node  # validated with the other settings
    settings = settings_or_fail()
    _resume_flows()
    if once:
        root = Root(settings)
        models = root.read_models()
        try:
            stopped = models.catch_up()
            out.print(f"Read models at position {max(models.position_of(n) for n in BY_NAME)}.")
        finally:
            models.close()
            root.close()
        if stopped:
            name, error = next(iter(stopped.items()))
            fail(f"read model {name} stopped at {error}")
        return
    projector.run(settings)


@projections_app.command("status")
def projections_status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Each read model: generation, status, position, lag (events, seconds), rate, last error;
    then whether a projector process is alive (its heartbeat)."""
    settings = settings_or_fail()
    try:
        with Root(settings) as root:
            models = root.read_models()
            try:
                rows, liveness, leases = models.status(), models.liveness(), models.leases()
            finally:
                models.close()
    except Exception as error:  # noqa: BLE001 — an unreachable store is one line
        fail(one_line(f"cannot read the read models: {type(error).__name__}: {error}"))
    if as_json:
        for row in rows:
            print(json.dumps(asdict(row)))
        for lease in leases:
            print(json.dumps({"lease": asdict(lease)}))
        print(json.dumps({"projector": asdict(liveness)}))
        return
    table = Table(title="read models")
    for column in ("name", "gen", "status", "position", "lag (events)", "lag (s)", "events/s",
                   "node", "last error"):
        table.add_column(column)
    for r in rows:
        rate = f"{r.events_per_second:,.0f}" if r.events_per_second else "-"
        table.add_row(r.name, str(r.generation), r.status, f"{r.position}/{r.head}",
                      str(r.lag_events), f"{r.lag_seconds:.1f}", rate,
                      f"{r.node} (epoch {r.lease_epoch})" if r.node else "-", r.last_error or "")
    out.print(table)
    _print_nodes(leases)
    age = "never" if liveness.age_seconds is None else f"{liveness.age_seconds:.0f} s ago"
    out.print(f"projector: {'alive' if liveness.alive else 'NOT RUNNING'} ({liveness.state}, "
              f"last heartbeat {age}{', ' + liveness.node if liveness.node else ''})"
              + (f": {liveness.last_error}" if liveness.last_error else ""))


def _print_nodes(leases: list[Lease]) -> None:
    """Per projector node: the read models it holds, and when its leases run out."""
    nodes: dict[str, list[Lease]] = {}
    for lease in leases:
        if lease.live and lease.holder:
            nodes.setdefault(lease.holder, []).append(lease)
    for node, held in sorted(nodes.items()):
        out.print(f"node {node}: {', '.join(lease.share for lease in held)} (leases run out "
                  f"in {min(lease.expires_in for lease in held):.0f} s unless renewed)")
    free = [lease.share for lease in leases if not lease.live]
    if free:
        out.print(f"held by no live node: {', '.join(free)}")


@projections_app.command("rebuild")
def projections_rebuild(
    name: Annotated[str | None, typer.Argument(help="Read model to rebuild.")] = None,
    all_models: Annotated[bool, typer.Option("--all", help="Rebuild every read model.")] = False,
    restart: Annotated[bool, typer.Option(help="Do not resume an unfinished rebuild.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Processes to share the models over.")] = 2,
) -> None:
    """Rebuild from the first event while the current model keeps serving, then swap."""
    if (name is None) == (not all_models):
        fail("name one read model or pass --all")
    names = list(BY_NAME) if all_models else [name or ""]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        fail(f"unknown read model {unknown[0]!r} (known: {', '.join(BY_NAME)})")
    done = _rebuild(settings_or_fail(), names, restart, workers)
    for model, position in done.items():
        out.print(f"{model}: rebuilt up to position {position} and swapped in.")


def _rebuild(settings: Settings, names: list[str], restart: bool, workers: int) -> dict[str, int]:
    """A model stopped by an event, or a store that fails, ends in one line (exit 1)."""
    root = Root(settings)
    try:
        models = root.read_models()
    except Exception as error:  # noqa: BLE001
        root.close()
        fail(one_line(f"cannot open the read models: {type(error).__name__}: {error}"))
    try:
        with events_progress(f"rebuilding {', '.join(names)}") as tick:
            return models.rebuild(names, progress=tick, fresh=restart, workers=workers)
    except RuntimeError as error:
        fail(one_line(f"rebuild stopped: {error}"))
    except Exception as error:  # noqa: BLE001
        fail(one_line(f"rebuild stopped: {type(error).__name__}: {error}"))
    finally:
        models.close()
        root.close()
    raise AssertionError("unreachable: fail() exits")


def _prepare_demo(host: str, port: int) -> None:
    with rooted(create=True) as root:
        started, sales = time.monotonic(), root.sales
        leads = _loading_demo(sales, DEMO_SCALE,
                              lambda count: load_demo(sales, scale=DEMO_SCALE, progress=count))
        if leads == 0:
            out.print("Demo data already loaded.")
        else:
            out.print(f"Demo data loaded: {leads:,} leads, {sales.store.max_position():,} events "
                      f"in {time.monotonic() - started:.1f} s.")
        token = root.tokens.create("admin", label="demo")
    out.print(f"\n  Console:   http://{host}:{port}/console  (sign in with the token below)\n"
              f"  API docs:  http://{host}:{port}/docs   (Authorize with the token below)\n"
              f"  ReDoc:     http://{host}:{port}/redoc  (both pages work offline)\n"
              f"  Token:     {token}\n"
              f"  Try:       curl -H 'Authorization: Bearer {token}' "
              f"http://{host}:{port}/v1/funnel\n")


def main() -> None:
    """Console entry: usage errors too end in one line on stderr, with exit status 2."""
    if len(sys.argv) == 1:
        sys.argv.append("--help")
    try:
        status = app(standalone_mode=False)
    except TyperException as error:  # usage errors and aborts of the (vendored) click
        format_message = getattr(error, "format_message", None)
        message = format_message() if format_message else (str(error) or "aborted")
        print(f"sfa: {message}".splitlines()[0], file=sys.stderr)
        sys.exit(getattr(error, "exit_code", 1))
    sys.exit(status if isinstance(status, int) else 0)


assert set(AGGREGATES) == {"Rep", "Lead", "Account", "Opportunity", "Order", "StockItem",
                           "PriceList", "PromotionCalendar", "Campaign", "Policies", "Token"}


if __name__ == "__main__":
    main()
