"""PriceList: the unit prices of one region, in one currency, set whole (a PUT, not a patch).

The region names the stream, so a region has one price list. Setting it again replaces every
entry; setting exactly what it holds records nothing. Orders and quotes of the region's
customers in the list's currency are priced from it (``domain.pricing``); that each SKU is a
stock item is the caller's check (the list cannot see other records).
"""

from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from domain.errors import RuleViolationError
from domain.events import Command, Event
from domain.pricing import RegionalPrices
from domain.values import require_cents, require_currency, require_sku, require_text

STREAM = "PriceList"
LABEL_LENGTH = 100


@dataclass(frozen=True)
class PriceListEvent(Event):
    stream_type = STREAM


@dataclass(frozen=True)
class ListedPrice:
    sku: str
    unit_price: Decimal


@dataclass(frozen=True)
class PriceListSet(PriceListEvent):
    region: str
    currency: str
    prices: tuple[ListedPrice, ...]


@dataclass(frozen=True)
class SetPriceList(Command):
    region: str
    currency: str
    prices: tuple[ListedPrice, ...]


def _checked_prices(prices: tuple[ListedPrice, ...]) -> tuple[ListedPrice, ...]:
    checked, seen = [], set()
    for i, entry in enumerate(prices):
        sku = require_sku(f"prices.{i}.sku", entry.sku)
        if sku in seen:
            raise RuleViolationError(f"prices.{i}.sku", f"{sku} is listed twice")
        seen.add(sku)
        checked.append(ListedPrice(sku, require_cents(f"prices.{i}.unit_price", entry.unit_price)))
    return tuple(checked)


def decide(state: RegionalPrices | None, command: Command) -> list[Event]:
    if not isinstance(command, SetPriceList):
        raise TypeError(f"not a price list command: {command!r}")
    region = require_text("region", command.region, LABEL_LENGTH)
    currency = require_currency("currency", command.currency)
    prices = _checked_prices(command.prices)
    if state is not None and (state.currency, dict(state.prices)) == (
            currency, {p.sku: p.unit_price for p in prices}):
        return []  # the list already holds exactly this
    return [PriceListSet(region, currency, prices)]


def evolve(state: RegionalPrices | None, event: Event) -> RegionalPrices | None:
    if isinstance(event, PriceListSet):
        return RegionalPrices(event.region, event.currency,
                              MappingProxyType({p.sku: p.unit_price for p in event.prices}))
    return state
