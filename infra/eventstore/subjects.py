"""Personal data under a key per data subject, so that destroying the key erases it.

Data subjects and their personal fields (everything else stays plaintext):
- a lead (subject id = the lead id): ``person``, ``email``, ``phone``, ``duplicate_keys``
  of ``LeadCaptured``;
- a contact (subject id = the contact id): ``name``, ``email``, ``phone``,
  ``duplicate_keys`` of ``ContactAdded`` and ``ContactChanged``.
A contact made by converting a lead is the same person: ``forget`` of either id forgets both
(``ContactAdded.source_lead_id`` ties them).

A personal value is stored as ``"sfa:enc:v1:<subject>:<base64 nonce+AES-GCM ciphertext>"``
of its JSON, with the event's position-independent identity (topic and field name) as the
associated data. ``sfa_subject_keys`` holds one 256-bit key per subject; ``forget`` replaces
it by NULL (a tombstone, so later events of a forgotten subject are not readable either).
A value whose key is gone reads as ``"[erased]"`` (lists as ``[]``). The stored bytes never
change, so the hash chain still verifies after an erasure.

New subjects whose ids the process picks itself (a lead captured without an
``Idempotency-Key`` gets a random id) take one from a reserve of ids whose keys are stored
already, ``RESERVE`` at a time in one statement: capturing a lead then costs no key round
trip and no transaction of its own. A reserved id never used leaves a key nobody reads.

Keys are cached per process; every ``REFRESH_SECONDS`` a reader checks whether any subject
was forgotten since and drops its cache (and the store its state cache), so a forget made by
another process is honoured within that time.
"""

import base64
import json
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeGuard

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infra.sql.database import Connection, Database, create_once

KEYS = "sfa_subject_keys"
PREFIX = "sfa:enc:v1:"
ERASED = "[erased]"
REFRESH_SECONDS = 2.0
RESERVE = 100
COUNT_FORGOTTEN = f"SELECT COUNT(*) FROM {KEYS} WHERE key IS NULL"  # the tombstones' index
PERSONAL: dict[str, tuple[str, tuple[str, ...]]] = {
    "LeadCaptured": ("lead_id", ("person", "email", "phone", "duplicate_keys")),
    "ContactAdded": ("contact_id", ("name", "email", "phone", "duplicate_keys")),
    "ContactChanged": ("contact_id", ("name", "email", "phone", "duplicate_keys")),
}


def _key_tables(db: Database) -> list[str]:
    """One AES-GCM key per data subject; a forgotten subject's key is NULL (a tombstone)."""
    blob = db.column_type("blob")
    return [
        f"CREATE TABLE IF NOT EXISTS {KEYS} (subject_id TEXT PRIMARY KEY, key {blob}, "
        "created_at TEXT NOT NULL)",
        # Every process counts the tombstones every few seconds (``KeyRing.refresh``): with
        # this index that reads the forgotten subjects only, not a key row per lead.
        f"CREATE INDEX IF NOT EXISTS {KEYS}_forgotten_idx ON {KEYS} (subject_id) WHERE key IS NULL",
    ]


def ensure_tables(db: Database, conn: Connection) -> None:
    create_once(db, conn, "subject_keys", _key_tables)


