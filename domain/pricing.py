"""Price rules: deterministic given the rule set, the customer, the currency and the moment.

The list price is the customer region's price list entry for the SKU, if that list is in the
currency being priced, else the base price (which is in ``BASE_CURRENCY``); a line in another
currency with no listed price is refused: amounts of two currencies are never mixed. On top of
the list price the single best discount applies among the customer-grade discount, the volume
break reached and any promotion valid that day (discounts do not stack; the best one for the
customer wins, ties go to the first listed). The result names the rule, so an order line can
record what produced its price.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from domain.errors import RuleViolationError

CENT = Decimal("0.01")
BASE_CURRENCY = "EUR"  # the currency of every stock item's base price


@dataclass(frozen=True)
class Promotion:
    """``percent`` off the SKUs named (none named: every SKU) from ``valid_from`` to
    ``valid_to``, both days included."""

    name: str
    percent: Decimal
    skus: tuple[str, ...]
    valid_from: date
    valid_to: date

    def applies(self, sku: str, at: datetime) -> bool:
        return (not self.skus or sku in self.skus) and self.valid_from <= at.date() <= self.valid_to


@dataclass(frozen=True)
class RegionalPrices:
    """A region's price list: a unit price per SKU, in one currency."""

    region: str
    currency: str
    prices: Mapping[str, Decimal]


@dataclass(frozen=True)
class PriceRules:
    grade_discounts: Mapping[str, Decimal] = field(
        default_factory=lambda: MappingProxyType(
            {"key": Decimal(12), "A": Decimal(8), "B": Decimal(4), "C": Decimal(0)}
        )
    )
    volume_breaks: tuple[tuple[int, Decimal], ...] = (
        (100, Decimal(10)), (50, Decimal(6)), (10, Decimal(3)),
    )
    price_lists: Mapping[str, RegionalPrices] = field(
        default_factory=lambda: MappingProxyType({})
    )
    promotions: tuple[Promotion, ...] = ()
    base_currency: str = BASE_CURRENCY

    def currency_for(self, region: str | None) -> str:
        """What a customer of ``region`` is priced in unless told: its price list's currency."""
        listed = self.price_lists.get(region or "")
        return listed.currency if listed is not None else self.base_currency


@dataclass(frozen=True)
class ResolvedPrice:
    list_price: Decimal
    unit_price: Decimal
    rule: str


@dataclass(frozen=True)
class PriceRequest:
    sku: str
    base_price: Decimal
    quantity: int
    grade: str | None
    region: str | None
    at: datetime


def _list_price(request: PriceRequest, rules: PriceRules, currency: str,
                field_name: str) -> tuple[Decimal, str]:
    listed = rules.price_lists.get(request.region or "")
    if listed is not None and listed.currency == currency and request.sku in listed.prices:
        return listed.prices[request.sku], f"price_list:{listed.region}"
    if currency != rules.base_currency:
        raise RuleViolationError(field_name, f"no {currency} price for {request.sku}: the price "
                                             f"list of region {request.region or '(none)'} does "
                                             f"not list it and base prices are in "
                                             f"{rules.base_currency}")
    return request.base_price, "base_price"


def _discounts(request: PriceRequest, rules: PriceRules) -> list[tuple[Decimal, str]]:
    found = []
    grade_pct = rules.grade_discounts.get(request.grade or "", Decimal(0))
    if grade_pct:
        found.append((grade_pct, f"grade_discount:{request.grade}"))
    for minimum, pct in rules.volume_breaks:
        if request.quantity >= minimum:
            found.append((pct, f"volume_break:{minimum}+"))
            break
    for promo in rules.promotions:
        if promo.applies(request.sku, request.at):
            found.append((promo.percent, f"promotion:{promo.name}"))
    return found


def resolve_price(request: PriceRequest, rules: PriceRules, currency: str = BASE_CURRENCY,
                  field_name: str = "sku") -> ResolvedPrice:
    """The line's price in ``currency``; ``RuleViolationError`` naming ``field_name`` when
    nothing prices the SKU in that currency."""
    list_price, list_rule = _list_price(request, rules, currency, field_name)
    discounts = _discounts(request, rules)
    if not discounts:
        return ResolvedPrice(list_price, list_price.quantize(CENT, ROUND_HALF_UP), list_rule)
    best_pct, best_rule = max(discounts, key=lambda d: d[0])  # max keeps the first on ties
    unit = (list_price * (100 - best_pct) / 100).quantize(CENT, ROUND_HALF_UP)
    return ResolvedPrice(list_price, unit, f"{list_rule}+{best_rule}(-{best_pct}%)")


@dataclass(frozen=True)
class PricedLine:
    """A quote or order line: what was asked, the price it got and the rule that gave it."""

    sku: str
    quantity: int
    list_price: Decimal
    unit_price: Decimal
    price_rule: str
    line_total: Decimal


def price_lines(requests: tuple[PriceRequest, ...], rules: PriceRules,
                currency: str = BASE_CURRENCY) -> tuple[PricedLine, ...]:
    lines = []
    for i, request in enumerate(requests):
        price = resolve_price(request, rules, currency, f"lines.{i}.sku")
        total = (price.unit_price * request.quantity).quantize(CENT, ROUND_HALF_UP)
        lines.append(PricedLine(request.sku, request.quantity, price.list_price, price.unit_price,
                                price.rule, total))
    return tuple(lines)
