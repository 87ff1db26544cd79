"""``sfa audit``: the auditors' commands (history, verify, seal, checkpoints, export, forget)."""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from domain.errors import DomainError
from infra.audit import checkpoints, erasure, export, export_check
from infra.audit.history import AuditHistory
from infra.audit.seal import Sealer
from infra.audit.verify import Verifier
from infra.bootstrap import Root
from infra.sql.database import Connection, Database
from workers.store import fail, settings_or_fail

audit_app = typer.Typer(help="Audit: history as of any instant, tamper evidence, exports, erasure.",
                        no_args_is_help=True)
out = Console(width=None if sys.stdout.isatty() else 160)


@contextmanager
def connected() -> Iterator[tuple[Database, Connection]]:
    """The configured (existing) store; any failure to open it is one line."""
    with Root(settings_or_fail()) as root:
        try:
            conn = root.db.connect()
        except Exception as error:  # any failure to reach the store is one line
            fail(f"cannot open the event store: {type(error).__name__}: {error}".splitlines()[0])
            raise
        try:
            yield root.db, conn
        finally:
            conn.close()


@audit_app.command("seal")
def seal() -> None:
    """Append the chain records of every event not sealed yet."""
    with connected() as (db, conn):
        sealed = Sealer(db).seal(conn)
        out.print(f"Sealed {sealed} events; head {checkpoints.latest(db, conn)['position']}.")


@audit_app.command("verify")
def verify(
    start: Annotated[int, typer.Option("--from", min=1, help="First position to check.")] = 1,
    published: Annotated[Path | None, typer.Option(
        "--checkpoints", help="A published checkpoint file (JSON lines) to check against.")] = None,
    seal_first: Annotated[bool, typer.Option("--seal/--no-seal",
                                             help="Seal new events before checking.")] = False,
) -> None:
    """Recompute the hash chain; exit 1 naming the first position altered, removed or inserted."""
    wanted = _published(published) if published else None
    with connected() as (db, conn):
        if seal_first:
            Sealer(db).seal(conn)
        verdict = Verifier(db).verify(conn, start, wanted)
    if verdict.broken is not None:
        fail(f"chain broken at position {verdict.broken.position} ({verdict.broken.kind}): "
             f"{verdict.broken.detail}")
    unsealed = f"; {verdict.unsealed} newer events not yet sealed" if verdict.unsealed else ""
    out.print(f"Intact: {verdict.checked} events checked up to position {verdict.head}{unsealed}.")


