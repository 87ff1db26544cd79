"""Where read models live: physical tables per generation, views, and the registry.

Each read model is built in *generations*. Generation N of table ``funnel_opportunities``
is the physical table ``funnel_opportunities__g<N>``; queries read the view
``funnel_opportunities``, which points at the active generation. A rebuild fills a new
generation from the first event while the active one keeps serving, then re-points the
views and the registry in one transaction, so a query sees either the old complete model
or the new complete model, never a half-built one.

``sfa_projections`` records, per (name, generation): version, status
(requested | building | active | failed | retired), position, rate and the last error. A
``requested`` generation is a rebuild asked for by a process that does not build (the API:
``ReadModels.request_rebuild``); the projector process claims it (``claim``) and builds it.
``sfa_projector_heartbeats`` records, per projector process, when its live loop last went
round: ``/healthz``, ``/metrics`` and ``sfa projections status`` tell a dead one by its age.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from infra.readside.segments import CREATE_SEGMENTS, SEGMENTS
from infra.sql.database import Connection, Cursor, Database, now_text, rows_as_dicts
from projections.base import Key, Projection, Row, Table

REGISTRY = "sfa_projections"
CREATE_REGISTRY = f"""CREATE TABLE IF NOT EXISTS {REGISTRY} (
    name TEXT NOT NULL, generation INTEGER NOT NULL, version INTEGER NOT NULL,
    status TEXT NOT NULL, position BIGINT NOT NULL DEFAULT 0, events_per_second REAL,
    last_error TEXT, error_position BIGINT, updated_at TEXT,
    PRIMARY KEY (name, generation))"""
HEARTBEATS = "sfa_projector_heartbeats"
CREATE_HEARTBEATS = f"""CREATE TABLE IF NOT EXISTS {HEARTBEATS} (
    node TEXT PRIMARY KEY, pid INTEGER NOT NULL, started_at DOUBLE PRECISION NOT NULL,
    beat_at DOUBLE PRECISION NOT NULL, state TEXT NOT NULL, last_error TEXT)"""  # Unix seconds
KEY_PAGE = 50_000  # keys read per statement by ``stored_keys``
HEARTBEATS_KEPT_FOR = 24 * 3600.0  # seconds: rows of projectors gone longer are deleted


@dataclass(frozen=True)
class Heartbeat:
    """One projector process (``node`` is host:pid); times are Unix seconds."""

    node: str
    pid: int
    started_at: float
    beat_at: float
    state: str
    last_error: str | None


@dataclass(frozen=True)
class Generation:
    name: str
    generation: int
    version: int
    status: str
    position: int
    events_per_second: float | None = None
    last_error: str | None = None
    error_position: int | None = None
    updated_at: str | None = None


def physical(table: Table, generation: int) -> str:
    return f"{table.name}__g{generation}"


class ReadStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._copy_threshold = db.dialect.copy_threshold  # rows per table and batch

    def ensure_registry(self, conn: Connection) -> None:
        self.db.create_table_once(conn, REGISTRY, CREATE_REGISTRY)
        self.db.create_table_once(conn, HEARTBEATS, CREATE_HEARTBEATS)
        self.db.create_table_once(conn, SEGMENTS, CREATE_SEGMENTS)

    def beat(self, conn: Connection, beat: Heartbeat) -> None:
        """Records that ``beat.node`` went round (and forgets projectors gone for a day)."""
        with self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(f"DELETE FROM {HEARTBEATS} WHERE node = ? OR beat_at < ?"),
                           (beat.node, beat.beat_at - HEARTBEATS_KEPT_FOR))
            cursor.execute(self.db.sql(
                f"INSERT INTO {HEARTBEATS} (node, pid, started_at, beat_at, state, last_error) "
                "VALUES (?, ?, ?, ?, ?, ?)"), (beat.node, beat.pid, beat.started_at, beat.beat_at,
                                                beat.state, beat.last_error))

    def heartbeats(self, conn: Connection) -> list[Heartbeat]:
        """Every projector seen in the last day, the most recent beat first."""
        if not self.db.table_exists(conn, HEARTBEATS):
            return []
        rows = conn.execute(f"SELECT node, pid, started_at, beat_at, state, last_error "
                            f"FROM {HEARTBEATS} ORDER BY beat_at DESC").fetchall()
        return [Heartbeat(n, int(p), float(s), float(b), st, e) for n, p, s, b, st, e in rows]

    def generations(self, conn: Connection, name: str | None = None) -> list[Generation]:
        statement = f"SELECT * FROM {REGISTRY}"
        params: tuple[Any, ...] = ()
        if name is not None:
            statement, params = statement + " WHERE name = ?", (name,)
        cursor = conn.execute(self.db.sql(statement + " ORDER BY name, generation"), params)
        names = [d[0] for d in cursor.description]
        return [Generation(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]

    def active(self, conn: Connection, name: str) -> Generation | None:
        return next((g for g in self.generations(conn, name) if g.status == "active"), None)

    def serving(self, conn: Connection) -> list[Generation]:
        """The active generation of every model (what the queries read), in one short read
        (the API asks before its queries: ``infra.readside.serving``)."""
        rows = conn.execute(f"SELECT name, generation, version, position, error_position, "
                            f"last_error FROM {REGISTRY} WHERE status = 'active'").fetchall()
        return [Generation(name, int(generation), int(version), "active", int(position),
                           last_error=error, error_position=stopped)
                for name, generation, version, position, stopped, error in rows]

    def active_generations(self, conn: Connection) -> dict[str, int]:
        """The active generation of each model that has one."""
        rows = conn.execute(f"SELECT name, generation FROM {REGISTRY} WHERE status = 'active'")
        return {name: int(generation) for name, generation in rows.fetchall()}

    def create_generation(self, conn: Connection, projection: Projection,
                          status: str = "building", segments: int = 1) -> Generation:
        """A new, empty generation with its own tables, in ``status`` (building or requested),
        in ``segments`` (``infra.readside.segments``; 1: in one piece)."""
        with self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(f"SELECT MAX(generation) FROM {REGISTRY} WHERE name = ?"),
                           (projection.name,))
            number = (cursor.fetchone()[0] or 0) + 1
            for table in projection.tables:
                self._create_table(cursor, table, number)
            cursor.execute(self.db.sql(
                f"INSERT INTO {REGISTRY} (name, generation, version, status, position, updated_at)"
                " VALUES (?, ?, ?, ?, 0, ?)"),
                (projection.name, number, projection.version, status, now_text()))
            if segments > 1:
                cursor.executemany(self.db.sql(
                    f"INSERT INTO {SEGMENTS} (name, generation, segment, position) "
                    "VALUES (?, ?, ?, 0)"), [(projection.name, number, i) for i in range(segments)])
        return Generation(projection.name, number, projection.version, status, 0)

    def segment_positions(self, conn: Connection) -> dict[tuple[str, int], list[int]]:
        """The position of each segment, by (model, generation) — of the generations built in
        segments only."""
        rows = conn.execute(f"SELECT name, generation, segment, position FROM {SEGMENTS} "
                            "ORDER BY name, generation, segment").fetchall()
        found: dict[tuple[str, int], list[int]] = {}
        for name, generation, _, position in rows:
            found.setdefault((name, int(generation)), []).append(int(position))
        return found

    def caught_up(self, conn: Connection, name: str, generation: int,
                  segments: list[int]) -> None:
        """Marks ``segments`` of a generation as having caught up with the head once."""
        with self.db.transaction(conn) as cursor:
            cursor.executemany(self.db.sql(
                f"UPDATE {SEGMENTS} SET caught_up = TRUE WHERE name = ? AND generation = ? "
                "AND segment = ?"), [(name, generation, segment) for segment in segments])

    def claim(self, conn: Connection, name: str, generation: int) -> bool:
        """Turns a requested generation into one being built, for one claimant only."""
        with self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(
                f"UPDATE {REGISTRY} SET status = 'building', updated_at = ? "
                "WHERE name = ? AND generation = ? AND status = 'requested'"),
                (now_text(), name, generation))
            return bool(cursor.rowcount == 1)

    def _create_table(self, cursor: Cursor, table: Table, generation: int) -> None:
        name = physical(table, generation)
        columns = ", ".join(f"{c.name} {self.db.column_type(c.type)}" for c in table.columns)
        if table.search:
            columns += self.db.dialect.search_columns(table.search)
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TABLE {name} ({columns}, PRIMARY KEY ({', '.join(table.key)}))")

    def _create_indexes(self, cursor: Cursor, table: Table, generation: int) -> None:
        """Secondary indexes come when a generation goes live: building is faster without."""
        name = physical(table, generation)
        for i, index in enumerate(table.indexes):
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name}_i{i} ON {name} ({', '.join(index)})")
        search = table.search and self.db.dialect.search_index(name, f"{name}_s", table.search)
        if search:
            cursor.execute(search)

    def activate(self, conn: Connection, projection: Projection, generation: int) -> bool:
        """Points the views at ``generation`` and retires the previous one, atomically — but
        only if the new generation is not behind the one serving now (a query must never
        see the model step back), and, if it is built in segments, every segment caught up
        with the head once. Returns False (and changes nothing) otherwise."""
        with self.db.transaction(conn) as cursor:
            self.db.dialect.allow_long_statements(cursor)  # indexing millions of rows
            for table in projection.tables:
                self._create_indexes(cursor, table, generation)
        with self.db.transaction(conn) as cursor:
            lock = self.db.dialect.for_update
            cursor.execute(self.db.sql(
                f"SELECT generation, status, position FROM {REGISTRY} WHERE name = ?{lock}"),
                (projection.name,))
            rows = {g: (status, position) for g, status, position in cursor.fetchall()}
            if rows.get(generation, ("retired",))[0] not in ("building", "active"):
                return False  # replaced (or stopped) meanwhile: never serve it
            serving = [p for status, p in rows.values() if status == "active"]
            if serving and rows[generation][1] < max(serving):
                return False
            cursor.execute(self.db.sql(f"SELECT COUNT(*) FROM {SEGMENTS} WHERE name = ? AND "
                                       "generation = ? AND NOT caught_up"),
                           (projection.name, generation))
            if cursor.fetchone()[0]:
                return False
            for table in projection.tables:
                cursor.execute(f"DROP VIEW IF EXISTS {table.name}")
                cursor.execute(f"CREATE VIEW {table.name} AS "
                               f"SELECT * FROM {physical(table, generation)}")
            cursor.execute(self.db.sql(
                f"UPDATE {REGISTRY} SET status = 'retired', updated_at = ? "
                "WHERE name = ? AND status = 'active'"), (now_text(), projection.name))
            cursor.execute(self.db.sql(
                f"UPDATE {REGISTRY} SET status = 'active', updated_at = ? "
                "WHERE name = ? AND generation = ?"), (now_text(), projection.name, generation))
        return True

    def drop_retired(self, conn: Connection, projection: Projection,
                     statuses: tuple[str, ...] = ("retired",)) -> None:
        """Drops the tables and registry rows of generations in ``statuses`` (never active)."""
        for generation in self.generations(conn, projection.name):
            if generation.status not in statuses or generation.status == "active":
                continue
            with self.db.transaction(conn) as cursor:
                for table in projection.tables:
                    cursor.execute(f"DROP TABLE IF EXISTS {physical(table, generation.generation)}")
                for registry in (REGISTRY, SEGMENTS):
                    cursor.execute(self.db.sql(
                        f"DELETE FROM {registry} WHERE name = ? AND generation = ?"),
                        (projection.name, generation.generation))

    def load_row(self, conn: Connection, table: Table, generation: int, key: Key) -> Row | None:
        where = " AND ".join(f"{c} = ?" for c in table.key)
        columns = ", ".join(table.column_names)
        statement = self.db.sql(f"SELECT {columns} FROM {physical(table, generation)} WHERE {where}")
        params = [self.db.to_db(self._kind(table, c), v) for c, v in zip(table.key, key, strict=True)]
        found = conn.execute(statement, params).fetchone()
        if found is None:
            return None
        return {c.name: self.db.from_db(c.type, v) for c, v in zip(table.columns, found, strict=True)}

    def stored_keys(self, conn: Connection, table: Table, generation: int,
                    page: int = KEY_PAGE) -> Iterator[Key]:
        """The key of every stored row, read a page at a time in key order (by the primary
        key's index), so a table of millions of rows is never held whole."""
        name, columns = physical(table, generation), ", ".join(table.key)
        marks = ", ".join("?" for _ in table.key)
        first = f"SELECT {columns} FROM {name} ORDER BY {columns} LIMIT {int(page)}"
        later = self.db.sql(f"SELECT {columns} FROM {name} WHERE ({columns}) > ({marks}) "
                            f"ORDER BY {columns} LIMIT {int(page)}")
        kinds = [self._kind(table, c) for c in table.key]
        after: Sequence[Any] | None = None
        while True:
            rows = (conn.execute(first) if after is None else conn.execute(later, after)).fetchall()
            for row in rows:
                yield tuple(self.db.from_db(k, v) for k, v in zip(kinds, row, strict=True))
            if len(rows) < page:
                return
            after = rows[-1]

    def write_rows(self, cursor: Cursor, table: Table, generation: int, upserts: list[Row],
                   deletes: list[Key], new_rows: list[Row] | None = None) -> None:
        """Stores a batch of one table: ``upserts`` may exist already, ``new_rows`` do not."""
        name = physical(table, generation)
        new_rows = new_rows or []
        if len(upserts) + len(new_rows) >= self._copy_threshold:  # one DELETE, then COPY
            dialect = self.db.dialect
            dialect.delete_keys(cursor, name, [(c, self._kind(table, c)) for c in table.key],
                                deletes + [table.key_of(r) for r in upserts])
            dialect.copy_rows(cursor, name, table.column_names,
                              self._values(table, upserts + new_rows))
            return
        if deletes:
            where = " AND ".join(f"{c} = ?" for c in table.key)
            cursor.executemany(self.db.sql(f"DELETE FROM {name} WHERE {where}"),
                               [[self.db.to_db(self._kind(table, c), v)
                                 for c, v in zip(table.key, key, strict=True)] for key in deletes])
        if upserts or new_rows:
            cursor.executemany(self._upsert_sql(table, name, "VALUES (" + ", ".join(
                "?" * len(table.columns)) + ")"), self._values(table, upserts + new_rows))

    def _values(self, table: Table, rows: list[Row]) -> list[list[Any]]:
        """Row dicts as value lists; only the columns whose type needs it are converted."""
        columns = table.column_names
        converters = [(i, c.type) for i, c in enumerate(table.columns)
                      if self.db.needs_conversion(c.type)]
        values = []
        for row in rows:
            value = [row.get(c) for c in columns]
            for i, kind in converters:
                value[i] = self.db.to_db(kind, value[i])
            values.append(value)
        return values

    def _upsert_sql(self, table: Table, name: str, source: str) -> str:
        return self.db.sql(self.db.dialect.upsert(name, table.column_names, table.key, source))

    @staticmethod
    def _kind(table: Table, column: str) -> str:
        return next(c.type for c in table.columns if c.name == column)

    def advance(self, cursor: Cursor, name: str, generation: int, expected: int, position: int,
                rate: float | None, segment: int | None = None) -> bool:
        """Moves the position, only if nobody else moved it: exactly once with two runners.
        A segment's moves its own, then the generation's to the lowest of its segments'
        (the generation's row is locked first, so two segments' batches committing at once
        take turns and the second sees the first's position)."""
        if segment is not None:
            return self._advance_segment(cursor, name, generation, expected, position, rate,
                                         segment)
        cursor.execute(self.db.sql(
            f"UPDATE {REGISTRY} SET position = ?, "
            "events_per_second = COALESCE(?, events_per_second), updated_at = ? "
            "WHERE name = ? AND generation = ? AND position = ?"),
            (position, rate, now_text(), name, generation, expected))
        return bool(cursor.rowcount == 1)

    def _advance_segment(self, cursor: Cursor, name: str, generation: int, expected: int,
                         position: int, rate: float | None, segment: int) -> bool:
        where = "WHERE name = ? AND generation = ?"
        cursor.execute(self.db.sql(f"UPDATE {REGISTRY} SET updated_at = ? {where}"),
                       (now_text(), name, generation))
        cursor.execute(self.db.sql(f"UPDATE {SEGMENTS} SET position = ? {where} "
                                   "AND segment = ? AND position = ?"),
                       (position, name, generation, segment, expected))
        if cursor.rowcount != 1:
            return False
        cursor.execute(self.db.sql(
            f"UPDATE {REGISTRY} SET position = (SELECT MIN(position) FROM {SEGMENTS} {where}), "
            f"events_per_second = COALESCE(?, events_per_second) {where}"),
            (name, generation, rate, name, generation))
        return True

    def record_failure(self, conn: Connection, name: str, generation: int, position: int,
                       error: str) -> None:
        """``error`` names the event at ``position`` that stopped the generation; an active
        one keeps serving (its status reads ``failed`` while the error is past its position)."""
        error = " ".join(error.replace("\x00", "\\x00").split())[:1000]
        with self.db.transaction(conn) as cursor:
            cursor.execute(self.db.sql(
                f"UPDATE {REGISTRY} SET status = CASE WHEN status = 'active' THEN 'active' "
                "ELSE 'failed' END, last_error = ?, error_position = ?, updated_at = ? "
                "WHERE name = ? AND generation = ?"),
                (error, position, now_text(), name, generation))


class SqlReader:
    """The read side's ``projections.base.Reader``: a read model's queries, run on a
    connection. Placeholders and stored values are the database's business; the statements
    and what is made of their rows are the read model's."""

    def __init__(self, db: Database, conn: Connection) -> None:
        self.db, self.conn = db, conn

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self.conn.execute(self.db.sql(statement), list(params))
        return rows_as_dicts(cursor, cursor.fetchall())

    def value(self, kind: str, stored: Any) -> Any:
        return self.db.from_db(kind, stored)

    def stored(self, kind: str, value: Any) -> Any:
        return self.db.to_db(kind, value)

    def one_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return self.db.dialect.one_of(column, values)

    def exact_sum(self, column: str) -> str:
        return self.db.dialect.exact_sum(column)

    def matches(self, column: str, words: Sequence[str]) -> tuple[str, list[Any]]:
        return self.db.dialect.words_match(column, words)
