"""Price lists and promotions: setting them, and the price rules in force for a customer.

The rules a quote or order is priced by are the configured ones (grade discounts, volume
breaks: ``bootstrap``'s ``PriceRules``) with the customer region's price list and the
promotion calendar as stored now. An order reads both streams in its unit of work
(``rules(unit.state, region)``), so that if either changes before its commit, the order is
decided again on the new prices (``infra.service.commands``).
"""

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from uuid import UUID

from domain import price_list, promotions
from domain.catalog import AGGREGATES, AggregateType
from domain.errors import NotFoundError, UnknownReferenceError
from domain.events import Event
from domain.pricing import PriceRules, RegionalPrices
from domain.promotions import PromotionCalendar
from infra.eventstore.ids import PROMOTION_CALENDAR_ID, price_list_id, promotion_id, stock_item_id
from infra.eventstore.store import Loaded
from infra.service.commands import CommandBus, CommandContext, CommandResult, Guard, Unit, Work
from infra.service.stock import STOCK_ITEM

PRICE_LIST = AGGREGATES[price_list.STREAM]
PROMOTIONS = AGGREGATES[promotions.STREAM]
Read = Callable[[AggregateType, UUID], Loaded]  # a unit's ``state`` or the bus's ``load``


def _stocked(unit: Unit, field: str, skus: Sequence[str]) -> None:
    """Every SKU names a stock item (else ``UnknownReferenceError``, a 404 naming the field:
    ``field`` with the SKU's index in it; the document cannot state which SKUs exist, so
    this is no 422)."""
    for i, sku in enumerate(skus):
        if unit.state(STOCK_ITEM, stock_item_id(sku)).state is None:
            raise UnknownReferenceError(field.format(i), f"no stock item has the SKU {sku}")


class Prices:
    def __init__(self, bus: CommandBus, base: PriceRules) -> None:
        self.bus, self.base = bus, base

    def set_price_list(self, ctx: CommandContext, region: str, *, currency: str,
                       prices: Sequence[tuple[str, Decimal]], expected_version: int | None = None,
                       guard: Guard | None = None) -> CommandResult:
        """Replaces the region's price list (its first one creates it); every SKU must be a
        stock item (404 naming ``prices.<i>.sku``)."""
        stream_id = price_list_id(region)
        command = price_list.SetPriceList(region, currency, tuple(
            price_list.ListedPrice(sku, unit_price) for sku, unit_price in prices))

        def setting(unit: Unit) -> list[Event]:
            unit.require(lambda: _stocked(unit, "prices.{}.sku", [sku for sku, _ in prices]))
            return unit.decide(PRICE_LIST, stream_id, command, request=command)

        return self.bus.handle(PRICE_LIST, stream_id, Work(setting, command), ctx, guard,
                               expected_version=expected_version)

    def price_list(self, region: str) -> Loaded:
        """The region's price list now, with its version; none set: ``NotFoundError``."""
        loaded = self.bus.load(PRICE_LIST, price_list_id(region))
        if loaded.state is None:
            raise NotFoundError(f"price list {region} not found")
        return loaded

    def add_promotion(self, ctx: CommandContext, *, name: str, percent: Decimal,
                      skus: Sequence[str], valid_from: date, valid_to: date) -> CommandResult:
        """Adds a promotion to the calendar; its id follows from its name. Each SKU named must
        be a stock item (404 naming ``skus.<i>``)."""
        command = promotions.AddPromotion(str(promotion_id(name)), name, percent, tuple(skus),
                                          valid_from, valid_to)

        def adding(unit: Unit) -> list[Event]:
            unit.require(lambda: _stocked(unit, "skus.{}", skus))
            return unit.decide(PROMOTIONS, PROMOTION_CALENDAR_ID, command, request=command)

        return self.bus.handle(PROMOTIONS, PROMOTION_CALENDAR_ID, Work(adding, command), ctx)

    def calendar(self) -> PromotionCalendar:
        """Every promotion, in the order they were added."""
        return self.bus.load(PROMOTIONS, PROMOTION_CALENDAR_ID).state or PromotionCalendar()

    def rules(self, read: Read, region: str | None) -> PriceRules:
        """The rules pricing a customer of ``region``, on the states ``read`` gives."""
        listed: RegionalPrices | None = (read(PRICE_LIST, price_list_id(region)).state
                                         if region else None)
        calendar: PromotionCalendar | None = read(PROMOTIONS, PROMOTION_CALENDAR_ID).state
        lists = self.base.price_lists if listed is None or region is None else MappingProxyType(
            {**self.base.price_lists, region: listed})
        offers = (*self.base.promotions, *(calendar.promotions if calendar else ()))
        return replace(self.base, price_lists=lists, promotions=offers)

    def rules_now(self, region: str | None) -> PriceRules:
        """``rules`` on the states stored now."""
        return self.rules(self.bus.load, region)
