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

from domain.account import AccountOpened
from domain.lead import LeadConverted
from domain.opportunity import OpportunityOpened
from domain.order import OrderPlaced
from domain.stock_item import StockReservationReleased, StockReserved, StockShipped
from projections.base import Column, EventRecord, Projection, Rows, Table, on

STOCK_MOVES = Table("timeline_stock_moves", (
    Column("event_position", "bigint"), Column("order_id"),
), key=("event_position",), indexes=(("order_id",),), append_only=True)
LINKS = Table("timeline_links", (
    Column("link_id"), Column("account_id"), Column("kind"), Column("linked_at", "bigint"),
), key=("link_id",), indexes=(("account_id",),))

def canonical(record_id: str) -> str:
    """Ids in event data are as the caller wrote them; links use the canonical UUID text."""
    try:
        return str(UUID(record_id))
    except ValueError:
        return record_id


class CustomerTimelineProjection(Projection):
    name = "timeline"
    version = 2
    tables = (LINKS, STOCK_MOVES)
    splittable = True  # a row per stream (its link) or per event (a stock move)

    @on(StockReserved, StockReservationReleased, StockShipped)
    def _stock_moved(self, e: EventRecord,
                     moved: StockReserved | StockReservationReleased | StockShipped,
                     rows: Rows) -> None:
        rows.put(STOCK_MOVES.name, {"event_position": e.position,
                                    "order_id": canonical(moved.order_id)})

    @on(AccountOpened)
    def _account(self, e: EventRecord, account: AccountOpened, rows: Rows) -> None:
        _link(rows, e, "account", account.account_id)

    @on(LeadConverted)
    def _lead(self, e: EventRecord, converted: LeadConverted, rows: Rows) -> None:
        _link(rows, e, "lead", converted.account_id)

    @on(OpportunityOpened)
    def _opportunity(self, e: EventRecord, opened: OpportunityOpened, rows: Rows) -> None:
        _link(rows, e, "opportunity", opened.account_id)

    @on(OrderPlaced)
    def _order(self, e: EventRecord, placed: OrderPlaced, rows: Rows) -> None:
        _link(rows, e, "order", placed.account_id)


def _link(rows: Rows, e: EventRecord, kind: str, account_id: str) -> None:
    rows.put(LINKS.name, {"link_id": e.stream_id, "kind": kind,
                          "account_id": canonical(account_id), "linked_at": e.position})
