"""Exports of an account's full history that a third party can verify offline.

An export is a **manifest** and **rows**, one row per event in global order:
- each row: the readable fields (``data`` as JSON text, personal data decrypted or shown
  erased, ``event_id``, ``occurred_at``, ``actor``, …) and, for the proof, the ``stored``
  bytes exactly as in the events table (UTF-8 canonical JSON; personal fields inside are
  ciphertext), ``stream_hex``, the chain's ``previous_position`` / ``previous_hash`` and
  ``hash``. Only sealed events are exported (export seals first; events written meanwhile
  are past the manifest's head and left out), so every row has its chain hash.
- the manifest: the account, the export time, the row count, first and last position, the
  chain's head (position, hash) at export time, ``rows_digest`` (SHA-256 over every row's
  canonical JSON, so any change to any column, and any row deleted, inserted or moved, shows)
  and ``manifest_digest`` (SHA-256 of the manifest's other fields: quote it beside the file).
JSONL: the manifest is the first line, ``{"manifest": {...}}``; Parquet: the file's
key-value metadata ``sfa_manifest``. ``infra.audit.export_check`` verifies an export.
"""

import json
from hashlib import sha256
from pathlib import Path
from typing import Any
from uuid import UUID

import polars as pl

from infra.audit import checkpoints
from infra.audit.chain import event_hash
from infra.audit.history import AuditHistory
from infra.audit.seal import Sealer
from infra.sql.database import Connection, Database

FORMAT = "sfa-audit-export/2"
METADATA_KEY = "sfa_manifest"
COLUMNS = {"position": pl.Int64, "previous_position": pl.Int64, "event_id": pl.Utf8,
           "stream_type": pl.Utf8, "stream_id": pl.Utf8, "stream_hex": pl.Utf8,
           "version": pl.Int64, "type": pl.Utf8, "occurred_at": pl.Utf8, "actor": pl.Utf8,
           "correlation_id": pl.Utf8, "causation_id": pl.Utf8, "data": pl.Utf8,
           "stored": pl.Utf8, "previous_hash": pl.Utf8, "hash": pl.Utf8}
NULLABLE = frozenset({"event_id", "actor", "correlation_id", "causation_id"})


class ExportFileError(Exception):
    """An export that cannot be read as one (damaged, truncated, not an export): one line."""