def is_sealed_value(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(PREFIX)


def _subject_of(token: str) -> str:
    return token[len(PREFIX):].split(":", 1)[0]


class KeyRing:
    """Subject keys of one database, cached, with the encrypt / decrypt of event data."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._keys: dict[str, bytes | None] = {}
        self._lock = threading.Lock()  # the cached keys: held for dict work only, never I/O
        self._io_lock = threading.Lock()  # the key ring's own connection, one user at a time
        self._checked_at = 0.0
        self._forgotten_mark: Any = None
        self._conn: Connection | None = None
        self.generation = 0  # bumped whenever cached keys are dropped after a forget
        self._reserve: deque[str] = deque()  # new subject ids with stored, cached keys

    # --- writing ---------------------------------------------------------------------
    def seal(self, topic: str, data: dict[str, Any]) -> dict[str, Any]:
        """The event data with its personal fields encrypted (other topics unchanged)."""
        if topic not in PERSONAL:
            return data
        id_field, personal = PERSONAL[topic]
        subject = str(data[id_field])
        key = self._key(subject, create=True) or AESGCM.generate_key(256)  # forgotten: lost key
        sealed = dict(data)
        for name in personal:
            if data.get(name) is not None and not is_sealed_value(data[name]):
                sealed[name] = _encrypt(key, subject, f"{topic}.{name}", data[name])
        return sealed

    def reserved_subject(self) -> str | None:
        """A new random subject id whose key is stored and cached, without I/O; None when
        the reserve is empty (``refill_reserve`` then)."""
        with self._lock:
            return self._reserve.popleft() if self._reserve else None

    def refill_reserve(self) -> None:
        """Stores keys for ``RESERVE`` new random subject ids, in one statement."""
        rows = [(str(uuid.uuid4()), AESGCM.generate_key(256)) for _ in range(RESERVE)]
        now = datetime.now(UTC).isoformat()
        marks = ",".join(["(?, ?, ?)"] * len(rows))
        self._query(f"INSERT INTO {KEYS} (subject_id, key, created_at) VALUES {marks}",
                    [value for subject, key in rows for value in (subject, key, now)],
                    fetch=False)
        with self._lock:
            self._keys.update(rows)
            self._reserve.extend(subject for subject, _ in rows)

    # --- reading ---------------------------------------------------------------------
    def reveal(self, topic: str, data: dict[str, Any]) -> dict[str, Any]:
        """The event data with personal fields decrypted, or erased where the key is gone."""
        if topic not in PERSONAL:
            return data
        personal, revealed = PERSONAL[topic][1], dict(data)
        for name in personal:
            value = data.get(name)
            if is_sealed_value(value):
                key = self._key(_subject_of(value), create=False)
                revealed[name] = _decrypt(key, f"{topic}.{name}", value)
        return revealed

    def prefetch(self, topics_and_data: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Loads the keys a page of events needs in one query."""
        wanted = {_subject_of(v) for topic, data in topics_and_data if topic in PERSONAL
                  for v in data.values() if is_sealed_value(v)}
        self.refresh()
        missing = sorted(s for s in wanted if s not in self._keys)
        if missing:
            self._load(missing)

    # --- erasure ---------------------------------------------------------------------
    def forget(self, subjects: Iterable[str]) -> int:
        """Destroys the subjects' keys (tombstones); returns how many keys were destroyed."""
        now, destroyed = datetime.now(UTC).isoformat(), 0
        conn = self.db.connect()
        try:
            ensure_tables(self.db, conn)
            with self.db.transaction(conn) as cursor:
                for subject in subjects:
                    cursor.execute(self.db.sql(f"UPDATE {KEYS} SET key = NULL, created_at = ? "
                                               "WHERE subject_id = ? AND key IS NOT NULL"),
                                   [f"forgotten {now}", subject])
                    destroyed += cursor.rowcount
                    cursor.execute(self.db.sql(f"INSERT INTO {KEYS} (subject_id, key, created_at) "
                                               "VALUES (?, NULL, ?) ON CONFLICT DO NOTHING"),
                                   [subject, f"forgotten {now}"])
        finally:
            conn.close()
        with self._lock:
            self._keys.clear()
            self._reserve.clear()  # their keys are no longer cached: sealing would read
            self.generation += 1
        return destroyed

    def refresh(self) -> bool:
        """Drops the cached keys if any subject was forgotten since the last check (at most
        every ``REFRESH_SECONDS``); True when it did."""
        if time.monotonic() - self._checked_at < REFRESH_SECONDS:
            return False
        self._checked_at = time.monotonic()
        row = self._query(COUNT_FORGOTTEN, [])
        mark = row[0][0] if row else 0
        changed = self._forgotten_mark is not None and mark != self._forgotten_mark
        self._forgotten_mark = mark
        if changed:
            with self._lock:
                self._keys.clear()
                self._reserve.clear()  # their keys are no longer cached: sealing would read
                self.generation += 1
        return changed

    # --- keys --------------------------------------------------------------------------
    def _key(self, subject: str, create: bool) -> bytes | None:
        self.refresh()
        with self._lock:
            if subject in self._keys:
                return self._keys[subject]
        if create and self._create(subject):
            return self._keys[subject]
        self._load([subject])
        return self._keys.get(subject)

    def _create(self, subject: str) -> bool:
        """Stores a new key for the subject; False if it had one (or a tombstone) already,
        which ``_load`` then reads. One round trip for a new subject."""
        key = AESGCM.generate_key(256)
        created = self._query(f"INSERT INTO {KEYS} (subject_id, key, created_at) VALUES (?, ?, ?) "
                              "ON CONFLICT DO NOTHING RETURNING subject_id",
                              [subject, key, datetime.now(UTC).isoformat()])
        if created:
            with self._lock:
                self._keys[subject] = key
        return bool(created)

    def _load(self, subjects: list[str]) -> None:
        found: dict[str, bytes | None] = {s: None for s in subjects}
        for start in range(0, len(subjects), 500):
            part = subjects[start:start + 500]
            marks = ",".join("?" * len(part))
            rows = self._query(f"SELECT subject_id, key FROM {KEYS} WHERE subject_id IN ({marks})",
                               part)
            found.update({s: bytes(k) if k is not None else None for s, k in rows})
        with self._lock:
            self._keys.update(found)

    def _query(self, statement: str, params: list[Any], fetch: bool = True) -> list[Any]:
        """On a connection of the key ring's own (autocommit), so a key is stored before the
        event that uses it, whatever transaction the caller is in."""
        with self._io_lock:
            if self._conn is None:
                self._conn = self.db.connect()
                ensure_tables(self.db, self._conn)
            cursor = self._conn.execute(self.db.sql(statement), params)
            return cursor.fetchall() if fetch else []

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _encrypt(key: bytes, subject: str, field: str, value: Any) -> str:
    nonce = os.urandom(12)
    plain = json.dumps(value, separators=(",", ":")).encode()
    sealed = AESGCM(key).encrypt(nonce, plain, field.encode())
    return f"{PREFIX}{subject}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def _decrypt(key: bytes | None, field: str, token: str) -> Any:
    if key is None:
        return _erased(field)
    blob = base64.urlsafe_b64decode(token[len(PREFIX):].split(":", 1)[1])
    try:
        return json.loads(AESGCM(key).decrypt(blob[:12], blob[12:], field.encode()))
    except Exception:  # noqa: BLE001 — a key that does not open it is as good as none
        return _erased(field)


def _erased(field: str) -> Any:
    return [] if field.endswith("duplicate_keys") else ERASED


_RINGS: dict[tuple[int, str], KeyRing] = {}
_RINGS_LOCK = threading.Lock()


def key_ring(db: Database) -> KeyRing:
    """The process's key ring for this database (one cache, one connection; a forked child
    gets its own)."""
    marker = (os.getpid(), db.settings.database_url)
    with _RINGS_LOCK:
        if marker not in _RINGS:
            _RINGS[marker] = KeyRing(db)
        return _RINGS[marker]
