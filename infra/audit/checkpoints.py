"""Checkpoints: (position, hash) of the chain, to publish where the database's owner cannot
rewrite them (a file kept elsewhere, a ticket, a signed mail). Anyone holding one can later
check that the chain still reaches the same hash at that position (``verify --checkpoints``),
which also catches an attacker who rewrote the chain table to match altered events.

The file format is JSON lines: ``{"position": N, "hash": "<hex>", "created_at": "..."}``.
"""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.audit.chain import chain_head
from infra.audit.tables import CHECKPOINTS, ensure_tables
from infra.sql.database import Connection, Database


def latest(db: Database, conn: Connection) -> dict[str, Any]:
    """The sealed head as a checkpoint record."""
    ensure_tables(db, conn)
    position, digest = chain_head(db, conn)
    return {"position": position, "hash": digest.hex(), "created_at": datetime.now(UTC).isoformat()}


def recorded(db: Database, conn: Connection) -> list[dict[str, Any]]:
    """The periodic checkpoints the sealer recorded, oldest first."""
    ensure_tables(db, conn)
    rows = conn.execute(f"SELECT position, hash, created_at FROM {CHECKPOINTS} "
                        "ORDER BY position").fetchall()
    return [{"position": int(p), "hash": bytes(h).hex(), "created_at": c} for p, h, c in rows]


def publish(record: dict[str, Any], path: Path) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, sort_keys=True) + "\n")


def load(path: Path) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            found[int(record["position"])] = bytes.fromhex(record["hash"])
    return found
