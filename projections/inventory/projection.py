"""Inventory levels: what is on hand, reserved and available per SKU, and how it got there.

Tables
- ``inventory_levels``: one row per SKU — name, specification, current base price, reorder
  level, on hand, reserved (the sum of the open reservations), available (on hand - reserved),
  ``below_reorder`` (available < reorder level: stock held for orders cannot be sold again),
  when the item was registered and when its level or price last changed; ``search``, the
  words of its SKU and name (version 2).
- ``inventory_reservations``: one row per (SKU, order) still holding stock — the quantity left
  reserved for that order (a shipment reduces it, a release or the last shipment removes it).
- ``inventory_movements``: one row per stock event (``event_position`` is the key): kind
  (received | reserved | released | shipped | adjusted | price_changed), the order and
  shipment where present, the change to on hand and to reserved, the resulting on hand and
  reserved, the adjustment's reason, the new and previous price of a price change, when it
  happened and who did it.
- ``inventory_streams``: stock item stream id -> SKU (a stock item's stream id is a UUID derived
  from its SKU; only ``StockItemRegistered`` carries the SKU itself).
"""

from typing import Any

from domain.stock_item import (
    StockAdjusted,
    StockItemRegistered,
    StockPriceChanged,
    StockReceived,
    StockReservationReleased,
    StockReserved,
    StockShipped,
)
from projections.base import Column, EventRecord, Projection, Row, Rows, Table, on, search_text

LEVELS = Table("inventory_levels", (
    Column("sku"), Column("name"), Column("specification"), Column("base_price", "numeric"),
    Column("reorder_level", "int"), Column("on_hand", "int"), Column("reserved", "int"),
    Column("available", "int"), Column("below_reorder", "bool"),
    Column("registered_at", "timestamp"), Column("updated_at", "timestamp"),
    Column("search"),
), key=("sku",), indexes=(("below_reorder",), ("name", "sku"), ("available", "sku")),
    search="search")

RESERVATIONS = Table("inventory_reservations", (
    Column("sku"), Column("order_id"), Column("quantity", "int"), Column("reserved_at", "timestamp"),
), key=("sku", "order_id"), indexes=(("order_id",),))

MOVEMENTS = Table("inventory_movements", (
    Column("event_position", "bigint"), Column("sku"), Column("kind"), Column("order_id"),
    Column("shipment_id"), Column("on_hand_delta", "int"), Column("reserved_delta", "int"),
    Column("on_hand_after", "int"), Column("reserved_after", "int"), Column("reason"),
    Column("base_price", "numeric"), Column("previous_price", "numeric"),
    Column("occurred_at", "timestamp"), Column("actor"),
), key=("event_position",), indexes=(("sku", "event_position"),), append_only=True)

STREAMS = Table("inventory_streams", (Column("stream_id"), Column("sku")), key=("stream_id",))


