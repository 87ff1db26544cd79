"""Exports of an account's full history that a third party can verify offline.

Each row is one event: its readable fields (``data`` as JSON text, personal data decrypted
or shown erased) and, for the proof, the ``stored`` bytes exactly as in the events table
(UTF-8 canonical JSON; personal fields inside are ciphertext), ``stream_hex``, the chain's
``previous_position`` / ``previous_hash`` and ``hash``. Offline verification
(``verify_rows``, and README "Verifying an export offline") recomputes every row's hash
from its previous hash and its stored bytes, checks that consecutive rows whose chain
records are adjacent link up, and that ``data`` says what ``stored`` says.
"""

import json
from collections.abc import Iterable
from hashlib import sha256
from pathlib import Path
from typing import Any
from uuid import UUID

import polars as pl

from infra.audit.chain import event_hash
from infra.audit.history import AuditHistory
from infra.audit.subjects import is_sealed_value
from infra.sqldb import Database

COLUMNS = {"position": pl.Int64, "previous_position": pl.Int64, "event_id": pl.Utf8,
           "stream_type": pl.Utf8, "stream_id": pl.Utf8, "stream_hex": pl.Utf8,
           "version": pl.Int64, "type": pl.Utf8, "occurred_at": pl.Utf8, "actor": pl.Utf8,
           "correlation_id": pl.Utf8, "causation_id": pl.Utf8, "data": pl.Utf8,
           "stored": pl.Utf8, "previous_hash": pl.Utf8, "hash": pl.Utf8}


def export_rows(db: Database, conn: Any, account_id: str) -> list[dict[str, Any]]:
    events = AuditHistory(db, conn).events(account_id, with_stored=True)
    return [_row(e) for e in events]


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


def write(rows: list[dict[str, Any]], fmt: str, path: Path) -> None:
    if fmt == "jsonl":
        with path.open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, sort_keys=True) + "\n")
        return
    pl.DataFrame(rows, schema=COLUMNS, orient="row").write_parquet(path)


def read(path: Path) -> list[dict[str, Any]]:
    """Rows of an export in either format (by content, not by name)."""
    with path.open("rb") as probe:
        magic = probe.read(4)
    if magic == b"PAR1":
        return pl.read_parquet(path).to_dicts()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def row_hash(row: dict[str, Any]) -> str:
    """The chain hash of one exported event, from its own fields only."""
    return event_hash(bytes.fromhex(row["previous_hash"]), row["position"], row["stream_hex"],
                      row["version"], row["type"], row["stored"].encode()).hex()


def verify_rows(rows: Iterable[dict[str, Any]]) -> tuple[int, list[str]]:
    """(rows proven, problems): every sealed row's hash, links and readable data."""
    proven, problems, before = 0, [], None
    for row in rows:
        problem = _check(row, before)
        if problem:
            problems.append(f"position {row['position']}: {problem}")
        elif row["hash"] is not None:
            proven += 1
        before = row
    return proven, problems


def _check(row: dict[str, Any], before: dict[str, Any] | None) -> str | None:
    if before is not None and row["position"] <= before["position"]:
        return "rows are not in global order"
    if row["hash"] is None:
        return None  # not sealed at export time: nothing to prove
    if row_hash(row) != row["hash"]:
        return "hash does not match the stored bytes"
    if before is not None and row["previous_position"] == before["position"] \
            and row["previous_hash"] != before["hash"]:
        return "does not link to the row before it"
    if not _says_the_same(json.loads(row["data"]), json.loads(row["stored"])["data"]):
        return "data differs from the stored bytes"
    return None


def _says_the_same(shown: Any, stored: Any) -> bool:
    """Equal, except where the stored value is ciphertext (shown decrypted or erased)."""
    if is_sealed_value(stored):
        return True
    if isinstance(stored, dict) and isinstance(shown, dict):
        return shown.keys() == stored.keys() and all(
            _says_the_same(shown[k], stored[k]) for k in stored)
    if isinstance(stored, list) and isinstance(shown, list):
        return len(shown) == len(stored) and all(map(_says_the_same, shown, stored))
    return bool(shown == stored or json.dumps(shown, default=str) == json.dumps(stored))


def digest_of(path: Path) -> str:
    """A digest of the whole export file, to quote beside it."""
    return sha256(path.read_bytes()).hexdigest()
