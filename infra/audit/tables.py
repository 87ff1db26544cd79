"""The audit tables, kept beside the events table and written only by the audit package.

- ``sfa_audit_chain``: one row per sealed event: its ``position``, the position of the event
  sealed before it (``previous``, 0 for the first) and ``hash`` (32 bytes, see ``chain``).
- ``sfa_audit_checkpoints``: every N sealed events, the (position, hash) reached, for
  publishing elsewhere.
- ``sfa_audit_links`` / ``sfa_audit_moves``: the account index, written by the sealer in the
  same transaction as the chain rows (see ``index``).
- ``sfa_subject_keys``: one AES-GCM key per data subject (see ``subjects``); a forgotten
  subject's key is NULL (a tombstone), and a partial index holds the tombstones.
"""

import threading
from typing import Any

from infra.recorders import SCHEMA_LOCK
from infra.sqldb import Database

CHAIN = "sfa_audit_chain"
CHECKPOINTS = "sfa_audit_checkpoints"
LINKS = "sfa_audit_links"
MOVES = "sfa_audit_moves"
KEYS = "sfa_subject_keys"


def _ddl(db: Database) -> list[str]:
    blob = "BLOB" if db.backend == "sqlite" else "BYTEA"
    big = db.column_type("bigint")
    return [
        f"CREATE TABLE IF NOT EXISTS {CHAIN} (position {big} PRIMARY KEY, "
        f"previous {big} NOT NULL, hash {blob} NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (position {big} PRIMARY KEY, "
        f"hash {blob} NOT NULL, created_at TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {LINKS} (link_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, "
        f"kind TEXT NOT NULL, linked_at {big} NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {LINKS}_account_idx ON {LINKS} (account_id)",
        f"CREATE TABLE IF NOT EXISTS {MOVES} (position {big} PRIMARY KEY, order_id TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {MOVES}_order_idx ON {MOVES} (order_id)",
        f"CREATE TABLE IF NOT EXISTS {KEYS} (subject_id TEXT PRIMARY KEY, key {blob}, "
        "created_at TEXT NOT NULL)",
        # Every process counts the tombstones every few seconds (``KeyRing.refresh``): with
        # this index that reads the forgotten subjects only, not a key row per lead.
        f"CREATE INDEX IF NOT EXISTS {KEYS}_forgotten_idx ON {KEYS} (subject_id) WHERE key IS NULL",
    ]


_CREATED: set[str] = set()
_LOCK = threading.Lock()


def ensure_tables(db: Database, conn: Any) -> None:
    """Creates the audit tables once per database and process. PostgreSQL's ``CREATE TABLE
    IF NOT EXISTS`` is not safe against a concurrent one (it can fail on the type name), so
    creators take an advisory lock; SQLite's write lock serialises them anyway."""
    marker = db.settings.database_url
    if marker in _CREATED:
        return
    with _LOCK:
        if marker in _CREATED:
            return
        with db.transaction(conn) as cursor:
            if db.backend != "sqlite":
                cursor.execute(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
            for statement in _ddl(db):
                cursor.execute(statement)
        _CREATED.add(marker)
