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

from domain.catalog import EVENT_TYPES
from infra.audit.chain import chain_head
from infra.audit.index import LINKING, STOCK_MOVEMENTS, canonical, index_page
from infra.audit.tables import CHAIN, LINKS, MOVES, ensure_tables
from infra.event_reader import EventReader
from infra.ids import parse_id
from infra.queries.timeline import state_from
from infra.sqldb import Database
from projections.base import EventRecord


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AuditHistory:
    def __init__(self, db: Database, conn: Any) -> None:
        self.db, self.conn = db, conn
        self.reader = EventReader(db)

    def history(self, account_id: str, as_of: datetime | None = None) -> dict[str, Any]:
        """``{events, state}``: every event that touched the account up to ``as_of``, in global
        order, and the state of each of its aggregates then."""
        events = self.events(account_id, as_of)
        return {"events": events, "state": state_from(events, as_of)}

    def events(self, account_id: str, as_of: datetime | None = None) -> list[dict[str, Any]]:
        ensure_tables(self.db, self.conn)
        account = str(parse_id(account_id, "account_id"))
        links, moves = self._index(account)
        records = self.reader.by_streams(self.conn, list(links))
        orders = {link for link, kind in links.items() if kind == "order"}
        records += self.reader.by_positions(self.conn, self._moves_of(orders, moves))
        records.sort(key=lambda r: r.position)
        hashes = self._hashes([r.position for r in records])
        limit = _utc(as_of) if as_of is not None else None
        return [self._event(r, hashes) for r in records
                if limit is None or _utc(r.occurred_at) <= limit]

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

    def _hashes(self, positions: list[int]) -> dict[int, tuple[bytes, bytes | None]]:
        """position -> (hash, previous hash) of the sealed ones."""
        chain = self._chain_rows(positions)
        previous = self._chain_rows([p for p, _ in chain.values() if p not in chain and p > 0])
        known = {**chain, **previous}
        return {position: (digest, known[prev][1] if prev in known else
                           (bytes(32) if prev == 0 else None))
                for position, (prev, digest) in chain.items()}

    def _chain_rows(self, positions: list[int]) -> dict[int, tuple[int, bytes]]:
        found: dict[int, tuple[int, bytes]] = {}
        for start in range(0, len(positions), 5_000):
            part = positions[start:start + 5_000]
            if self.db.backend == "sqlite":
                marks = ",".join("?" * len(part))
                statement = (f"SELECT position, previous, hash FROM {CHAIN} "
                             f"WHERE position IN ({marks})")
                rows = self.conn.execute(statement, part).fetchall()
            else:
                rows = self.conn.execute(f"SELECT position, previous, hash FROM {CHAIN} "
                                         "WHERE position = ANY(%s)", (part,)).fetchall()
            found.update({int(p): (int(prev), bytes(h)) for p, prev, h in rows})
        return found

    @staticmethod
    def _event(r: EventRecord, hashes: dict[int, tuple[bytes, bytes | None]]) -> dict[str, Any]:
        meta = r.meta
        digest, previous = hashes.get(r.position, (None, None))
        return {"position": r.position, "event_id": meta.get("event_id"),
                "stream_type": EVENT_TYPES[r.type].stream_type, "stream_id": r.stream_id,
                "version": r.version, "type": r.type,
                "occurred_at": _utc(r.occurred_at).isoformat(), "actor": meta.get("actor"),
                "correlation_id": meta.get("correlation_id"),
                "causation_id": meta.get("causation_id"), "data": r.data,
                "hash": digest.hex() if digest else None,
                "previous_hash": previous.hex() if previous else None}
