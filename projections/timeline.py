"""Customer timeline: every event that touched an account, as stored (the auditors' view).

An event belongs to an account through a *link*: the stream it was recorded on (the account
itself, a lead, an opportunity, an order) or, for a stock movement, the order it was made
for (a stock item serves many customers, so its stream is never linked as a whole). Links
appear when the fact tying them to an account is recorded: ``AccountOpened``,
``LeadConverted`` (which names the account), ``OpportunityOpened`` and ``OrderPlaced``.
Every lead's events are kept from its capture on, because a lead may be converted later and
its earlier history must then show in the account's timeline: the query joins the events
to the links, so a link made late still brings the earlier events with it.

Tables
- ``timeline_events``: one row per kept event, keyed by its global position
  (``event_position``): ``link_id`` (the stream, or for stock movements the order, that
  ties it to an account), ``stream_id``, ``stream_type``, ``version`` (within its stream),
  ``event_type``, ``event_id``, ``occurred_at``, ``actor``, ``correlation_id``,
  ``causation_id`` and ``data`` (the event's JSON exactly as stored).
- ``timeline_links``: ``link_id`` (a lead, opportunity, order or the account itself) ->
  ``account_id``, the ``kind`` of record linked and the position of the linking event.
"""

from typing import Any
from uuid import UUID

from domain import account, lead, opportunity, order
from domain.catalog import AGGREGATES, EVENT_TYPES
from projections.base import Column, EventRecord, Projection, Rows, Table

EVENTS = Table("timeline_events", (
    Column("event_position", "bigint"), Column("link_id"), Column("stream_id"),
    Column("stream_type"), Column("version", "int"), Column("event_type"), Column("event_id"),
    Column("occurred_at", "timestamp"), Column("actor"), Column("correlation_id"),
    Column("causation_id"), Column("data", "json"),
), key=("event_position",), indexes=(("link_id",),))
LINKS = Table("timeline_links", (
    Column("link_id"), Column("account_id"), Column("kind"), Column("linked_at", "bigint"),
), key=("link_id",), indexes=(("account_id",),))

STOCK_MOVEMENTS = ("StockReserved", "StockReservationReleased", "StockShipped")
LINKING = {"AccountOpened": ("account", "account_id"), "LeadConverted": ("lead", "account_id"),
           "OpportunityOpened": ("opportunity", "account_id"),
           "OrderPlaced": ("order", "account_id")}


def _names(*modules: Any) -> tuple[str, ...]:
    return tuple(t.type_name() for m in modules for t in AGGREGATES[m.STREAM].event_types)


def canonical(record_id: str) -> str:
    """Ids in event data are as the caller wrote them; links use the canonical UUID text."""
    try:
        return str(UUID(record_id))
    except ValueError:
        return record_id


class TimelineProjection(Projection):
    name = "timeline"
    version = 1
    tables = (EVENTS, LINKS)
    topics = _names(account, lead, opportunity, order) + STOCK_MOVEMENTS

    def apply(self, event: EventRecord, rows: Rows) -> None:
        link_id = event.stream_id
        if event.type in STOCK_MOVEMENTS:
            link_id = canonical(event.data["order_id"])
        rows.put(EVENTS.name, self._row(event, link_id))
        if event.type in LINKING:
            kind, field = LINKING[event.type]
            rows.put(LINKS.name, {"link_id": event.stream_id, "kind": kind,
                                  "account_id": canonical(event.data[field]),
                                  "linked_at": event.position})

    @staticmethod
    def _row(e: EventRecord, link_id: str) -> dict[str, Any]:
        meta = e.meta
        return {"event_position": e.position, "link_id": link_id, "stream_id": e.stream_id,
                "stream_type": EVENT_TYPES[e.type].stream_type, "version": e.version,
                "event_type": e.type, "event_id": meta.get("event_id"),
                "occurred_at": e.occurred_at, "actor": meta.get("actor"),
                "correlation_id": meta.get("correlation_id"),
                "causation_id": meta.get("causation_id"), "data": e.data}
