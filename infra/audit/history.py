"""An account's history as of an instant, computed from the event store itself.

The account's streams come from the audit index (``sfa_audit_links`` / ``sfa_audit_moves``,
written by the sealer beside the chain, independent of the read models) plus the links in
the events not sealed yet (a short scan by topic after the sealed head), so the answer is
complete even while the sealer lags. The events are then read from the events table by
stream id (its primary key) and by position, never by scanning the log. Each event carries
its chain hash and the hash before it (``None`` while not sealed), so what an auditor sees
can be checked against the chain. The state as of the instant is the domain's own ``evolve``
folded per stream (``infra.readside.queries.timeline.state_from``).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from orjson import loads
from pydantic import TypeAdapter

from domain.catalog import EVENT_TYPES
from domain.events import Event
from infra.audit.chain import GENESIS, chain_head, fetch
from infra.audit.collector import relaxed
from infra.audit.fold import fold
from infra.audit.index import LINKING, STOCK_MOVEMENTS, canonical, index_page
from infra.audit.tables import CHAIN, LINKS, MOVES, ensure_tables
from infra.eventstore.event_reader import EventReader, _uuid_text, event_data, prefetch_keys
from infra.eventstore.ids import parse_id
from infra.readside.queries.timeline import state_from
from infra.sql.database import Connection, Database

_VALIDATORS: dict[str, Callable[[Any], Any]] = {}


def current_event(type_name: str, data: dict[str, Any]) -> Event:
    """The domain event from data the reader already upcast to the current shape."""
    validate = _VALIDATORS.get(type_name)
    if validate is None:  # the adapter's core validator, without the per-call wrapper
        validate = _VALIDATORS[type_name] = TypeAdapter(EVENT_TYPES[type_name]).validator.validate_python
    event: Event = validate(data)
    return event


_STREAM_TYPES = {name: cls.stream_type for name, cls in EVENT_TYPES.items()}
_GENESIS_HEX = GENESIS.hex()


def _previous_hex(previous: int | None, digest: bytes | None) -> str | None:
    if previous is None:
        return None  # not sealed yet
    if previous == 0:
        return _GENESIS_HEX
    return digest.hex() if digest is not None else None


def _at_or_before(stored: str, limit_text: str, limit: datetime) -> bool:
    """``stored <= limit`` for an RFC 3339 time: compared as text when it has the codec's UTC
    form, ``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`` (as ``limit_text``, which is
    ``limit.isoformat()`` of a UTC time, has): in that form text order is time order ('+'
    sorts before '.', so a whole second comes before its fractions); parsed otherwise."""
    if len(stored) in _UTC_LENGTHS and stored.endswith("+00:00") and stored[19] in "+.":
        return stored <= limit_text
    return _utc(datetime.fromisoformat(stored)) <= limit


_UTC_LENGTHS = (25, 32)  # without and with microseconds


def rfc3339(stored: str) -> str:
    """The stored text when it already is UTC (it is, as the codec writes it)."""
    return stored if stored.endswith("+00:00") else _utc(datetime.fromisoformat(stored)).isoformat()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AuditHistory:
    def __init__(self, db: Database, conn: Connection) -> None:
        self.db, self.conn = db, conn
        self.reader = EventReader(db)

    def history(self, account_id: str, as_of: datetime | None = None) -> dict[str, Any]:
        """``{events, state}``: every event that touched the account up to ``as_of``, in global
        order, and the state of each of its aggregates then."""
        with relaxed():
            events = self.events(account_id, as_of)
            return {"events": events, "state": state_from(events, as_of, current_event, fold)}

    def events(self, account_id: str, as_of: datetime | None = None,
               with_stored: bool = False) -> list[dict[str, Any]]:
        """The account's events up to ``as_of`` in global order; ``with_stored`` adds the
        stored bytes and the previous sealed position (for exports)."""
        ensure_tables(self.db, self.conn)
        account = str(parse_id(account_id, "account_id"))
        links, moves = self._index(account)
        orders = sorted(link for link, kind in links.items() if kind == "order")
        wanted = set(orders)
        tail_moves = [p for p, order in moves if canonical(order) in wanted]
        rows = self._rows(list(links), orders, tail_moves)
        return self._shape(rows, as_of, with_stored)

    def _shape(self, rows: list[Any], as_of: datetime | None,
               with_stored: bool) -> list[dict[str, Any]]:
        """The answer's event dicts straight from the rows, in one pass: each stored body is
        decoded once, its data revealed and upcast as every reader sees it
        (``infra.eventstore.event_reader.event_data``), times kept as the stored RFC 3339 text."""
        bodies = [loads(row[4]) for row in rows]
        keys = self.reader.keys
        prefetch_keys([row[3] for row in rows], bodies, keys)
        limit = _utc(as_of) if as_of is not None else None
        limit_text = limit.isoformat() if limit is not None else ""
        found: list[dict[str, Any]] = []
        append = found.append
        for row, body in zip(rows, bodies, strict=True):
            position, stream, version, topic, stored, previous, digest, before = row
            meta = body["meta"]
            occurred = meta["occurred_at"]
            if limit is not None and not _at_or_before(occurred, limit_text, limit):
                continue
            event = {"position": position, "event_id": meta.get("event_id"),
                     "stream_type": _STREAM_TYPES[topic], "stream_id": _uuid_text(stream),
                     "version": version, "type": topic, "occurred_at": rfc3339(occurred),
                     "actor": meta.get("actor"), "correlation_id": meta.get("correlation_id"),
                     "causation_id": meta.get("causation_id"),
                     "data": event_data(topic, body, keys),
                     "hash": digest.hex() if digest is not None else None,
                     "previous_hash": _previous_hex(previous, before)}
            if with_stored:
                event.update(stored=bytes(stored), previous_position=previous)
            append(event)
        return found

    def _select(self, source: str, where: str = "") -> str:
        """Events with their chain hash and the hash before them, in one query. On
        PostgreSQL each wanted key probes the index in a LATERAL subquery (``OFFSET 0``
        keeps the planner from turning it back into a join: a plain ``= ANY`` or a join of a
        few thousand ids was seen planned as a scan of the whole events table)."""
        pos = self.db.position_column
        stream = self.db.dialect.stream_text("e.originator_id")
        return (f"SELECT e.{pos}, {stream}, e.originator_version, e.topic, e.state, "
                f"c.previous, c.hash, p.hash FROM {source} "
                f"LEFT JOIN {CHAIN} c ON c.position = e.{pos} "
                f"LEFT JOIN {CHAIN} p ON p.position = c.previous {where}")

    def _rows(self, streams: list[str], orders: list[str], tail_moves: list[int]) -> list[Any]:
        """Every event of the streams, plus the stock movements of the orders (sealed ones
        from the index, ``tail_moves`` not sealed yet), in global order. On PostgreSQL one
        statement: the streams' events through the primary key and the movements through the
        position, each by a LATERAL probe, the movements' positions looked up in the index by
        the database itself. Without arrays: one read by stream ids, one by positions."""
        if not streams:
            return []
        if not self.db.dialect.arrays:
            rows = self._by_streams(streams)
            rows += self._by_positions(self._moves_of(orders) + tail_moves)
            rows.sort(key=itemgetter(0))
            return rows
        # the chain rows are joined inside each probe: joined outside, they were seen planned
        # as a merge join over the whole chain table
        by_stream = self._select(f"{self.db.events_table} e",
                                 "WHERE e.originator_id = wanted.id OFFSET 0")
        by_position = self._select(f"{self.db.events_table} e",
                                   "WHERE e.notification_id = wanted.position OFFSET 0")
        statement = (
            f"SELECT s.* FROM unnest(%(streams)s::uuid[]) AS wanted(id) "
            f"CROSS JOIN LATERAL ({by_stream}) s UNION ALL "
            f"SELECT m.* FROM (SELECT v.position FROM unnest(%(orders)s::text[]) AS o(id) "
            f"CROSS JOIN LATERAL (SELECT position FROM {MOVES} WHERE order_id = o.id OFFSET 0) v "
            f"UNION ALL SELECT unnest(%(tail)s::bigint[])) AS wanted(position) "
            f"CROSS JOIN LATERAL ({by_position}) m")
        rows = fetch(self.db, self.conn, statement,
                     {"streams": streams, "orders": orders, "tail": tail_moves})
        rows.sort(key=itemgetter(0))
        return rows

    def _by_streams(self, streams: list[str]) -> list[Any]:
        """Through the events table's primary key (stream id, version)."""
        dialect = self.db.dialect
        condition, params = dialect.one_of(
            "e.originator_id", [dialect.stream_key(s) for s in streams], "uuid")
        return fetch(self.db, self.conn, self.db.sql(self._select(
            f"{self.db.events_table} e", f"WHERE {condition}")), params)

    def _by_positions(self, positions: list[int]) -> list[Any]:
        if not positions:
            return []
        condition, params = self.db.dialect.one_of(f"e.{self.db.position_column}", positions)
        return fetch(self.db, self.conn, self.db.sql(self._select(
            f"{self.db.events_table} e", f"WHERE {condition}")), params)

    def _index(self, account: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
        """(link id -> kind, [(position, order id)] of the unsealed tail)."""
        sql = self.db.sql
        rows = self.conn.execute(sql(f"SELECT link_id, kind FROM {LINKS} WHERE account_id = ?"),
                                 [account]).fetchall()
        links = {link: kind for link, kind in rows}
        tail = self._tail()
        links.update({link: kind for link, owner, kind, _ in tail.links
                      if owner == account and link not in links})
        return links, tail.moves

    def _tail(self) -> Any:
        head, _ = chain_head(self.db, self.conn)
        topics = [*LINKING, *STOCK_MOVEMENTS]
        pos, table = self.db.position_column, self.db.events_table
        stream = self.db.dialect.stream_text("originator_id")
        marks = ",".join("?" * len(topics))
        statement = self.db.sql(f"SELECT {pos}, {stream}, originator_version, topic, state "
                                f"FROM {table} WHERE {pos} > ? AND topic IN ({marks})")
        return index_page(self.conn.execute(statement, [head, *topics]).fetchall())

    def _moves_of(self, orders: list[str]) -> list[int]:
        if not orders:
            return []
        marks = ",".join("?" * len(orders))
        statement = self.db.sql(f"SELECT position FROM {MOVES} WHERE order_id IN ({marks})")
        return [int(p) for (p,) in self.conn.execute(statement, orders).fetchall()]
