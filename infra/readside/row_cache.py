"""The rows a projector member has read or written, kept between batches (see ``RowCache``)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from infra.readside.key_filter import KeyFilter
from infra.readside.readstore import ReadStore
from infra.sql.types import Connection
from projections.base import Key, Row, Table

MISSING = object()
# keys per table whose presence a live cache learns by reading them (the filter's reach:
# ``KeyFilter``); past it, every miss of that table reads the database
KEY_SET_LIMIT = 5_000_000
TRIM_TO = 0.8  # a cache past its bound forgets down to this part of it (not every batch)


class RowCache:
    """The rows a member has read or written, the source of truth between batches, within a
    bound: at most ``capacity`` rows (of all its tables; ``SFA_PROJECTION_CACHE_ROWS``), plus
    the rows of the last batch until it is committed, the least recently used forgotten first
    (a read of the database would not see a row whose batch is still being written).

    Whether a row not kept exists is known without a query where possible:

    - ``complete``: the tables were empty when this runner started them and nobody else
      writes them, so a row exists only if this cache stored it. The keys of stored rows it
      forgot are kept in a ``KeyFilter`` (bounded): a key not in it has no row.
    - Otherwise (a model built before) the keys stored in a table are read into the filter
      (up to ``KEY_SET_LIMIT``; beyond, every miss is a query): all tables at once by
      ``warm`` (the live loop's caches are warmed on a thread of their own, see
      ``infra.readside.warm_caches``), else a table's on its first miss. The keys this
      cache stores and forgets are added to the filter.

    A key the filter may hold is read from the database (the filter's mistakes cost a read,
    never a wrong answer). Like the kept rows, that holds while this runner is the model's
    only writer — if another one moves the position, the group reloads with a fresh cache.
    """

    def __init__(self, store: ReadStore, conn: Connection, tables: Iterable[Table], generation: int,
                 complete: bool, capacity: int) -> None:
        self.store, self.conn, self.generation, self.complete = store, conn, generation, complete
        self.capacity = capacity
        self.tables = {t.name: t for t in tables}
        self.rows: dict[str, OrderedDict[Key, Any]] = {name: OrderedDict() for name in self.tables}
        self.dirty: dict[str, set[Key]] = {name: set() for name in self.tables}
        # kept keys whose row is stored: a new row needs no delete first, and a forgotten one
        # goes into the filter
        self.stored: dict[str, set[Key]] = {name: set() for name in self.tables}
        # kept keys known to have no stored row (a read found none): no filter to ask
        self.absent: dict[str, set[Key]] = {name: set() for name in self.tables}
        # stored keys not kept; None where a table has too many keys to read
        self.forgotten: dict[str, KeyFilter | None] = {}
        self.appended: dict[str, list[Row]] = {name: [] for name in self.tables}
        # the keys of the batch taken last, which may not be committed yet: never forgotten
        # before they are (a read of the database would not see them)
        self.in_flight: dict[str, set[Key]] = {}

    def warm(self, conn: Connection) -> None:
        """Reads the stored keys of every table (on ``conn``) before the first miss, so no
        miss ever waits for them. Call it before the cache is used, while nobody writes."""
        for name, table in self.tables.items():
            if not table.append_only and name not in self.forgotten:
                self.forgotten[name] = self._stored_keys(conn, name)

    def get(self, table: str, key: Key) -> Row | None:
        assert not self.tables[table].append_only, f"{table} is written, never read back"
        rows = self.rows[table]
        cached = rows.get(key, MISSING)
        if cached is MISSING:
            cached = self._load(table, key)
            rows[key] = cached
            (self.stored if cached is not None else self.absent)[table].add(key)
        else:
            rows.move_to_end(key)
        return dict(cached) if cached is not None else None

    def _load(self, name: str, key: Key) -> Row | None:
        known = self._known(name)
        if known is not None and key not in known:
            return None
        return self.store.load_row(self.conn, self.tables[name], self.generation, key)

    def _known(self, name: str) -> KeyFilter | None:
        """The stored keys not kept (read on first use unless warmed); None: too many, every
        miss reads."""
        if name not in self.forgotten:
            self.forgotten[name] = KeyFilter() if self.complete else self._stored_keys(
                self.conn, name)
        return self.forgotten[name]

    def _stored_keys(self, conn: Connection, name: str) -> KeyFilter | None:
        found = KeyFilter()
        for key in self.store.stored_keys(conn, self.tables[name], self.generation):
            if found.added >= KEY_SET_LIMIT:
                return None
            found.add(key)
        return found

    def put(self, table: str, row: Row) -> None:
        if self.tables[table].append_only:
            self.appended[table].append(row)  # written with the batch, not kept
            return
        key = self.tables[table].key_of(row)
        self.rows[table][key] = row
        self.rows[table].move_to_end(key)
        self.dirty[table].add(key)

    def delete(self, table: str, key: Key) -> None:
        assert not self.tables[table].append_only, f"{table} rows are never deleted"
        self.rows[table][key] = None
        self.rows[table].move_to_end(key)
        self.dirty[table].add(key)

    def take_changes(self) -> list[Changes]:
        """The batch's changed rows (rows are never mutated after ``put``, so they can be
        written by another thread while the next batch is applied). Call ``forget_past_bound``
        once the batch before it is committed."""
        changes = []
        for name, appended in self.appended.items():
            if appended:  # new rows; upserted where the cache is not complete (a replay)
                table = self.tables[name]
                changes.append(Changes(table, self.generation, [] if self.complete else appended,
                                       [], appended if self.complete else []))
                self.appended[name] = []
        self.in_flight = {}
        for name, keys in self.dirty.items():
            if keys:
                changes.append(self._changes_of(name, keys))
                self.in_flight[name] = set(keys)
                keys.clear()
        return changes

    def _changes_of(self, name: str, keys: set[Key]) -> Changes:
        rows, stored, absent = self.rows[name], self.stored[name], self.absent[name]
        written = [k for k in keys if rows[k] is not None]
        gone = [k for k in keys if rows[k] is None]
        if self.complete:
            known = self.forgotten.get(name)
            present = {k for k in keys if k in stored or (
                k not in absent and known is not None and k in known)}
            deletes = [k for k in gone if k in present]
            new = [rows[k] for k in written if k not in present]
            upserts = [rows[k] for k in written if k in present]
        else:
            deletes, new, upserts = gone, [], [rows[k] for k in written]
        stored.update(written)
        absent.difference_update(written)
        stored.difference_update(gone)
        absent.update(gone)
        return Changes(self.tables[name], self.generation, upserts, deletes, new)

    def forget_past_bound(self) -> None:
        """Forgets the least recently used rows, table by table in proportion to their share
        of the cache, down to ``TRIM_TO`` of the bound; a stored one's key goes to the filter.
        Call it when every batch but the one taken last is committed (its rows are kept)."""
        total = sum(len(rows) for rows in self.rows.values())
        if total <= self.capacity:
            return
        for name, rows in self.rows.items():
            excess = len(rows) - int(len(rows) * self.capacity * TRIM_TO / total)
            if excess > 0:
                self._forget(name, rows, excess)

    def _forget(self, name: str, rows: OrderedDict[Key, Any], excess: int) -> None:
        stored, absent, known = self.stored[name], self.absent[name], self._known(name)
        flying = self.in_flight.get(name, set())
        for key in list(islice(rows, excess + len(flying))):  # the oldest first
            if excess <= 0:
                break
            if key in flying:
                continue
            del rows[key]
            excess -= 1
            absent.discard(key)
            if key in stored:
                stored.discard(key)
                if known is not None:  # (else: too many keys, every miss reads anyway)
                    known.add(key)


@dataclass(frozen=True)
class Changes:
    table: Table
    generation: int
    upserts: list[Row]
    deletes: list[Key]
    new_rows: list[Row]
