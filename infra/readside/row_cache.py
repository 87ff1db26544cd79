"""The rows a projector member has read or written, kept between batches (see ``RowCache``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from infra.readside.readstore import ReadStore
from infra.sql.types import Connection
from projections.base import Key, Row, Table

MISSING = object()
KEY_SET_LIMIT = 500_000  # keys per table a live cache holds to know which rows are absent


class RowCache:
    """The rows a member has read or written; the source of truth between batches.

    ``complete`` means the tables were empty when this runner started them and nobody else
    writes them, so a row not in the cache does not exist (no database read needed).

    Otherwise (a live model that was built before), the first miss in a table reads the
    keys stored in it, once: a later miss on a key not among them is a row that does not
    exist (most misses are for new records), and costs no query. Like the cached rows
    themselves, that holds while this runner is the model's only writer — if another one
    moves the position, the group reloads and starts a fresh cache.
    """

    def __init__(self, store: ReadStore, conn: Connection, tables: Iterable[Table], generation: int,
                 complete: bool) -> None:
        self.store, self.conn, self.generation, self.complete = store, conn, generation, complete
        self.tables = {t.name: t for t in tables}
        self.rows: dict[str, dict[Key, Any]] = {name: {} for name in self.tables}
        self.dirty: dict[str, set[Key]] = {name: set() for name in self.tables}
        # With a complete cache we know which keys are stored: new ones need no delete first.
        self.stored: dict[str, set[Key]] = {name: set() for name in self.tables}
        # Non-complete: the keys stored when first needed; None where the table is too big.
        self.keys_at_start: dict[str, frozenset[Key] | None] = {}
        self.appended: dict[str, list[Row]] = {name: [] for name in self.tables}

    def get(self, table: str, key: Key) -> Row | None:
        assert not self.tables[table].append_only, f"{table} is written, never read back"
        cached = self.rows[table].get(key, MISSING)
        if cached is MISSING:
            cached = None if self.complete else self._load(table, key)
            self.rows[table][key] = cached
        return dict(cached) if cached is not None else None

    def _load(self, name: str, key: Key) -> Row | None:
        if name not in self.keys_at_start:
            self.keys_at_start[name] = self.store.load_keys(
                self.conn, self.tables[name], self.generation, KEY_SET_LIMIT)
        known = self.keys_at_start[name]
        if known is not None and key not in known:
            return None
        return self.store.load_row(self.conn, self.tables[name], self.generation, key)

    def put(self, table: str, row: Row) -> None:
        if self.tables[table].append_only:
            self.appended[table].append(row)  # written with the batch, not kept
            return
        key = self.tables[table].key_of(row)
        self.rows[table][key] = row
        self.dirty[table].add(key)

    def delete(self, table: str, key: Key) -> None:
        assert not self.tables[table].append_only, f"{table} rows are never deleted"
        self.rows[table][key] = None
        self.dirty[table].add(key)

    def take_changes(self) -> list[Changes]:
        """The batch's changed rows (rows are never mutated after ``put``, so they can be
        written by another thread while the next batch is applied)."""
        changes = []
        for name, appended in self.appended.items():
            if appended:  # new rows; upserted where the cache is not complete (a replay)
                table = self.tables[name]
                changes.append(Changes(table, self.generation, [] if self.complete else appended,
                                       [], appended if self.complete else []))
                self.appended[name] = []
        for name, keys in self.dirty.items():
            if not keys:
                continue
            rows, stored = self.rows[name], self.stored[name]
            deletes = [k for k in keys if rows[k] is None]
            if self.complete:
                deletes = [k for k in deletes if k in stored]
                new = [rows[k] for k in keys if rows[k] is not None and k not in stored]
                upserts = [rows[k] for k in keys if rows[k] is not None and k in stored]
                stored.update(k for k in keys if rows[k] is not None)
                stored.difference_update(k for k in keys if rows[k] is None)
            else:
                new, upserts = [], [rows[k] for k in keys if rows[k] is not None]
            changes.append(Changes(self.tables[name], self.generation, upserts, deletes, new))
            keys.clear()
        return changes



@dataclass(frozen=True)
class Changes:
    table: Table
    generation: int
    upserts: list[Row]
    deletes: list[Key]
    new_rows: list[Row]