def build(db: Database, conn: Connection, account_id: str, exported_at: str
          ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(manifest, rows): the account's events sealed at or before the head read first."""
    head = checkpoints.latest(db, conn)
    rows = export_rows(db, conn, account_id, head["position"])
    return manifest_of(account_id, rows, head, exported_at), rows


def sealed(db: Database, conn: Connection, account_id: str, exported_at: str
           ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``build`` after sealing what is new (a race with another sealer leaves its page to it:
    the export then ends at the head it reached), as ``sfa audit export`` and the API's
    ``GET /v1/accounts/{id}/export`` do."""
    Sealer(db).try_seal(conn, None)
    return build(db, conn, account_id, exported_at)


def export_rows(db: Database, conn: Connection, account_id: str,
                head: int | None = None) -> list[dict[str, Any]]:
    """The account's sealed events (up to ``head``) as export rows (call after sealing)."""
    events = AuditHistory(db, conn).events(account_id, with_stored=True)
    return [_row(e) for e in events
            if e["hash"] is not None and (head is None or e["position"] <= head)]


def _row(event: dict[str, Any]) -> dict[str, Any]:
    return {"position": event["position"], "previous_position": event["previous_position"],
            "event_id": event["event_id"], "stream_type": event["stream_type"],
            "stream_id": event["stream_id"], "stream_hex": UUID(event["stream_id"]).hex,
            "version": event["version"], "type": event["type"],
            "occurred_at": event["occurred_at"], "actor": event["actor"],
            "correlation_id": event["correlation_id"], "causation_id": event["causation_id"],
            "data": json.dumps(event["data"], sort_keys=True, default=str),
            "stored": event["stored"].decode(), "previous_hash": event["previous_hash"],
            "hash": event["hash"]}


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def rows_digest(rows: list[dict[str, Any]]) -> str:
    """SHA-256 over the rows' canonical JSON, one per line, in file order."""
    digest = sha256()
    for row in rows:
        digest.update(canonical(row) + b"\n")
    return digest.hexdigest()


def manifest_digest(manifest: dict[str, Any]) -> str:
    return sha256(canonical({k: v for k, v in manifest.items() if k != "manifest_digest"})).hexdigest()


def manifest_of(account_id: str, rows: list[dict[str, Any]], head: dict[str, Any],
                exported_at: str) -> dict[str, Any]:
    manifest = {"format": FORMAT, "account_id": str(UUID(account_id)), "exported_at": exported_at,
                "count": len(rows), "first_position": rows[0]["position"] if rows else 0,
                "last_position": rows[-1]["position"] if rows else 0,
                "head_position": head["position"], "head_hash": head["hash"],
                "rows_digest": rows_digest(rows)}
    return {**manifest, "manifest_digest": manifest_digest(manifest)}


def jsonl(manifest: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """The JSONL export: the manifest's line, then one line per row."""
    lines = [json.dumps({"manifest": manifest}, sort_keys=True)]
    lines.extend(json.dumps(row, sort_keys=True) for row in rows)
    return "\n".join(lines) + "\n"


def write(manifest: dict[str, Any], rows: list[dict[str, Any]], fmt: str, path: Path) -> None:
    if fmt == "jsonl":
        path.write_text(jsonl(manifest, rows), encoding="utf-8")
        return
    pl.DataFrame(rows, schema=COLUMNS, orient="row").write_parquet(
        path, metadata={METADATA_KEY: json.dumps(manifest, sort_keys=True)})


def read(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(manifest, rows) of an export in either format (told by content, not by name);
    ``ExportFileError`` with a one-line reason for anything that is not a readable export."""
    try:
        with path.open("rb") as probe:
            magic = probe.read(4)
        manifest, rows = _parquet(path) if magic == b"PAR1" else _jsonl(path)
    except ExportFileError:
        raise
    except (OSError, ValueError, pl.exceptions.PolarsError) as error:
        raise ExportFileError(f"cannot read {path}: {_first_line(error)}") from error
    if not isinstance(manifest, dict):
        raise ExportFileError(f"{path} has no export manifest")
    for number, row in enumerate(rows, start=1):
        problem = shape_problem(number, row)
        if problem:
            raise ExportFileError(problem)
    return manifest, rows


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def _jsonl(path: Path) -> tuple[Any, list[Any]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        raise ExportFileError(f"{path} is empty")
    parsed = []
    for number, line in enumerate(lines, start=1):
        try:
            parsed.append(json.loads(line))
        except ValueError as error:
            raise ExportFileError(f"{path}: line {number} is not JSON ({error})") from error
    head = parsed[0]
    if not isinstance(head, dict) or set(head) != {"manifest"}:
        raise ExportFileError(f"{path}: the first line is not the export manifest")
    return head["manifest"], parsed[1:]


def _parquet(path: Path) -> tuple[Any, list[Any]]:
    metadata = pl.read_parquet_metadata(path)
    if METADATA_KEY not in metadata:
        raise ExportFileError(f"{path} has no export manifest")
    frame = pl.read_parquet(path)
    missing = [name for name in COLUMNS if name not in frame.columns]
    if missing:
        raise ExportFileError(f"{path}: column {missing[0]!r} is missing")
    return json.loads(metadata[METADATA_KEY]), frame.to_dicts()


def shape_problem(number: int, row: Any) -> str | None:
    """Every row has exactly the export's columns, each of its type."""
    if not isinstance(row, dict):
        return f"row {number} is not an object"
    if set(row) != set(COLUMNS):
        odd = sorted(set(row) ^ set(COLUMNS))[0]
        return (f"row {number}: column {odd!r} is "
                f"{'missing' if odd in COLUMNS else 'not an export column'}")
    for name, kind in COLUMNS.items():
        value, wanted = row[name], int if kind == pl.Int64 else str
        if value is None and name in NULLABLE:
            continue
        if type(value) is not wanted:
            return f"row {number}: {name} is not {'an integer' if wanted is int else 'text'}"
    return None


def row_hash(row: dict[str, Any]) -> str:
    """The chain hash of one exported event, from its own fields only."""
    return event_hash(bytes.fromhex(row["previous_hash"]), row["position"], row["stream_hex"],
                      row["version"], row["type"], row["stored"].encode()).hex()


def digest_of(path: Path) -> str:
    """A digest of the whole export file, to quote beside it."""
    return sha256(path.read_bytes()).hexdigest()
