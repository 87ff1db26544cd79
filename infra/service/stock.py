"""Stock items: registration, receipts, count corrections and price changes.

Reservations and shipments are steps of the order flows (``infra.service.flows``).
"""

from decimal import Decimal

from domain import stock_item
from domain.catalog import AGGREGATES
from domain.errors import NotFoundError
from infra.eventstore.ids import stock_item_id
from infra.service.commands import CommandBus, CommandContext, CommandResult

STOCK_ITEM = AGGREGATES[stock_item.STREAM]


class StockItems:
    def __init__(self, bus: CommandBus) -> None:
        self.bus = bus

    def get(self, sku: str) -> stock_item.StockItem:
        state = self.bus.load(STOCK_ITEM, stock_item_id(sku)).state
        if state is None:
            raise NotFoundError(f"stock item {sku} not found")
        return state  # type: ignore[no-any-return]

    def register(self, ctx: CommandContext, *, sku: str, name: str, base_price: Decimal,
                 reorder_level: int = 0, specification: str = "") -> CommandResult:
        command = stock_item.RegisterStockItem(sku, name, base_price, reorder_level, specification)
        return self.bus.execute(STOCK_ITEM, stock_item_id(sku), command, ctx)

    def receive(self, ctx: CommandContext, sku: str, *, quantity: int) -> CommandResult:
        return self.bus.execute(STOCK_ITEM, stock_item_id(sku),
                                stock_item.ReceiveStock(quantity), ctx)

    def adjust(self, ctx: CommandContext, sku: str, *, delta: int, reason: str) -> CommandResult:
        return self.bus.execute(STOCK_ITEM, stock_item_id(sku),
                                stock_item.AdjustStock(delta, reason), ctx)

    def change_price(self, ctx: CommandContext, sku: str, *, base_price: Decimal,
                     expected_version: int | None = None) -> CommandResult:
        return self.bus.execute(STOCK_ITEM, stock_item_id(sku),
                                stock_item.ChangePrice(base_price), ctx, expected_version)
