"""Remembered answers of POST requests that carried an ``Idempotency-Key``.

A request first *claims* its key (a unique row); the answer is stored when it succeeded, so
a retry with the same key and body gets that answer and writes nothing new; a retry with a
different body is refused; a retry while the first is still running is told to wait.
"""

import json
from datetime import UTC, datetime
from typing import Any

from infra.sqldb import Database

CREATE = """CREATE TABLE IF NOT EXISTS sfa_idempotency (
    scope_key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, status INTEGER,
    body TEXT, created_at TEXT NOT NULL)"""


class IdempotencyStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        with db.reader() as conn, db.transaction(conn) as cursor:
            cursor.execute(CREATE)

    def claim(self, scope_key: str, request_hash: str) -> tuple[str, Any]:
        """('new', None) | ('done', (status, body)) | ('pending', None) | ('mismatch', None)."""
        with self.db.reader() as conn:
            row = conn.execute(self.db.sql(
                "SELECT request_hash, status, body FROM sfa_idempotency WHERE scope_key = ?"),
                (scope_key,)).fetchone()
            if row is None:
                try:
                    with self.db.transaction(conn) as cursor:
                        cursor.execute(self.db.sql(
                            "INSERT INTO sfa_idempotency (scope_key, request_hash, created_at) "
                            "VALUES (?, ?, ?)"),
                            (scope_key, request_hash, datetime.now(UTC).isoformat()))
                    return "new", None
                except Exception:  # noqa: BLE001 — someone claimed it between our two statements
                    return "pending", None
        stored_hash, status, body = row
        if stored_hash != request_hash:
            return "mismatch", None
        if status is None:
            return "pending", None
        return "done", (int(status), json.loads(body))

    def complete(self, scope_key: str, status: int, body: Any) -> None:
        with self.db.reader() as conn, self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(
                "UPDATE sfa_idempotency SET status = ?, body = ? WHERE scope_key = ?"),
                (status, json.dumps(body), scope_key))

    def release(self, scope_key: str) -> None:
        with self.db.reader() as conn, self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql("DELETE FROM sfa_idempotency WHERE scope_key = ?"),
                           (scope_key,))
