"""Customer timeline: every event that touched an account, as stored (the auditors' view).

An event belongs to an account through a *link*: the stream it was recorded on (the account
itself, a lead, an opportunity, an order) or, for a stock movement, the order it was made
for (a stock item serves many customers, so its stream is never linked as a whole). Links
appear when the fact tying them to an account is recorded: ``AccountOpened``,
``LeadConverted`` (which names the account), ``OpportunityOpened`` and ``OrderPlaced``.
Every lead's events are kept from its capture on, because a lead may be converted later and
its earlier history must then show in the account's timeline: the query joins the events
to the links, so a link made late still brings the earlier events with it.

The model is an index into the event store, not a copy of it: the events themselves are
read from the store by stream id (its primary key) when a timeline is asked for, so the
auditor sees the stored events and nothing that could have drifted from them.

Tables
- ``timeline_links``: ``link_id`` (a lead, opportunity, order or the account itself) ->
  ``account_id``, the ``kind`` of record linked and the position of the linking event.
- ``timeline_stock_moves``: ``event_position`` of each stock reservation, release or
  shipment -> the ``order_id`` it was made for.
"""

from uuid import UUID

from projections.base import Column, EventRecord, Projection, Rows, Table

STOCK_MOVES = Table("timeline_stock_moves", (
    Column("event_position", "bigint"), Column("order_id"),
), key=("event_position",), indexes=(("order_id",),))
LINKS = Table("timeline_links", (
    Column("link_id"), Column("account_id"), Column("kind"), Column("linked_at", "bigint"),
), key=("link_id",), indexes=(("account_id",),))

STOCK_MOVEMENTS = ("StockReserved", "StockReservationReleased", "StockShipped")
LINKING = {"AccountOpened": ("account", "account_id"), "LeadConverted": ("lead", "account_id"),
           "OpportunityOpened": ("opportunity", "account_id"),
           "OrderPlaced": ("order", "account_id")}


def canonical(record_id: str) -> str:
    """Ids in event data are as the caller wrote them; links use the canonical UUID text."""
    try:
        return str(UUID(record_id))
    except ValueError:
        return record_id


class TimelineProjection(Projection):
    name = "timeline"
    version = 2
    tables = (LINKS, STOCK_MOVES)
    topics = tuple(LINKING) + STOCK_MOVEMENTS

    def apply(self, event: EventRecord, rows: Rows) -> None:
        if event.type in STOCK_MOVEMENTS:
            rows.put(STOCK_MOVES.name, {"event_position": event.position,
                                        "order_id": canonical(event.data["order_id"])})
            return
        kind, field = LINKING[event.type]
        rows.put(LINKS.name, {"link_id": event.stream_id, "kind": kind,
                              "account_id": canonical(event.data[field]),
                              "linked_at": event.position})
