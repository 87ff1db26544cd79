"""Inventory queries: one SKU's level, every SKU's, the SKUs below their reorder level, movement history."""

from typing import Any

from projections.base import Reader, Table
from projections.inventory.projection import LEVELS, MOVEMENTS, RESERVATIONS
from projections.paging import Listing, Page, PageRequest, Scope, page

LEVEL_COLUMNS = ("sku, name, specification, base_price, reorder_level, on_hand, reserved, "
                 "available, below_reorder, registered_at, updated_at")
MOVEMENT_COLUMNS = ("event_position, sku, kind, order_id, shipment_id, on_hand_delta, "
                    "reserved_delta, on_hand_after, reserved_after, reason, base_price, "
                    "previous_price, occurred_at, actor")
STOCK_ITEM_LIST = Listing(
    source="FROM inventory_levels i", columns=LEVEL_COLUMNS, key="i.sku", default_sort="sku",
    owner="i.sku", search="i.search", tables=(LEVELS,),
    sorts={"sku": "i.sku", "name": "i.name", "available": "i.available"})


class InventoryQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def _select(self, table: Table, statement: str, params: list[Any]) -> list[dict[str, Any]]:
        """Runs ``statement`` and converts each value back from the column's stored form."""
        kinds = {c.name: c.type for c in table.columns}
        return [{k: self.read.value(kinds[k], v) for k, v in row.items()}
                for row in self.read.rows(statement, params)]

    def level(self, sku: str) -> dict[str, Any] | None:
        """The SKU's level, or None for a SKU never registered."""
        found = self._select(LEVELS, f"SELECT {LEVEL_COLUMNS} FROM inventory_levels WHERE sku = ?",
                             [sku])
        return found[0] if found else None

    def levels(self) -> list[dict[str, Any]]:
        """Every SKU's level, by SKU."""
        return self._select(LEVELS, f"SELECT {LEVEL_COLUMNS} FROM inventory_levels ORDER BY sku",
                            [])

    def stock_items(self, request: PageRequest, below_reorder: bool = False) -> Page:
        """A page of the stock items (every role sees them all), by ``request.sort``."""
        conditions = [("i.below_reorder = ?", [self.read.stored("bool", True)])
                      ] if below_reorder else []
        return page(self.read, STOCK_ITEM_LIST, Scope(), request, conditions)

    def below_reorder(self) -> list[dict[str, Any]]:
        """Every SKU whose available stock is below its reorder level, by SKU."""
        return self._select(LEVELS, f"SELECT {LEVEL_COLUMNS} FROM inventory_levels "
                                    "WHERE below_reorder = TRUE ORDER BY sku", [])

    def reservations(self, sku: str) -> list[dict[str, Any]]:
        """The orders holding stock of the SKU, and how much each still holds."""
        return self._select(RESERVATIONS, "SELECT order_id, quantity, reserved_at "
                                          "FROM inventory_reservations WHERE sku = ? "
                                          "ORDER BY reserved_at, order_id", [sku])

    def movements(self, sku: str, limit: int = 50) -> list[dict[str, Any]]:
        """The SKU's last ``limit`` stock events, newest first."""
        return self._select(MOVEMENTS, f"SELECT {MOVEMENT_COLUMNS} FROM inventory_movements "
                                       "WHERE sku = ? ORDER BY event_position DESC LIMIT ?",
                            [sku, limit])
