"""The audit tables, kept beside the events table and written only by the audit package.

- ``sfa_audit_chain``: one row per sealed event: its ``position``, the position of the event
  sealed before it (``previous``, 0 for the first) and ``hash`` (32 bytes, see ``chain``).
- ``sfa_audit_checkpoints``: every N sealed events, the (position, hash) reached, for
  publishing elsewhere.
- ``sfa_audit_links`` / ``sfa_audit_moves``: the account index, written by the sealer in the
  same transaction as the chain rows (see ``index``).
The data subjects' keys (``sfa_subject_keys``) belong to the event store
(``infra.eventstore.subjects``): audit uses them to forget.
"""

from infra.sql.database import Connection, Database, create_once

CHAIN = "sfa_audit_chain"
CHECKPOINTS = "sfa_audit_checkpoints"
LINKS = "sfa_audit_links"
MOVES = "sfa_audit_moves"


def _ddl(db: Database) -> list[str]:
    blob, big = db.column_type("blob"), db.column_type("bigint")
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
    ]


def ensure_tables(db: Database, conn: Connection) -> None:
    """Creates the audit tables once per database and process."""
    create_once(db, conn, "audit", _ddl)
