"""An account's history as of an instant, computed from the event store itself.

The account's streams come from the audit index (``sfa_audit_links`` / ``sfa_audit_moves``,
written by the sealer beside the chain, independent of the read models) plus the links in
the events not sealed yet (a short scan by topic after the sealed head), so the answer is
complete even while the sealer lags. The events are then read from the events table by
stream id (its primary key) and by position, never by scanning the log. Each event carries
its chain hash and the hash before it (``None`` while not sealed), so what an auditor sees
can be checked against the chain. The state as of the instant is the domain's own ``evolve``
folded per stream (``infra.queries.timeline.state_from``).
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from domain.catalog import EVENT_TYPES
from domain.events import Event
from infra.audit.chain import GENESIS, chain_head, fetch
from infra.audit.collector import relaxed
from infra.audit.index import LINKING, STOCK_MOVEMENTS, canonical, index_page
from infra.audit.tables import CHAIN, LINKS, MOVES, ensure_tables
from infra.event_reader import EventReader
from infra.ids import parse_id
from infra.queries.timeline import state_from
from infra.sqldb import Database
from projections.base import EventRecord

_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def current_event(type_name: str, data: dict[str, Any]) -> Event:
    """The domain event from data the reader already upcast to the current shape."""
    if type_name not in _ADAPTERS:
        _ADAPTERS[type_name] = TypeAdapter(EVENT_TYPES[type_name])
    event: Event = _ADAPTERS[type_name].validate_python(data)
    return event


def _previous_hash(previous: int | None, digest: bytes | None) -> bytes | None:
    if previous is None:
        return None  # not sealed yet
    return GENESIS if previous == 0 else (bytes(digest) if digest is not None else None)


def _rfc3339(stored: str) -> str:
    """The stored text when it already is UTC (it is, as the codec writes it)."""
    return stored if stored.endswith("+00:00") else _utc(datetime.fromisoformat(stored)).isoformat()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AuditHistory:
    def __init__(self, db: Database, conn: Any) -> None:
        self.db, self.conn = db, conn
        self.reader = EventReader(db)

    def history(self, account_id: str, as_of: datetime | None = None) -> dict[str, Any]:
        """``{events, state}``: every event that touched the account up to ``as_of``, in global
        order, and the state of each of its aggregates then."""
        with relaxed():
            events = self.events(account_id, as_of)
            return {"events": events, "state": state_from(events, as_of, current_event)}

    def events(self, account_id: str, as_of: datetime | None = None,
               with_stored: bool = False) -> list[dict[str, Any]]:
        """The account's events up to ``as_of`` in global order; ``with_stored`` adds the
        stored bytes and the previous sealed position (for exports)."""
        ensure_tables(self.db, self.conn)
        account = str(parse_id(account_id, "account_id"))
        links, moves = self._index(account)
        rows = self._by_streams(list(links))
        orders = {link for link, kind in links.items() if kind == "order"}
        rows += self._by_positions(self._moves_of(orders, moves))
        rows.sort(key=lambda row: int(row[0]))
        records = self.reader.decode([row[:5] for row in rows])
        limit = _utc(as_of) if as_of is not None else None
        found = []
        for record, row in zip(records, rows, strict=True):
            if limit is not None and _utc(record.occurred_at) > limit:
                continue
            event = self._event(record, row[6], _previous_hash(row[5], row[7]))
            if with_stored:
                event.update(stored=bytes(row[4]), previous_position=row[5])
            found.append(event)
        return found

    def _select(self, source: str, where: str = "") -> str:
        """Events with their chain hash and the hash before them, in one query. On
        PostgreSQL each wanted key probes the index in a LATERAL subquery (``OFFSET 0``
        keeps the planner from turning it back into a join: a plain ``= ANY`` or a join of a
        few thousand ids was seen planned as a scan of the whole events table)."""
        pos = self.db.position_column
        stream = "e.originator_id" if self.db.backend == "sqlite" else "e.originator_id::text"
        return (f"SELECT e.{pos}, {stream}, e.originator_version, e.topic, e.state, "
                f"c.previous, c.hash, p.hash FROM {source} "
                f"LEFT JOIN {CHAIN} c ON c.position = e.{pos} "
                f"LEFT JOIN {CHAIN} p ON p.position = c.previous {where}")

    def _by_streams(self, streams: list[str]) -> list[Any]:
        """Through the events table's primary key (stream id, version)."""
        if not streams:
            return []
        if self.db.backend == "sqlite":
            ids = [UUID(s).hex for s in streams]
            marks = ",".join("?" * len(ids))
            return fetch(self.db, self.conn, self._select(
                f"{self.db.events_table} e", f"WHERE e.originator_id IN ({marks})"), ids)
        source = (f"unnest(%s::uuid[]) AS wanted(id) CROSS JOIN LATERAL (SELECT * FROM "
                  f"{self.db.events_table} WHERE originator_id = wanted.id OFFSET 0) e")
        return fetch(self.db, self.conn, self._select(source), (streams,))

    def _by_positions(self, positions: list[int]) -> list[Any]:
        if not positions:
            return []
        if self.db.backend == "sqlite":
            marks = ",".join("?" * len(positions))
            return fetch(self.db, self.conn, self._select(
                f"{self.db.events_table} e", f"WHERE e.rowid IN ({marks})"), positions)
        source = (f"unnest(%s::bigint[]) AS wanted(position) CROSS JOIN LATERAL (SELECT * FROM "
                  f"{self.db.events_table} WHERE notification_id = wanted.position OFFSET 0) e")
        return fetch(self.db, self.conn, self._select(source), (positions,))

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
        stream = "originator_id" if self.db.backend == "sqlite" else "originator_id::text"
        marks = ",".join("?" * len(topics))
        statement = self.db.sql(f"SELECT {pos}, {stream}, originator_version, topic, state "
                                f"FROM {table} WHERE {pos} > ? AND topic IN ({marks})")
        return index_page(self.conn.execute(statement, [head, *topics]).fetchall())

    def _moves_of(self, orders: set[str], tail: list[tuple[int, str]]) -> list[int]:
        if not orders:
            return []
        marks = ",".join("?" * len(orders))
        statement = self.db.sql(f"SELECT position FROM {MOVES} WHERE order_id IN ({marks})")
        found = [int(p) for (p,) in self.conn.execute(statement, sorted(orders)).fetchall()]
        return found + [p for p, order in tail if canonical(order) in orders]

    @staticmethod
    def _event(r: EventRecord, digest: bytes | None, previous: bytes | None) -> dict[str, Any]:
        meta = r.meta
        return {"position": r.position, "event_id": meta.get("event_id"),
                "stream_type": EVENT_TYPES[r.type].stream_type, "stream_id": r.stream_id,
                "version": r.version, "type": r.type,
                "occurred_at": _rfc3339(meta["occurred_at"]), "actor": meta.get("actor"),
                "correlation_id": meta.get("correlation_id"),
                "causation_id": meta.get("causation_id"), "data": r.data,
                "hash": bytes(digest).hex() if digest is not None else None,
                "previous_hash": previous.hex() if previous else None}
