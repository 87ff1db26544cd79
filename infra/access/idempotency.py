"""Remembered answers of POST requests that carried an ``Idempotency-Key``.

A request first *claims* its key (a unique row naming the claimant and a lease expiry); the
answer is stored when it succeeded, so a retry with the same key and body gets that answer
and writes nothing new; a retry with a different body is refused; a retry while the first is
still running is told to wait. The running request renews its lease; a claim whose lease ran
out was left by a process that died (``kill -9``, a crash) and is *taken over* by the next
retry, which runs the request again — the command side then finds what the dead process may
already have stored under the same key and answers as the first time (``CommandContext``'s
``taken_over``).
"""

import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from infra.sql.database import Connection, Database

TABLE = "sfa_idempotency"
CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    scope_key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, status INTEGER,
    body TEXT, created_at TEXT NOT NULL, claimant TEXT, lease_until {{real}})"""
# columns added since the first release: a table made by it is migrated in place
ADDED_COLUMNS = {"claimant": "TEXT", "lease_until": "{real}"}


@dataclass(frozen=True)
class Claim:
    """``outcome``: new | taken_over | done | pending | mismatch. ``answer``: (status, body)
    when done; ``claimant``: this request's name when it may run; ``retry_after``: seconds
    until a pending claim's lease runs out."""

    outcome: str
    claimant: str | None = None
    answer: tuple[int, Any] | None = None
    retry_after: float = 0.0


def claimant_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:12]}"


class IdempotencyStore:
    def __init__(self, db: Database, lease_seconds: float | None = None) -> None:
        self.db = db
        self.lease = lease_seconds or db.settings.idempotency_lease
        real = db.column_type("real")
        with db.reader() as conn:
            db.create_table_once(conn, TABLE, CREATE.format(real=real))
            self._migrate(conn, real)

    def _migrate(self, conn: Connection, real: str) -> None:
        """Adds the lease columns to a table made before they existed (pending claims of
        that time have no lease: they count as expired)."""
        self.db.add_columns_once(conn, TABLE, {name: kind.format(real=real)
                                               for name, kind in ADDED_COLUMNS.items()})

    def claim(self, scope_key: str, request_hash: str) -> Claim:
        """Claims the key for this request, or says why not (see ``Claim``)."""
        claimant = claimant_name()
        with self.db.reader() as conn:
            for _ in range(5):  # a claim released or taken between two statements: look again
                if self._insert(conn, scope_key, request_hash, claimant):
                    return Claim("new", claimant)
                row = conn.execute(self.db.sql(
                    f"SELECT request_hash, status, body, claimant, lease_until FROM {TABLE} "
                    "WHERE scope_key = ?"), (scope_key,)).fetchone()
                if row is None:
                    continue
                found = self._judge(row, request_hash)
                if found is not None:
                    return found
                if self._take_over(conn, scope_key, row[3], claimant):
                    return Claim("taken_over", claimant)
        return Claim("pending", retry_after=1.0)

    def _insert(self, conn: Connection, scope_key: str, request_hash: str, claimant: str) -> bool:
        cursor = conn.execute(self.db.sql(
            f"INSERT INTO {TABLE} (scope_key, request_hash, created_at, claimant, lease_until) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope_key) DO NOTHING"),
            (scope_key, request_hash, datetime.now(UTC).isoformat(), claimant,
             time.time() + self.lease))
        return bool(cursor.rowcount == 1)

    @staticmethod
    def _judge(row: Any, request_hash: str) -> Claim | None:
        """The answer a stored claim gives, or None when its lease ran out."""
        stored_hash, status, body, _, lease_until = row
        if stored_hash != request_hash:
            return Claim("mismatch")
        if status is not None:
            return Claim("done", answer=(int(status), json.loads(body)))
        remaining = (lease_until or 0.0) - time.time()
        return Claim("pending", retry_after=remaining) if remaining > 0 else None

    def _take_over(self, conn: Connection, scope_key: str, previous: str | None, claimant: str) -> bool:
        """Compare and set: only one retry takes an expired claim over."""
        cursor = conn.execute(self.db.sql(
            f"UPDATE {TABLE} SET claimant = ?, lease_until = ? WHERE scope_key = ? "
            "AND status IS NULL AND COALESCE(claimant, '') = ? AND COALESCE(lease_until, 0) < ?"),
            (claimant, time.time() + self.lease, scope_key, previous or "", time.time()))
        return bool(cursor.rowcount == 1)

    def renew(self, scope_key: str, claimant: str) -> bool:
        """Extends a running request's lease; False if it was taken over meanwhile."""
        with self.db.reader() as conn:
            cursor = conn.execute(self.db.sql(
                f"UPDATE {TABLE} SET lease_until = ? WHERE scope_key = ? AND claimant = ? "
                "AND status IS NULL"), (time.time() + self.lease, scope_key, claimant))
            return bool(cursor.rowcount == 1)

    def complete(self, scope_key: str, status: int, body: Any) -> None:
        """Stores the answer (the first one stored stays: a request taken over answers the
        same as the one that took it over)."""
        with self.db.reader() as conn:
            conn.execute(self.db.sql(
                f"UPDATE {TABLE} SET status = ?, body = ?, lease_until = NULL "
                "WHERE scope_key = ? AND status IS NULL"),
                (status, json.dumps(body), scope_key))

    def release(self, scope_key: str, claimant: str, refused: bool) -> None:
        """Ends a claim whose request failed, unless someone else holds it now. A refused
        request (4xx) stored nothing: its key is forgotten, so the client may send a
        corrected body under it. Any other failure (a stalled database, a crash in the
        middle of a flow) may have stored part of it: the claim stays, expired, so the
        retry takes it over and answers from what was stored."""
        with self.db.reader() as conn:
            statement = (f"DELETE FROM {TABLE} " if refused
                         else f"UPDATE {TABLE} SET claimant = NULL, lease_until = 0 ")
            conn.execute(self.db.sql(
                statement + "WHERE scope_key = ? AND claimant = ? AND status IS NULL"),
                (scope_key, claimant))