def _published(path: Path) -> dict[int, bytes]:
    try:
        return checkpoints.load(path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        fail(f"cannot read the checkpoints in {path}: {type(error).__name__}: {error}")
        raise


@audit_app.command("checkpoint")
def checkpoint(
    target: Annotated[Path | None, typer.Option(
        "--out", help="Append the checkpoint to this file (JSON lines) to publish it.")] = None,
    seal_first: Annotated[bool, typer.Option("--seal/--no-seal")] = True,
) -> None:
    """Print (and append to --out) the sealed head's position and hash."""
    with connected() as (db, conn):
        if seal_first:
            Sealer(db).seal(conn)
        record = checkpoints.latest(db, conn)
    if target is not None:
        try:
            checkpoints.publish(record, target)
        except OSError as error:
            fail(f"cannot write {target}: {error.strerror or error}")
    print(json.dumps(record, sort_keys=True))


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--as-of must be an ISO 8601 instant, got {value!r}")
        raise


@audit_app.command("history")
def history(
    account_id: Annotated[str, typer.Argument(help="Account id (UUID).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO 8601 instant (default: now); "
                                              "a time without offset is UTC.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document {events, state}.")] = False,
) -> None:
    """Every event that touched the account, in global order, and its state as of --as-of."""
    instant = _instant(as_of)
    with connected() as (db, conn):
        try:
            found = AuditHistory(db, conn).history(account_id, instant)
        except DomainError as error:
            fail(f"{error.code}: {error.detail}")
    if not found["events"]:
        fail(f"no events of account {account_id} (as of {as_of or 'now'})")
    if as_json:
        print(json.dumps(found, default=str))
        return
    out.print(_events_table(account_id, found["events"]))
    out.print_json(data=found["state"])


def _events_table(account_id: str, events: list[dict[str, Any]]) -> Table:
    table = Table(title=f"account {account_id}: {len(events)} events")
    for column in ("position", "occurred at", "stream", "version", "type", "actor",
                   "correlation", "hash"):
        table.add_column(column, justify="right" if column in ("position", "version") else "left")
    for e in events:
        table.add_row(str(e["position"]), e["occurred_at"][:19], f"{e['stream_type']} "
                      f"{e['stream_id'][:8]}", str(e["version"]), e["type"], e["actor"] or "",
                      (e["correlation_id"] or "")[:12], (e["hash"] or "unsealed")[:12])
    return table


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    PARQUET = "parquet"


@audit_app.command("export")
def export_history(
    account_id: Annotated[str, typer.Argument(help="Account id (UUID).")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl | parquet")],
    target: Annotated[Path | None, typer.Option("--out", help="File to write (default: "
                                                "audit-ACCOUNT.FORMAT).")] = None,
) -> None:
    """The account's full history with its chain hashes and a manifest, verifiable offline."""
    path = target or Path(f"audit-{account_id}.{fmt.value}")
    with connected() as (db, conn):
        Sealer(db).seal(conn)
        try:
            manifest, rows = export.build(db, conn, account_id, datetime.now(UTC).isoformat())
        except DomainError as error:
            fail(f"{error.code}: {error.detail}")
        if not rows:
            fail(f"no events of account {account_id}")
    try:
        export.write(manifest, rows, fmt.value, path)
    except OSError as error:
        fail(f"cannot write {path}: {error.strerror or error}")
    out.print(f"Exported {len(rows)} events to {path}; manifest digest "
              f"{manifest['manifest_digest']} (quote it beside the file); chain head "
              f"{manifest['head_position']} {manifest['head_hash']}.")


@audit_app.command("verify-export")
def verify_export(
    path: Annotated[Path, typer.Argument(help="A jsonl or parquet export.")],
    digest: Annotated[str | None, typer.Option(
        "--digest", help="The manifest digest quoted at export time: refuse any other.")] = None,
) -> None:
    """Check an export offline: manifest, every row's hash, links, columns and completeness."""
    try:
        manifest, rows = export.read(path)
    except export.ExportFileError as error:
        fail(f"export unreadable: {error}")
        raise
    problems = export_check.verify(manifest, rows)
    if digest is not None and manifest.get("manifest_digest") != digest.strip().lower():
        problems.insert(0, "manifest: its digest is not the one quoted (--digest)")
    if problems:
        fail(f"export does not verify: {problems[0]} ({len(problems)} problems)")
    out.print(f"Export verifies: {len(rows)} events of account {manifest['account_id']} "
              f"(positions {manifest['first_position']}-{manifest['last_position']}) proven "
              f"against their chain hashes; chain head {manifest['head_position']} "
              f"{manifest['head_hash']}; manifest digest {manifest['manifest_digest']}.")


@audit_app.command("forget")
def forget(
    subject_id: Annotated[str, typer.Argument(help="A lead id or a contact id.")],
    rebuild: Annotated[bool, typer.Option("--rebuild/--no-rebuild",
                                          help="Rebuild every read model afterwards.")] = False,
) -> None:
    """Erase a person's personal data: destroy their key and their duplicate-key claims."""
    with connected() as (db, _):
        try:
            done = erasure.forget(db, subject_id)
        except DomainError as error:
            fail(f"{error.code}: {error.detail}")
    out.print(f"Forgot {', '.join(done.subjects)}: {done.keys_destroyed} keys destroyed, "
              f"{done.claims_deleted} duplicate-key claims deleted.")
    if rebuild:
        from projections.catalog import BY_NAME

        with Root(settings_or_fail()) as root:
            models = root.read_models()
            try:
                models.rebuild(list(BY_NAME), fresh=True)
            finally:
                models.close()
        out.print("Read models rebuilt.")
    else:
        out.print("Rebuild the read models (sfa projections rebuild --all) to drop their copies.")
