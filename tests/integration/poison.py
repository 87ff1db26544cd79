"""Events that a read model cannot store, written straight into the store (as an older store,
written before input checks existed, may hold them): no command validation on the way."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from domain.account import AccountOpened
from domain.events import Event
from domain.opportunity import OpportunityOpened
from domain.stock_item import StockItemRegistered
from infra.bootstrap import Sales
from infra.eventstore.codec import Metadata
from infra.eventstore.ids import stock_item_id
from infra.eventstore.store import RecordedEvent


def append_raw(sales: Sales, stream_id: UUID, version: int, event: Event) -> int:
    """Appends one event as it is; returns its position."""
    meta = Metadata(str(uuid4()), datetime.now(UTC).isoformat(), "poisoner", "c", "c")
    return sales.store.append([RecordedEvent(stream_id, version, event, meta)])


def register_unstorable_item(sales: Sales, sku: str) -> int:
    """A stock item whose specification is an object where a text column waits: neither
    SQLite nor PostgreSQL can bind it (inventory alone reads the event)."""
    event = StockItemRegistered(sku, "Odd", {"nested": "spec"}, Decimal("1"), 0)  # type: ignore[arg-type]
    return append_raw(sales, stock_item_id(sku), 1, event)


def open_account_named_with_nul(sales: Sales, owner_id: str) -> int:
    """PostgreSQL refuses a NUL character in text (SQLite stores it)."""
    stream_id = uuid4()
    event = AccountOpened(str(stream_id), "nul\x00name", None, None, "north", owner_id)
    return append_raw(sales, stream_id, 1, event)


def open_unstorable_opportunity(sales: Sales, owner_id: str, account_id: str) -> int:
    """A deal whose name is an object where a text column waits: the funnel (and the lists)
    cannot store it, on either backend."""
    stream_id = uuid4()
    event = OpportunityOpened(str(stream_id), account_id, owner_id, {"nested": "name"},  # type: ignore[arg-type]
                              Decimal("100"), "EUR", date(2027, 1, 31), (), "prospecting", 10,
                              None)
    return append_raw(sales, stream_id, 1, event)