class InventoryProjection(Projection):
    name = "inventory"
    version = 2  # 2: the words of SKU and name, for the stock items list's search
    tables = (LEVELS, RESERVATIONS, MOVEMENTS, STREAMS)
    splittable = True  # every row is one stock item's (its SKU's), written by its events

    @on(StockItemRegistered)
    def _registered(self, e: EventRecord, item: StockItemRegistered, rows: Rows) -> None:
        rows.put(STREAMS.name, {"stream_id": e.stream_id, "sku": item.sku})
        rows.put(LEVELS.name, {
            "sku": item.sku, "name": item.name, "specification": item.specification,
            "base_price": item.base_price, "reorder_level": item.reorder_level,
            "on_hand": 0, "reserved": 0, "available": 0, "below_reorder": item.reorder_level > 0,
            "registered_at": e.occurred_at, "updated_at": e.occurred_at,
            "search": search_text(item.sku, item.name),
        })

    @on(StockReceived)
    def _received(self, e: EventRecord, received: StockReceived, rows: Rows) -> None:
        self._move(rows, e, "received", on_hand=received.quantity)

    @on(StockReserved)
    def _reserved(self, e: EventRecord, reserved: StockReserved, rows: Rows) -> None:
        sku, order_id, quantity = self._sku(rows, e), reserved.order_id, reserved.quantity
        held = rows.get(RESERVATIONS.name, (sku, order_id))
        before = held["quantity"] if held else 0  # the domain replaces, never adds to, a hold
        rows.put(RESERVATIONS.name, {"sku": sku, "order_id": order_id, "quantity": quantity,
                                     "reserved_at": e.occurred_at})
        self._move(rows, e, "reserved", reserved=quantity - before, order_id=order_id)

    @on(StockReservationReleased)
    def _released(self, e: EventRecord, release: StockReservationReleased, rows: Rows) -> None:
        released = self._unreserve(rows, e, release.order_id, release.quantity)
        self._move(rows, e, "released", reserved=-released, order_id=release.order_id)

    @on(StockShipped)
    def _shipped(self, e: EventRecord, shipped: StockShipped, rows: Rows) -> None:
        released = self._unreserve(rows, e, shipped.order_id, shipped.quantity)
        self._move(rows, e, "shipped", on_hand=-shipped.quantity, reserved=-released,
                   order_id=shipped.order_id, shipment_id=shipped.shipment_id)

    @on(StockAdjusted)
    def _adjusted(self, e: EventRecord, adjusted: StockAdjusted, rows: Rows) -> None:
        self._move(rows, e, "adjusted", on_hand=adjusted.delta, reason=adjusted.reason)

    @on(StockPriceChanged)
    def _price_changed(self, e: EventRecord, changed: StockPriceChanged, rows: Rows) -> None:
        self._move(rows, e, "price_changed", base_price=changed.base_price,
                   previous_price=changed.previous_price)

    def _unreserve(self, rows: Rows, e: EventRecord, order_id: str, quantity: int) -> int:
        """Takes ``quantity`` off the order's hold (all of it at most); returns how much."""
        key = (self._sku(rows, e), order_id)
        held = rows.get(RESERVATIONS.name, key)
        if held is None:
            return 0
        taken = min(held["quantity"], quantity)
        held["quantity"] -= taken
        if held["quantity"] > 0:
            rows.put(RESERVATIONS.name, held)
        else:
            rows.delete(RESERVATIONS.name, key)
        return taken

    def _move(self, rows: Rows, e: EventRecord, kind: str, on_hand: int = 0, reserved: int = 0,
              **details: Any) -> None:
        """Applies the deltas to the SKU's level and records the movement beside it."""
        level = self._level(rows, e)
        level["on_hand"] += on_hand
        level["reserved"] += reserved
        if "base_price" in details:
            level["base_price"] = details["base_price"]
        _recount(level, e)
        rows.put(LEVELS.name, level)
        rows.put(MOVEMENTS.name, {
            "event_position": e.position, "sku": level["sku"], "kind": kind,
            "order_id": None, "shipment_id": None, "reason": None, "base_price": None,
            "previous_price": None, **details, "on_hand_delta": on_hand,
            "reserved_delta": reserved, "on_hand_after": level["on_hand"],
            "reserved_after": level["reserved"], "occurred_at": e.occurred_at,
            "actor": e.meta.get("actor"),
        })

    def _level(self, rows: Rows, e: EventRecord) -> Row:
        level = rows.get(LEVELS.name, (self._sku(rows, e),))
        if level is None:
            raise LookupError(f"stock item {e.stream_id} has no level row")
        return level

    @staticmethod
    def _sku(rows: Rows, e: EventRecord) -> str:
        stream = rows.get(STREAMS.name, (e.stream_id,))
        if stream is None:
            raise LookupError(f"stock item {e.stream_id} was never registered")
        return str(stream["sku"])


def _recount(level: Row, e: EventRecord) -> None:
    level["available"] = level["on_hand"] - level["reserved"]
    level["below_reorder"] = level["available"] < level["reorder_level"]
    level["updated_at"] = e.occurred_at
