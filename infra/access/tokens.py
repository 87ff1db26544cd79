"""Bearer tokens: created for a role (and a rep), stored only as SHA-256 hashes, revocable.

A token reads ``sfa_<id>_<secret>``; the id names it in listings and revocations, the secret
is never stored. The token's *subject* (``token:<id>``, or the rep id for a rep or manager)
is what events record as their actor.

A process remembers a verified token for ``VERIFIED_FOR_SECONDS`` (one database round trip
less on almost every request); a revocation through the same store takes effect at once,
one from another process (``sfa tokens revoke``) within that second.
"""

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.errors import NotFoundError
from domain.token import require_holder
from infra.sql.database import Database

VERIFIED_FOR_SECONDS = 1.0
TABLE = "sfa_tokens"
CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    token_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
    rep_id TEXT, label TEXT, created_at TEXT NOT NULL, revoked_at TEXT)"""


@dataclass(frozen=True)
class Principal:
    token_id: str
    role: str
    rep_id: str | None

    @property
    def subject(self) -> str:
        return self.rep_id or f"token:{self.token_id}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._verified: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        with db.reader() as conn:  # processes starting at once: one makes it
            db.create_table_once(conn, TABLE, CREATE)

    def create(self, role: str, rep_id: str | None = None, label: str | None = None,
               token_id: str | None = None, created_at: datetime | None = None) -> str:
        """The row of a new token (``infra.service.tokens`` records its event first)."""
        require_holder(role, rep_id)
        token_id = token_id or secrets.token_hex(6)
        token = f"sfa_{token_id}_{secrets.token_urlsafe(24)}"
        with self.db.reader() as conn, self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(
                "INSERT INTO sfa_tokens (token_id, token_hash, role, rep_id, label, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)"),
                (token_id, _hash(token), role, rep_id, label,
                 (created_at or datetime.now(UTC)).isoformat()))
        return token

    def remembered(self, token: str) -> Principal | None:
        """The principal of a token verified less than a second ago, without a read."""
        with self._lock:
            remembered = self._verified.get(_hash(token))
        if remembered is not None and remembered[0] > time.monotonic():
            return remembered[1]
        return None

    def verify(self, token: str) -> Principal | None:
        known = self.remembered(token)
        if known is not None:
            return known
        digest, now = _hash(token), time.monotonic()
        with self.db.reader() as conn:
            row = conn.execute(self.db.sql(
                "SELECT token_id, role, rep_id FROM sfa_tokens "
                "WHERE token_hash = ? AND revoked_at IS NULL"), (digest,)).fetchone()
        if row is None:
            return None
        principal = Principal(*row)
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[digest] = (now + VERIFIED_FOR_SECONDS, principal)
        return principal

    def revoke(self, token_id: str) -> None:
        with self._lock:
            self._verified = {d: v for d, v in self._verified.items() if v[1].token_id != token_id}
        with self.db.reader() as conn, self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(
                "UPDATE sfa_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL"),
                (datetime.now(UTC).isoformat(), token_id))
            if cursor.rowcount != 1:
                raise NotFoundError(f"no active token {token_id}")

    def list(self) -> list[dict[str, Any]]:
        with self.db.reader() as conn:
            cursor = conn.execute("SELECT token_id, role, rep_id, label, created_at, revoked_at "
                                  "FROM sfa_tokens ORDER BY created_at")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
