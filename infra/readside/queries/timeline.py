"""Customer timeline: an account's events in global order, and its state as of any instant.

``as_of`` keeps the events whose ``occurred_at`` is at or before it (a naive datetime is
taken as UTC). The state is rebuilt from those events with the domain's own ``evolve``
folds, per stream (the account, the leads that became it, its opportunities and orders);
a stream is folded only over the unbroken run of its versions from 1, so an event whose
predecessor is not known at ``as_of`` is not applied. Stock movements appear in the
events but not in the state (a stock item belongs to no customer). Answers are plain
JSON-able values: decimals and dates as strings, times in RFC 3339 (UTC).
"""

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python

from domain.account import Account
from domain.catalog import AGGREGATES, EVENT_TYPES, upcast
from domain.events import Event
from domain.lead import Lead
from domain.opportunity import Opportunity
from domain.order import Order
from infra.eventstore.event_reader import EventReader
from infra.eventstore.ids import parse_id
from infra.sql.database import Connection, Database
from projections.base import EventRecord

LINKS = "SELECT link_id, kind FROM timeline_links WHERE account_id = ?"
FOLDED = ("Account", "Lead", "Opportunity", "Order")


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(event_type: type[Event]) -> TypeAdapter[Any]:
    name = event_type.type_name()
    if name not in _ADAPTERS:
        _ADAPTERS[name] = TypeAdapter(event_type)
    return _ADAPTERS[name]


def domain_event(type_name: str, data: dict[str, Any]) -> Event:
    """The domain event from stored JSON, upcast to the current shape of its class.

    Read models do not see an event's stored schema version, so it is inferred: the newest
    version from which upcasting yields every field the class has now.
    """
    event_type = EVENT_TYPES[type_name]
    wanted = {f.name for f in fields(event_type)}  # type: ignore[arg-type]
    shaped = data
    for version in range(event_type.schema_version, 0, -1):
        shaped = upcast(event_type, data, version)
        if wanted <= shaped.keys():
            break
    event: Event = _adapter(event_type).validate_python(shaped)
    return event


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TimelineQueries:
    def __init__(self, db: Database, conn: Connection, log: Database | None = None,
                 log_conn: Connection | None = None) -> None:
        """The links are read in the read models' ``db``, the events in ``log`` (the event
        store's database; by default the same)."""
        self.db, self.conn = db, conn
        self.log, self.log_conn = log or db, log_conn or conn

    def timeline(self, account_id: str, as_of: datetime | None = None) -> list[dict[str, Any]]:
        """Every event that touched the account, in global order (up to ``as_of``), read from
        the event store through the links of the read model."""
        links = self.conn.execute(self.db.sql(LINKS),
                                  [str(parse_id(account_id, "account_id"))]).fetchall()
        streams = [link_id for link_id, _ in links]
        orders = [link_id for link_id, kind in links if kind == "order"]
        reader = EventReader(self.log)
        records = reader.by_streams(self.log_conn, streams) + reader.by_positions(
            self.log_conn, self._stock_moves(orders))
        events = [self._event(r) for r in sorted(records, key=lambda r: r.position)]
        if as_of is None:
            return [self._public(e) for e in events]
        limit = _utc(as_of)
        return [self._public(e) for e in events if e["occurred_at"] <= limit]

    def _stock_moves(self, orders: list[str]) -> list[int]:
        if not orders:
            return []
        marks = ",".join("?" * len(orders))
        statement = self.db.sql("SELECT event_position FROM timeline_stock_moves "
                                f"WHERE order_id IN ({marks})")
        return [int(p) for (p,) in self.conn.execute(statement, orders).fetchall()]

    @staticmethod
    def _event(r: EventRecord) -> dict[str, Any]:
        meta = r.meta
        return {"position": r.position, "event_id": meta.get("event_id"),
                "stream_type": EVENT_TYPES[r.type].stream_type, "stream_id": r.stream_id,
                "version": r.version, "type": r.type, "occurred_at": _utc(r.occurred_at),
                "actor": meta.get("actor"), "correlation_id": meta.get("correlation_id"),
                "causation_id": meta.get("causation_id"), "data": r.data}

    @staticmethod
    def _public(event: dict[str, Any]) -> dict[str, Any]:
        return {**event, "occurred_at": event["occurred_at"].isoformat()}

    def state_as_of(self, account_id: str, as_of: datetime | None = None) -> dict[str, Any]:
        return state_from(self.timeline(account_id, as_of), as_of)

    def history(self, account_id: str, as_of: datetime | None = None) -> dict[str, Any]:
        """``{events, state}``: what ``GET /v1/accounts/{id}/timeline`` answers."""
        events = self.timeline(account_id, as_of)
        return {"events": events, "state": state_from(events, as_of)}


