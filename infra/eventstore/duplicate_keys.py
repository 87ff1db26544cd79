"""Duplicate keys as keyed hashes: the claim table never holds an email, a phone or a name.

A lead's or contact's duplicate keys (``email:…``, ``phone:…``, ``name:company|person``,
see ``domain.dedup``) are personal data. The events hold them encrypted under the subject's
key; ``sfa_duplicate_keys`` holds only ``hmac1:`` + hex HMAC-SHA256(secret, key). The same
person still gives the same hash, so a capture still finds the earlier lead or contact, while
a copy of the table alone (a backup, a dump, a replica) cannot be read back by guessing: a
plain hash could, every address of a company being a guess away.

Why the secret lives in the store (``sfa_store_secrets``) and not in a setting: every process
that opens the store must hash with the same secret, or duplicates go unseen without a word;
a secret made once, by the first process that opens the store, needs no configuration that
could differ between processes or be lost in a redeploy. It sits beside the per-subject
encryption keys (``sfa_subject_keys``), which already guard the same data: whoever can read
both can read the events anyway. A ``forget`` deletes the subject's claim rows (by record id).

Migration in place: the transaction that makes the secret also hashes every plain key of a
store written before, under the schema lock (PostgreSQL: an advisory lock; SQLite: its write
lock). The secret's existence therefore means "hashed": a second process opening at once
waits, then finds the secret and changes nothing; a repeated run is a no-op.
"""

import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from infra.eventstore.recorders import KEYS_TABLE, Group
from infra.sql.database import Connection, Cursor, Database

SECRETS_TABLE = "sfa_store_secrets"
SECRET_NAME = "duplicate-keys-hmac"
HASHED_PREFIX = "hmac1:"


def _ddl(db: Database) -> str:
    blob = db.column_type("blob")
    return (f"CREATE TABLE IF NOT EXISTS {SECRETS_TABLE} (name TEXT PRIMARY KEY, "
            f"secret {blob} NOT NULL, created_at TEXT NOT NULL)")


class DuplicateKeys:
    """Turns plain duplicate keys into the hashed form stored in the claim table."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def open(cls, db: Database) -> "DuplicateKeys":
        """The store's hasher; makes the secret (hashing the plain keys of an older store)
        when there is none yet."""
        conn = db.connect()
        try:
            return cls(_secret_of(db, conn) or _create_and_migrate(db, conn))
        finally:
            conn.close()

    def hash(self, key: str) -> str:
        if key.startswith(HASHED_PREFIX):
            return key
        digest = hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()
        return HASHED_PREFIX + digest

    def claims(self, claims: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(self.hash(key), record_id) for key, record_id in claims]

    def groups(self, groups: Sequence[Group]) -> list[Group]:
        """The groups with their claims hashed (events and reads unchanged)."""
        return [g._replace(claims=self.claims(g.claims)) if g.claims else g for g in groups]


def _secret_of(db: Database, conn: Connection) -> bytes | None:
    if not db.table_exists(conn, SECRETS_TABLE):
        return None
    row = conn.execute(db.sql(f"SELECT secret FROM {SECRETS_TABLE} WHERE name = ?"),
                       [SECRET_NAME]).fetchone()
    return bytes(row[0]) if row else None


def _create_and_migrate(db: Database, conn: Connection) -> bytes:
    """In one locked transaction: the secret, made unless another process made it first,
    and every plain key hashed with it."""
    with db.transaction(conn) as cursor:
        db.dialect.lock_schema(cursor)
        cursor.execute(_ddl(db))
        cursor.execute(db.sql(f"SELECT secret FROM {SECRETS_TABLE} WHERE name = ?"),
                       [SECRET_NAME])
        row = cursor.fetchone()
        if row is not None:
            return bytes(row[0])
        secret = os.urandom(32)
        cursor.execute(db.sql(f"INSERT INTO {SECRETS_TABLE} (name, secret, created_at) "
                              "VALUES (?, ?, ?)"),
                       [SECRET_NAME, secret, datetime.now(UTC).isoformat()])
        _hash_plain_keys(db, cursor, DuplicateKeys(secret))
        return secret


def _hash_plain_keys(db: Database, cursor: Cursor, hasher: DuplicateKeys) -> int:
    """Replaces every plain key by its hash, keeping its record; returns how many."""
    cursor.execute(db.sql(f"SELECT key, record_id FROM {KEYS_TABLE} WHERE key NOT LIKE ?"),
                   [HASHED_PREFIX + "%"])
    plain = cursor.fetchall()
    if plain:
        cursor.executemany(db.sql(f"DELETE FROM {KEYS_TABLE} WHERE key = ?"),
                           [(key,) for key, _ in plain])
        cursor.executemany(db.sql(f"INSERT INTO {KEYS_TABLE} (key, record_id) VALUES (?, ?) "
                                  "ON CONFLICT DO NOTHING"), hasher.claims(plain))
    return len(plain)
