"""The account index of the audit history: which streams and stock movements belong to an
account, taken from the events as they are sealed (same transaction as their chain rows).

An event links a stream to an account when it records the tie: ``AccountOpened`` (the
account itself), ``LeadConverted`` (a lead that became it), ``OpportunityOpened`` and
``OrderPlaced``. A stock reservation, release or shipment belongs to the order it names
(a stock item serves many customers, so its stream is never linked as a whole).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson

LINKING = {"AccountOpened": ("account", "account_id"), "LeadConverted": ("lead", "account_id"),
           "OpportunityOpened": ("opportunity", "account_id"),
           "OrderPlaced": ("order", "account_id")}
STOCK_MOVEMENTS = ("StockReserved", "StockReservationReleased", "StockShipped")
INDEXED = (*LINKING, *STOCK_MOVEMENTS)


def canonical(record_id: str) -> str:
    try:
        return str(UUID(record_id))
    except ValueError:
        return record_id


@dataclass
class IndexRows:
    """Links (link_id, account_id, kind, position) and moves (position, order_id) of a page."""

    links: list[tuple[str, str, str, int]] = field(default_factory=list)
    moves: list[tuple[int, str]] = field(default_factory=list)

    def add(self, position: int, stream_hex: str, topic: str, state: bytes) -> None:
        if topic in LINKING:
            kind, name = LINKING[topic]
            data = orjson.loads(state)["data"]
            self.links.append((canonical(stream_hex), canonical(data[name]), kind, position))
        elif topic in STOCK_MOVEMENTS:
            self.moves.append((position, canonical(orjson.loads(state)["data"]["order_id"])))


def index_page(rows: Sequence[tuple[Any, ...]]) -> IndexRows:
    found = IndexRows()
    for position, stream_hex, _, topic, state in rows:
        if topic in INDEXED:
            found.add(position, stream_hex, topic, state)
    return found
