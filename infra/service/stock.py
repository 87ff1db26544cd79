"""Stock items: registration, receipts, count corrections and price changes.

Reservations and shipments are steps of the order flows (``infra.service.flows``).
"""

from decimal import Decimal

from domain import stock_item
from domain.catalog import AGGREGATES
from domain.errors import NotFoundError
from infra.eventstore.ids import stock_item_id
from infra.eventstore.store import Loaded
from infra.service.commands import CommandBus, CommandContext, CommandResult, Guard

STOCK_ITEM = AGGREGATES[stock_item.STREAM]


class StockItems:
    def __init__(self, bus: CommandBus) -> None:
        self.bus = bus

    def get(self, sku: str) -> stock_item.StockItem:
        return self.find(sku).state  # type: ignore[no-any-return]

    def find(self, sku: str) -> Loaded:
        """The item now, with its version; unknown: ``NotFoundError``."""
        loaded = self.bus.load(STOCK_ITEM, stock_item_id(sku))
        if loaded.state is None:
            raise NotFoundError(f"stock item {sku} not found")
        return loaded

    def register(self, ctx: CommandContext, *, sku: str, name: str, base_price: Decimal,
                 reorder_level: int = 0, specification: str = "") -> CommandResult:
        command = stock_item.RegisterStockItem(sku, name, base_price, reorder_level, specification)
        return self.bus.handle(STOCK_ITEM, stock_item_id(sku), command, ctx)

    def receive(self, ctx: CommandContext, sku: str, *, quantity: int,
                guard: Guard | None = None) -> CommandResult:
        return self.bus.handle(STOCK_ITEM, stock_item_id(sku),
                               stock_item.ReceiveStock(quantity), ctx, guard)

    def adjust(self, ctx: CommandContext, sku: str, *, delta: int, reason: str,
               guard: Guard | None = None) -> CommandResult:
        return self.bus.handle(STOCK_ITEM, stock_item_id(sku),
                               stock_item.AdjustStock(delta, reason), ctx, guard)

    def change_price(self, ctx: CommandContext, sku: str, *, base_price: Decimal,
                     expected_version: int | None = None,
                     guard: Guard | None = None) -> CommandResult:
        return self.bus.handle(STOCK_ITEM, stock_item_id(sku),
                               stock_item.ChangePrice(base_price), ctx, guard,
                               expected_version=expected_version)
