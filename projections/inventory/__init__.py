"""How much of each SKU is on hand, reserved and available, and how did it move?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns.
"""

from projections.inventory.projection import InventoryProjection

__all__ = ["InventoryProjection"]