def fold(events: list[dict[str, Any]],
         decode: Callable[[str, dict[str, Any]], Event] = domain_event) -> dict[str, tuple[str, Any]]:
    """stream id -> (stream type, state), each folded over its versions 1, 2, ... in order."""
    streams: dict[str, tuple[str, Any, int]] = {}
    for e in events:
        if e["stream_type"] not in FOLDED:
            continue
        kind, state, version = streams.get(e["stream_id"], (e["stream_type"], None, 0))
        if e["version"] != version + 1:
            continue  # its predecessor is not known at this instant
        state = AGGREGATES[kind].evolve(state, decode(e["type"], e["data"]))
        streams[e["stream_id"]] = (kind, state, e["version"])
    return {stream: (kind, state) for stream, (kind, state, _) in streams.items()}


Fold = Callable[[list[dict[str, Any]], Callable[[str, dict[str, Any]], Event]],
                dict[str, tuple[str, Any]]]


def state_from(events: list[dict[str, Any]], as_of: datetime | None,
               decode: Callable[[str, dict[str, Any]], Event] = domain_event,
               fold_with: Fold = fold) -> dict[str, Any]:
    states = fold_with(events, decode)

    def of(kind: str) -> list[Any]:
        return [s for k, s in states.values() if k == kind]

    accounts = of("Account")
    summary = {
        "as_of": _utc(as_of).isoformat() if as_of else None,
        "position": events[-1]["position"] if events else None,
        "account": _account(accounts[0]) if accounts else None,
        "leads": [_lead(s) for s in of("Lead")],
        "opportunities": [_opportunity(s) for s in of("Opportunity")],
        "orders": [_order(s) for s in of("Order")],
    }
    return to_jsonable_python(summary)  # type: ignore[no-any-return]


def _account(a: Account) -> dict[str, Any]:
    return {"id": a.id, "name": a.name, "industry": a.industry, "size": a.size,
            "region": a.region, "owner_id": a.owner_id, "segment": a.segment,
            "potential": a.potential, "grade": a.grade, "handover_status": a.handover_status,
            "contacts": [vars(c) for c in a.contacts.values()],
            "follow_ups": [vars(f) for f in a.follow_ups.values()]}


def _lead(lead: Lead) -> dict[str, Any]:
    return {"id": lead.id, "status": lead.status, "person": lead.person,
            "company": lead.company, "email": lead.email, "owner_id": lead.owner_id,
            "score": lead.score}


def _opportunity(o: Opportunity) -> dict[str, Any]:
    return {"id": o.id, "name": o.name, "stage": o.stage, "probability": o.probability,
            "amount": o.amount, "currency": o.currency, "expected_close": o.expected_close,
            "owner_id": o.owner_id, "products": o.products, "quotes": o.quotes}


def _order(o: Order) -> dict[str, Any]:
    return {"id": o.id, "status": o.status, "total": o.total, "currency": o.currency,
            "invoiced": o.invoiced,
            "paid": o.paid, "lines": [vars(line) for line in o.lines],
            "shipped": [{"sku": sku, "quantity": q} for sku, q in o.shipped]}
